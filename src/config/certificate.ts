// An uploaded certificate (`berth domain add --tls upload --cert --key`): PEM text checked before
// anything is stored. The chain parses, its first certificate (the leaf) covers the host (RFC 6125:
// subjectAltName DNS names only; a wildcard stands for exactly one left-most label), is valid now,
// and the private key is the leaf's. Errors name the field (`certificate.cert`, `certificate.key`)
// and never quote the key.
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { ConfigError } from "../domain/errors.js";

export interface UploadedCertificate {
  /** The chain as PEM, leaf first, normalized (one certificate after another, nothing else). */
  certPem: string;
  /** The private key as PKCS#8 PEM: to be sealed before it is stored. */
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
  /** The issuer's distinguished name, one `K=V` per line as node prints it. */
  issuer: string;
  /** SHA-256 fingerprint of the leaf (`AB:CD:...`). */
  fingerprint: string;
  /** The DNS names the leaf covers. */
  names: string[];
}

const MAX_PEM_CHARS = 64 * 1024;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The DNS names of the certificate's subjectAltName (lowercase). */
export function dnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((e) => e.startsWith("DNS:"))
    .map((e) => e.slice(4).toLowerCase());
}

/**
 * Whether a DNS name of a certificate covers `host` (RFC 6125 6.4.3): equal, or `*.rest` where the
 * host is one label followed by `.rest` (`*.example.com` covers `a.example.com`, not
 * `a.b.example.com` nor `example.com`). A wildcard host (a route for `*.x.y`) needs that very name.
 */
export function nameCovers(name: string, host: string): boolean {
  const n = name.toLowerCase();
  const h = host.toLowerCase();
  if (n === h) return true;
  if (!n.startsWith("*.") || h.startsWith("*.")) return false;
  const rest = n.slice(1);
  if (rest.split(".").length < 3) return false; // `*.com`: no public suffix wildcards
  if (!h.endsWith(rest)) return false;
  const label = h.slice(0, h.length - rest.length);
  return label.length > 0 && !label.includes(".");
}

function parseChain(pem: string): X509Certificate[] {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new ConfigError("certificate.cert", "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch {
      throw new ConfigError("certificate.cert", `certificate ${i + 1} of the chain does not parse as X.509`);
    }
  });
}

function parseKey(pem: string): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new ConfigError("certificate.key", "holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new ConfigError("certificate.key", "is encrypted with a passphrase; upload it unencrypted");
  }
  try {
    return createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw new ConfigError("certificate.key", "does not parse as a PEM private key");
  }
}

/** Checks an uploaded certificate and key for `host` at `now`; throws ConfigError naming the field. */
export function parseUploadedCertificate(
  input: { cert: string; key: string; host: string },
  now: Date,
): UploadedCertificate {
  if (input.cert.length > MAX_PEM_CHARS) {
    throw new ConfigError("certificate.cert", `must be at most ${MAX_PEM_CHARS / 1024} KiB of PEM`);
  }
  if (input.key.length > MAX_PEM_CHARS) {
    throw new ConfigError("certificate.key", `must be at most ${MAX_PEM_CHARS / 1024} KiB of PEM`);
  }
  const chain = parseChain(input.cert);
  const leaf = chain[0]!;
  const key = parseKey(input.key);
  if (key.type !== "private") throw new ConfigError("certificate.key", "is not a private key");
  const names = dnsNames(leaf);
  if (!names.some((n) => nameCovers(n, input.host))) {
    throw new ConfigError(
      "certificate.cert",
      `does not cover ${input.host} (its names: ${names.length ? names.join(", ") : "none in subjectAltName"})`,
    );
  }
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new ConfigError("certificate.cert", `expired on ${notAfter.toISOString()}`);
  }
  if (notBefore.getTime() > now.getTime()) {
    throw new ConfigError("certificate.cert", `is not valid before ${notBefore.toISOString()}`);
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new ConfigError("certificate.key", "does not match the certificate (its public key differs)");
  }
  return {
    certPem: `${chain.map((c) => c.toString().trim()).join("\n")}\n`,
    keyPem: key.export({ format: "pem", type: "pkcs8" }).toString(),
    notBefore,
    notAfter,
    issuer: leaf.issuer,
    fingerprint: leaf.fingerprint256,
    names,
  };
}
