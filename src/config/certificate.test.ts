import { beforeAll, describe, expect, it } from "vitest";
import { makeCert, type TestCert } from "../../test/helpers/certs.js";
import { nameCovers, parseUploadedCertificate } from "./certificate.js";

describe("nameCovers (RFC 6125)", () => {
  it.each([
    ["shop.example.com", "shop.example.com", true],
    ["SHOP.example.com", "shop.example.com", true],
    ["*.example.com", "shop.example.com", true],
    ["*.example.com", "a.b.example.com", false],
    ["*.example.com", "example.com", false],
    ["*.com", "example.com", false],
    ["*.example.com", "*.example.com", true],
    ["a.example.com", "*.example.com", false],
    ["*.example.com", "shopexample.com", false],
    ["other.example.com", "shop.example.com", false],
  ])("%s covers %s: %s", (name, host, want) => {
    expect(nameCovers(name, host)).toBe(want);
  });
});

describe("parseUploadedCertificate", () => {
  let shop: TestCert;
  let wild: TestCert;
  let other: TestCert;
  // Taken once the certificates exist: they are valid from the second openssl made them in.
  let now: Date;
  beforeAll(async () => {
    [shop, wild, other] = await Promise.all([
      makeCert({ names: ["shop.example.com", "www.shop.example.com"], days: 10 }),
      makeCert({ names: ["*.customers.example.com"] }),
      makeCert({ names: ["other.example.com"] }),
    ]);
    now = new Date();
  });

  it("accepts a certificate that covers the host with its own key", () => {
    const c = parseUploadedCertificate({ ...shop, host: "shop.example.com" }, now);
    expect(c.names).toEqual(["shop.example.com", "www.shop.example.com"]);
    expect(c.notAfter.getTime()).toBeGreaterThan(now.getTime() + 9 * 86_400_000);
    expect(c.issuer).toContain("CN=shop.example.com");
    expect(c.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(c.certPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(c.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it("a wildcard covers one left-most label", () => {
    expect(parseUploadedCertificate({ ...wild, host: "a.customers.example.com" }, now).names).toEqual([
      "*.customers.example.com",
    ]);
    expect(() => parseUploadedCertificate({ ...wild, host: "a.b.customers.example.com" }, now)).toThrow(
      /^certificate.cert: does not cover a.b.customers.example.com \(its names: \*.customers.example.com\)/,
    );
  });

  it.each([
    [
      "a host it does not cover",
      () => ({ ...shop, host: "other.example.com" }),
      /^certificate.cert: does not cover/,
    ],
    [
      "garbage as the certificate",
      () => ({ ...shop, cert: "hello", host: "shop.example.com" }),
      /^certificate.cert: holds no PEM/,
    ],
    [
      "a broken certificate",
      () => ({
        ...shop,
        cert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        host: "shop.example.com",
      }),
      /^certificate.cert: certificate 1 of the chain does not parse/,
    ],
    [
      "garbage as the key",
      () => ({ ...shop, key: "nope", host: "shop.example.com" }),
      /^certificate.key: holds no PEM/,
    ],
    [
      "a broken key",
      () => ({
        ...shop,
        key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        host: "shop.example.com",
      }),
      /^certificate.key: does not parse/,
    ],
    [
      "another certificate's key",
      () => ({ ...shop, key: other.key, host: "shop.example.com" }),
      /^certificate.key: does not match/,
    ],
  ])("refuses %s, naming the field", (_what, input, message) => {
    expect(() => parseUploadedCertificate(input(), now)).toThrow(message);
  });

  it("refuses an expired certificate, and one not valid yet", () => {
    const later = new Date(now.getTime() + 11 * 86_400_000);
    expect(() => parseUploadedCertificate({ ...shop, host: "shop.example.com" }, later)).toThrow(
      /^certificate.cert: expired on /,
    );
    const earlier = new Date(now.getTime() - 86_400_000);
    expect(() => parseUploadedCertificate({ ...shop, host: "shop.example.com" }, earlier)).toThrow(
      /^certificate.cert: is not valid before /,
    );
  });

  it("never quotes the key in an error", () => {
    try {
      parseUploadedCertificate({ ...shop, key: other.key, host: "shop.example.com" }, now);
    } catch (err) {
      expect((err as Error).message).not.toContain(other.key.split("\n")[1]);
    }
  });
});
