// The proxy's admin API, in domain terms: what config runs, and replacing it whole. Caddy's admin
// listens on a unix socket in a directory of Berth's data dir (bind-mounted into the proxy's
// container); it has no TCP listener, so nothing on any network, tenant or host, can reach it.
import type { X509Certificate } from "node:crypto";
import http from "node:http";
import tls from "node:tls";
import { Unavailable } from "../domain/errors.js";

export interface ProxyAdmin {
  /** The config the proxy runs (null: none), or undefined when its admin API does not answer (in time). */
  current(timeoutMs?: number): Promise<unknown>;
  /**
   * Replaces the whole config atomically; a config the proxy refuses leaves the old one serving, and
   * one the same as the running config changes nothing.
   */
  load(config: unknown, timeoutMs?: number): Promise<void>;
  /** The PEM root certificate of the proxy's own CA (the one `internal` TLS uses). */
  internalRoot(): Promise<string>;
  /**
   * The certificate the proxy serves for a host: a TLS handshake to its HTTPS port with the host as
   * SNI (what visitors get, not what Berth meant to load). Throws when the handshake fails.
   */
  servedCertificate(host: string, timeoutMs?: number): Promise<ServedCertificate>;
}

export interface ServedCertificate {
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
  /** Whether the certificate is valid for the host by name (X509Certificate.checkHost, no partial wildcards). */
  covers: boolean;
}

/** Where the proxy's HTTPS port is reached from Berth (the proxy runs on Berth's node: loopback). */
export interface ProxyTlsEndpoint {
  host: string;
  port: number;
}

/** Caddy refused a config; the message is Caddy's reason. */
export class ProxyRefused extends Error {}

const TIMEOUT_MS = 30_000;

function call(
  socketPath: string,
  method: string,
  path: string,
  o: { body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; text: string }> {
  const { body } = o;
  const timeout = o.timeoutMs ?? TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method,
        path,
        // Caddy allows only an empty Host on a unix-socket admin API; Node would send `localhost`.
        setHost: false,
        headers: { Host: "", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        timeout,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeout / 1000} s`)));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function reason(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 2000);
}

function handshake(at: ProxyTlsEndpoint, servername: string, timeoutMs: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    // Only the certificate is read; the connection is closed before any request.
    const s = tls.connect({ host: at.host, port: at.port, servername, rejectUnauthorized: false }, () => {
      const cert = s.getPeerX509Certificate();
      s.destroy();
      if (cert) resolve(cert);
      else reject(new Error("the proxy sent no certificate"));
    });
    s.setTimeout(timeoutMs, () => s.destroy(new Error(`no TLS answer within ${timeoutMs / 1000} s`)));
    s.on("error", (err) => reject(new Error(`TLS handshake failed: ${err.message}`)));
  });
}

export function createCaddyAdmin(socketPath: string, tlsEndpoint?: ProxyTlsEndpoint): ProxyAdmin {
  return {
    async current(timeoutMs) {
      const res = await call(socketPath, "GET", "/config/", timeoutMs ? { timeoutMs } : {}).catch(
        () => undefined,
      );
      if (res?.status !== 200) return undefined;
      return JSON.parse(res.text || "null") as unknown;
    },
    async load(config, timeoutMs) {
      const body = JSON.stringify(config);
      const res = await call(socketPath, "POST", "/load", {
        body,
        ...(timeoutMs ? { timeoutMs } : {}),
      }).catch((err: Error) => {
        throw new Unavailable(`the proxy's admin API did not answer: ${err.message}`);
      });
      if (res.status !== 200) throw new ProxyRefused(`the proxy refused the config: ${reason(res.text)}`);
    },
    async internalRoot() {
      const res = await call(socketPath, "GET", "/pki/ca/local").catch((err: Error) => {
        throw new Unavailable(`the proxy's admin API did not answer: ${err.message}`);
      });
      if (res.status !== 200) throw new Unavailable(`the proxy's CA: ${reason(res.text)}`);
      return (JSON.parse(res.text) as { root_certificate: string }).root_certificate;
    },
    async servedCertificate(host, timeoutMs = 5000) {
      if (!tlsEndpoint) throw new Error("the proxy's HTTPS port is not known");
      // A wildcard route is checked with a name it covers.
      const sni = host.startsWith("*.") ? `berth-check${host.slice(1)}` : host;
      const cert = await handshake(tlsEndpoint, sni, timeoutMs);
      return {
        issuer: cert.issuer,
        notBefore: new Date(cert.validFrom),
        notAfter: new Date(cert.validTo),
        fingerprint: cert.fingerprint256,
        covers: cert.checkHost(sni, { subject: "never", partialWildcards: false }) !== undefined,
      };
    },
  };
}
