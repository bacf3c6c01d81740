// Certificates on the real swarm with the real Caddy: a certificate uploaded for a host is served
// for it (an HTTPS handshake with SNI to the proxy returns exactly that certificate), bad uploads are
// refused naming the field with nothing changed, the key never leaves Berth in the clear (not in the
// database, the API, the log); the certificate's status, issuer and expiry in `domain ls` and
// /metrics; on-demand certificates for routed hosts only.

import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, docker, freePort, stackPrefix, startBerth, type TestBerth, until } from "../helpers/berth.js";
import { makeCert, type TestCert } from "../helpers/certs.js";

const exec = promisify(execFile);
const d = docker();
const ORG = stackPrefix("ct");
const tag = ORG.slice(-4);
const UP = `up-${tag}.test`;
const OTHER = `other-${tag}.test`;
const INTERNAL = `int-${tag}.test`;
const dir = mkdtempSync(join(tmpdir(), "berth-certs-"));
let b: TestBerth;
let httpsPort = 0;
let token = "";
let upCert: TestCert;
let otherCert: TestCert;

/** The certificate the proxy serves for `servername` (no verification: we compare it ourselves). */
function served(servername: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = tls.connect(
      { host: "127.0.0.1", port: httpsPort, servername, rejectUnauthorized: false },
      () => {
        const raw = s.getPeerX509Certificate();
        s.end();
        if (raw) resolve(raw);
        else reject(new Error("no certificate"));
      },
    );
    s.setTimeout(5000, () => s.destroy(new Error("timeout")));
    s.on("error", reject);
  });
}

function get(host: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port: httpsPort,
        path: "/",
        headers: { host },
        servername: host,
        ca,
        agent: false,
        timeout: 5000,
      },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const api = (method: string, path: string, body?: unknown) =>
  call(b.url, method, path, { token, ...(body === undefined ? {} : { body }) });
/**
 * The domains as a request stores them: without what the certificate watch writes in the background
 * as it checks what the proxy serves (status, issuer, expiry, when checked), which may change at any
 * moment.
 */
const domainsAsStored = async () =>
  (await api("GET", "/api/v1/domains")).body.domains.map(
    ({ certificate, ...d }: { certificate?: unknown }) => ({
      ...d,
      hasCertificate: certificate !== null && certificate !== undefined,
    }),
  );

beforeAll(async () => {
  httpsPort = await freePort();
  [upCert, otherCert] = await Promise.all([
    makeCert({ names: [UP], days: 20 }),
    makeCert({ names: [OTHER], days: 40 }),
  ]);
  b = await startBerth({
    BERTH_HTTP_PORT: String(await freePort()),
    BERTH_HTTPS_PORT: String(httpsPort),
    BERTH_PROXY_IMAGE: "local/caddy:2",
    BERTH_PROXY_SYNC_INTERVAL: "1",
  });
  expect((await b.api("POST", "/api/v1/orgs", { slug: ORG })).status).toBe(201);
  token = (await b.api("POST", `/api/v1/orgs/${ORG}/tokens`, { name: "owner", role: "owner" })).body.token;
  const r = await b.cli([
    ...["--org", ORG, "deploy", "--image", "local/httpd:1", "--name", "web", "--port", "8080"],
    ...["-e", "MESSAGE=hello over upload"],
  ]);
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await b?.stop();
});

