// A certificate obtained end to end over ACME, without the internet: a private ACME CA (Caddy's
// `acme_server`, its own local CA) runs as a service on the organization's network; Berth's proxy is
// pointed at its directory (`BERTH_ACME_DIRECTORY`) and trusts its root (`BERTH_ACME_CA_ROOT`); the CA
// validates the challenge against the proxy; the HTTPS answer then verifies against the CA's root,
// which is not the proxy's own internal CA.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, freePort, stackPrefix, startBerth, type TestBerth, until } from "../helpers/berth.js";

const exec = promisify(execFile);
const d = docker();
const tag = stackPrefix("ac");
const ORG = tag;
const PLAIN = `plain-${tag}.test`;
const SECURE = `secure-${tag}.test`;
const CA_NAME = `acme-ca-${tag}`;
const CA_ROOT_IN_CONTAINER = "/root/.local/share/caddy/pki/authorities/local/root.crt";
const rootFile = join(mkdtempSync(join(tmpdir(), "berth-acme-")), "ca-root.pem");
let b: TestBerth;
let httpPort = 0;
let httpsPort = 0;

// The CA: Caddy's ACME server under the name the proxy resolves on the organization's network.
const CADDYFILE = `{
\tadmin off
}
acme-ca {
\ttls internal
\tacme_server
}
`;

function get(
  host: string,
  o: { tls?: boolean; ca?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const opts = {
      host: "127.0.0.1",
      port: o.tls ? httpsPort : httpPort,
      path: "/",
      headers: { host },
      servername: host,
      ...(o.ca ? { ca: o.ca } : {}),
      timeout: 5000,
    };
    const req = (o.tls ? httpsRequest : httpRequest)(opts, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

beforeAll(async () => {
  httpPort = await freePort();
  httpsPort = await freePort();
  b = await startBerth({
    BERTH_HTTP_PORT: String(httpPort),
    BERTH_HTTPS_PORT: String(httpsPort),
    BERTH_PROXY_IMAGE: "local/caddy:2",
    BERTH_ACME_DIRECTORY: "https://acme-ca/acme/local/directory",
    BERTH_ACME_CA_ROOT: rootFile,
    BERTH_ACME_EMAIL: "ops@example.test",
  });
  expect((await b.api("POST", "/api/v1/orgs", { slug: ORG })).status).toBe(201);
  const r = await b.cli([
    ...["--org", ORG, "deploy", "--image", "local/httpd:1", "--name", "web", "--port", "8080"],
    ...["-e", `MESSAGE=hello over acme`],
  ]);
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  for (const s of (await d.listServices({ filters: { label: [`berth.test-acme=${tag}`] } })) as any[])
    await d.getService(s.ID).remove();
  await b?.stop();
});

describe("ACME", () => {
  it("obtains a certificate end to end from a private ACME CA and serves HTTPS that verifies against its root", async () => {
    // A first route starts the proxy and joins it to the organization's network.
    const off = await b.cli([
      ...["--org", ORG, "domain", "add", PLAIN, "--stack", "web", "--service", "web", "--port", "8080"],
      ...["--tls", "off"],
    ]);
    expect(off.code, off.stderr).toBe(0);
    await until("the plain route", async () =>
      (await get(PLAIN).catch(() => undefined))?.status === 200 ? true : undefined,
    );

    // The proxy's address on the organization's network, for the CA's challenge requests.
    const [net] = (await d.listNetworks({
      filters: { label: [`berth.instance=${b.instance}`, `berth.org=${ORG}`] },
    })) as any[];
    const orgNet = net as { Id: string };
    const [proxy] = (await d.listServices({
      filters: { label: [`berth.instance=${b.instance}`, "berth.org=berth-system", "berth.service=caddy"] },
    })) as any[];
    const proxyIp = await until("the proxy's address on the organization's network", async () => {
      const tasks = (await d.listTasks({
        filters: { service: [proxy.ID], "desired-state": ["running"] },
      })) as any[];
      const att = tasks
        .flatMap((t) => t.NetworksAttachments ?? [])
        .find((a: any) => a.Network?.ID === orgNet.Id);
      return att?.Addresses?.[0]?.split("/")[0] as string | undefined;
    });

    await d.createService({
      Name: CA_NAME,
      Labels: { "berth.test-acme": tag },
      TaskTemplate: {
        ContainerSpec: {
          Image: "local/caddy:2",
          Command: [
            "sh",
            "-c",
            'printf "%s" "$CADDYFILE" > /tmp/Caddyfile && exec caddy run --adapter caddyfile --config /tmp/Caddyfile',
          ],
          Env: [`CADDYFILE=${CADDYFILE}`],
          Hosts: [`${proxyIp} ${SECURE}`],
        },
        Networks: [{ Target: orgNet.Id, Aliases: ["acme-ca"] }],
      },
      EndpointSpec: { Mode: "dnsrr" },
    } as any);
    const root = await until(
      "the CA's root certificate",
      async () => {
        const [c] = await d.listContainers({
          filters: { label: [`com.docker.swarm.service.name=${CA_NAME}`] },
        });
        if (!c) return undefined;
        const out = await exec("docker", ["exec", c.Id, "cat", CA_ROOT_IN_CONTAINER]).catch(() => undefined);
        return out?.stdout.includes("BEGIN CERTIFICATE") ? out.stdout : undefined;
      },
      90_000,
    );
    writeFileSync(rootFile, root);

    const add = await b.cli([
      ...["--org", ORG, "domain", "add", SECURE, "--stack", "web", "--service", "web", "--port", "8080"],
      ...["--tls", "acme"],
    ]);
    expect(add.code, add.stderr).toBe(0);
    const r = await until(
      "HTTPS with the ACME certificate",
      async () => {
        const got = await get(SECURE, { tls: true, ca: root }).catch(() => undefined);
        return got?.status === 200 ? got : undefined;
      },
      120_000,
    );
    expect(r.body).toBe("hello over acme\n");
    // Not some other certificate: without the CA's root, the handshake does not verify.
    await expect(get(SECURE, { tls: true })).rejects.toThrow(/certificate/);
  }, 300_000);
});