describe("uploaded certificates", () => {
  it("serves the uploaded certificate for its host over HTTPS with SNI", async () => {
    const add = await b.cli([
      ...["--org", ORG, "domain", "add", UP, "--stack", "web", "--service", "web", "--port", "8080"],
      ...["--tls", "upload", "--cert", file("up.pem", upCert.cert), "--key", file("up.key", upCert.key)],
    ]);
    expect(add.code, add.stderr).toBe(0);
    const want = new X509Certificate(upCert.cert);
    const got = await until("the uploaded certificate served", async () => {
      const c = await served(UP);
      return c.fingerprint256 === want.fingerprint256 ? c : undefined;
    });
    expect(got.subjectAltName).toBe(`DNS:${UP}`);
    // HTTPS that verifies against the uploaded certificate itself (self-signed: it is its own root).
    expect(await get(UP, upCert.cert)).toEqual({ status: 200, body: "hello over upload\n" });
  }, 120_000);

  it.each([
    [
      "a certificate for another host",
      () => ({ cert: otherCert.cert, key: otherCert.key }),
      /^certificate\.cert: does not cover/,
    ],
    [
      "a key that is not the certificate's",
      () => ({ cert: otherCert.cert, key: upCert.key }),
      /^certificate\.key: does not match/,
    ],
    ["garbage", () => ({ cert: "not a certificate", key: upCert.key }), /^certificate\.cert: holds no PEM/],
    ["no certificate at all", () => undefined, /^certificate: tls upload needs/],
  ])("refuses %s naming the field, and changes nothing", async (_what, certificate, message) => {
    // OTHER is what otherCert covers: only the key is wrong in that case.
    const host = /key/.test(String(message)) ? OTHER : `bad-${tag}.test`;
    const before = await domainsAsStored();
    const c = certificate();
    const r = await api("POST", "/api/v1/domains", {
      host,
      stack: "web",
      service: "web",
      port: 8080,
      tls: "upload",
      ...(c ? { certificate: c } : {}),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error.message).toMatch(message);
    expect(JSON.stringify(r.body)).not.toContain(upCert.key.split("\n")[1]!);
    expect(await domainsAsStored()).toEqual(before);
  });

  it("the CLI refuses a bad upload with exit 2; a renewal replaces the served certificate", async () => {
    const bad = await b.cli([
      ...["--org", ORG, "domain", "cert", UP, "--cert", file("o.pem", otherCert.cert)],
      ...["--key", file("o.key", otherCert.key)],
    ]);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/certificate\.cert: does not cover/);
    const renewed = await makeCert({ names: [UP, `www.${UP}`], days: 60 });
    const ok = await b.cli([
      ...["--org", ORG, "domain", "cert", UP, "--cert", file("r.pem", renewed.cert)],
      ...["--key", file("r.key", renewed.key), "--json"],
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).not.toHaveProperty("key");
    expect((await served(UP)).fingerprint256).toBe(new X509Certificate(renewed.cert).fingerprint256);
    upCert = renewed;
  }, 60_000);

  it("keeps the key sealed: not in the database in the clear, not in any answer, not in the log", async () => {
    const keyLine = upCert.key.split("\n")[1]!;
    const ls = await b.cli(["--org", ORG, "domain", "ls", "--json"]);
    expect(ls.stdout).not.toContain(keyLine);
    expect(ls.stdout).not.toContain("PRIVATE KEY");
    const log = readFileSync(join(b.dataDir, "berth.log"), "utf8");
    expect(log).not.toContain(keyLine);
    expect(log).not.toContain("PRIVATE KEY");
    // The embedded database's files (and all else in the data directory): no line of the key.
    const grep = await exec("grep", ["-rlF", "-D", "skip", keyLine, b.dataDir]).catch(
      (err: { code?: number; stdout?: string }) => (err.code === 1 ? { stdout: "" } : Promise.reject(err)),
    );
    expect(grep.stdout).toBe("");
  });
});

describe("certificate status", () => {
  it("domain ls and GET /domains show what the proxy serves: status, issuer, expiry", async () => {
    const add = await b.cli([
      ...["--org", ORG, "domain", "add", INTERNAL, "--stack", "web", "--service", "web", "--port", "8080"],
      ...["--tls", "internal"],
    ]);
    expect(add.code, add.stderr).toBe(0);
    const want = new X509Certificate(upCert.cert);
    const domains = await until(
      "both certificates checked",
      async () => {
        const ds = (await api("GET", "/api/v1/domains")).body.domains as any[];
        return ds.every((d) => d.certificate?.status === "valid") ? ds : undefined;
      },
      60_000,
    );
    const up = domains.find((d) => d.host === UP);
    expect(up.certificate).toMatchObject({ status: "valid", error: null });
    expect(new Date(up.certificate.notAfter).getTime()).toBe(new Date(want.validTo).getTime());
    expect(up.certificate.issuer).toContain(`CN=${UP}`);
    const internal = domains.find((d) => d.host === INTERNAL);
    expect(internal.certificate.issuer).toMatch(/Caddy Local Authority/);
    // What is served really is Caddy's: the handshake gives the same expiry.
    expect(new Date(internal.certificate.notAfter).getTime()).toBe(
      new Date((await served(INTERNAL)).validTo).getTime(),
    );
    const ls = await b.cli(["--org", ORG, "domain", "ls"]);
    expect(ls.stdout).toMatch(/CERTIFICATE/);
    expect(ls.stdout).toContain(
      `valid until ${want.validTo ? new Date(want.validTo).toISOString().slice(0, 10) : ""} (${UP})`,
    );
  }, 90_000);

  it("/metrics has the seconds until each served certificate expires, by organization and host", async () => {
    const res = await fetch(`${b.url}/metrics`, { headers: { authorization: `Bearer ${b.token}` } });
    const text = await res.text();
    const line = text
      .split("\n")
      .find((l) => l.startsWith(`berth_certificate_expiry_seconds{org="${ORG}",host="${UP}"}`));
    expect(line, text.slice(0, 2000)).toBeDefined();
    const seconds = Number(line!.split(" ").at(-1));
    const want = (new Date(new X509Certificate(upCert.cert).validTo).getTime() - Date.now()) / 1000;
    expect(Math.abs(seconds - want)).toBeLessThan(120);
    expect(text).toMatch(
      new RegExp(`berth_certificate_expiry_seconds\\{org="${ORG}",host="${INTERNAL}"\\} \\d+`),
    );
  });
});

describe("on-demand TLS", () => {
  /** The ask endpoint as Caddy calls it, from inside the proxy's container (its loopback). */
  async function ask(domain: string): Promise<string> {
    const [svc] = (await d.listServices({
      filters: { label: [`berth.instance=${b.instance}`, "berth.org=berth-system", "berth.service=caddy"] },
    })) as { ID: string }[];
    const [c] = await d.listContainers({ filters: { label: [`com.docker.swarm.service.id=${svc!.ID}`] } });
    const script =
      'exec 3<>/dev/tcp/127.0.0.1/5454; printf "GET /ask?domain=%s HTTP/1.0\\r\\n\\r\\n" "$1" >&3; head -1 <&3';
    const out = await exec("docker", ["exec", c!.Id, "bash", "-c", script, "ask", domain]);
    return out.stdout.trim();
  }

  it("a routed host gets a certificate from the internal CA at its first handshake; an unrouted host gets none", async () => {
    const host = `od-${tag}.test`;
    const add = await b.cli([
      ...["--org", ORG, "domain", "add", host, "--stack", "web", "--service", "web", "--port", "8080"],
      ...["--tls", "internal", "--no-wait"],
    ]);
    expect(add.code, add.stderr).toBe(0);
    const cert = await until("the on-demand certificate", async () => served(host), 60_000);
    expect(cert.issuer).toMatch(/Caddy Local Authority/);
    expect(cert.checkHost(host)).toBe(host);
    expect(await ask(host)).toMatch(/^HTTP\/1\.[01] 200/);
    // Not routed: the ask says no, and the proxy completes no handshake for it.
    const nobody = `nobody-${tag}.test`;
    expect(await ask(nobody)).toMatch(/^HTTP\/1\.[01] 404/);
    await expect(served(nobody)).rejects.toThrow();
    // An uploaded certificate's host is not on demand; a removed route is no longer allowed.
    expect(await ask(UP)).toMatch(/^HTTP\/1\.[01] 404/);
    expect((await b.cli(["--org", ORG, "domain", "rm", host])).code).toBe(0);
    expect(await ask(host)).toMatch(/^HTTP\/1\.[01] 404/);
  }, 90_000);
});
