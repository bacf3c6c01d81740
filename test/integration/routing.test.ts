// Routing on the real swarm: Berth runs Caddy as a system stack on free host ports, two organizations
// route their own hosts to their own apps, unknown hosts get a plain 404, claims and bad input are
// refused before anything reaches Caddy, a removed route stops answering, the proxy comes back with
// every route after it is killed or emptied, internal TLS verifies against Caddy's root, and a
// tenant's task cannot reach Caddy's admin API.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOT_FOUND_BODY, proxyFeatures } from "../../src/plan/caddy-config.js";
import { MIGRATE_REQ_SYSCTL_PATH } from "../../src/plan/proxy-stack.js";
import { call, docker, freePort, startBerth, step, type TestBerth, until } from "../helpers/berth.js";
import { openWebSocket } from "../helpers/websocket.js";

const d = docker();
const tag = Date.now().toString(36).slice(-4);
const A = `ra${tag}`;
const B = `rb${tag}`;
const HOST_A = `a-${tag}.test`;
const HOST_B = `b-${tag}.test`;
let b: TestBerth;
let httpPort: number;
let httpsPort: number;
const tokens: Record<string, string> = {};

function get(
  host: string,
  path = "/",
  o: { tls?: boolean; ca?: string } = {},
): Promise<{ status: number; body: string; headers?: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const lib = o.tls ? https : http;
    const req = lib.request(
      {
        host: "127.0.0.1",
        port: o.tls ? httpsPort : httpPort,
        path,
        headers: { host },
        ...(o.tls ? { servername: host, ca: o.ca, agent: false } : { agent: false }),
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => {
          // Not enumerable: `toEqual({status, body})` stays as it was.
          const out = { status: res.statusCode ?? 0, body };
          Object.defineProperty(out, "headers", { value: res.headers, enumerable: false });
          resolve(out);
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** The admin API over its unix socket, as Berth reaches it (the test runs as root on the same host). */
function admin(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: join(b.dataDir, "proxy", "admin.sock"),
        method,
        path,
        setHost: false,
        headers: {
          Host: "",
          ...headers,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

const as = (org: string) => ({ token: tokens[org]! });
const addDomain = (org: string, body: Record<string, unknown>) =>
  call(b.url, "POST", "/api/v1/domains", { ...as(org), body });

async function caddyService(): Promise<{ ID: string; Spec: { Name: string } } | undefined> {
  const [svc] = (await d.listServices({
    filters: { label: [`berth.instance=${b.instance}`, "berth.org=berth-system", "berth.service=caddy"] },
  })) as { ID: string; Spec: { Name: string } }[];
  return svc;
}

async function caddyServiceName(): Promise<string> {
  const svc = await caddyService();
  expect(svc, "the proxy's service").toBeDefined();
  // Named after this installation, so a proxy volume left by another one never blocks it.
  expect(svc!.Spec.Name).toBe(`berth-system-${b.instance}_proxy_caddy`);
  return svc!.Spec.Name;
}

async function caddyContainer(): Promise<string | undefined> {
  const svc = await caddyService();
  if (!svc) return undefined;
  const list = await d.listContainers({ filters: { label: [`com.docker.swarm.service.id=${svc.ID}`] } });
  return list[0]?.Id;
}

beforeAll(async () => {
  httpPort = await freePort();
  httpsPort = await freePort();
  b = await startBerth({
    BERTH_HTTP_PORT: String(httpPort),
    BERTH_HTTPS_PORT: String(httpsPort),
    BERTH_PROXY_IMAGE: "local/caddy:2",
    BERTH_PROXY_SYNC_INTERVAL: "1",
    BERTH_DRIFT_INTERVAL: "2",
    // A sync whose proxy does not answer fails within seconds (the paused-proxy test).
    BERTH_PROXY_ADMIN_TIMEOUT: "5",
  });
  for (const org of [A, B]) {
    expect((await b.api("POST", "/api/v1/orgs", { slug: org })).status).toBe(201);
    const t = await b.api("POST", `/api/v1/orgs/${org}/tokens`, { name: "owner", role: "owner" });
    tokens[org] = t.body.token;
  }
  const deploys = await step(b, "the two organizations' deploys", 120_000, () =>
    Promise.all(
      [A, B].map((org) =>
        b.cli([
          ...["--org", org, "deploy", "--image", "local/httpd:1", "--name", "web", "--port", "8080"],
          ...["-e", `MESSAGE=hello from ${org}`, "--json"],
        ]),
      ),
    ),
  );
  for (const r of deploys) expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await b?.stop();
});

/** Whether this kernel can move a closing listener's queued connections on (Linux 5.14+). */
const MIGRATES = existsSync(MIGRATE_REQ_SYSCTL_PATH);
const migrateTitle = `resets no new connection while its config loads: the kernel hands a closing listener's queue on${
  MIGRATES ? "" : " (skipped: this kernel has no net.ipv4.tcp_migrate_req, Linux 5.14+)"
}`;

describe("routing", () => {
  it("routes each organization's host to its own app; unknown hosts get a plain 404", async () => {
    const a = await b.cli([
      "--org",
      A,
      "domain",
      "add",
      HOST_A,
      "--stack",
      "web",
      "--service",
      "web",
      "--port",
      "8080",
      "--tls",
      "off",
    ]);
    expect(a.code, a.stderr).toBe(0);
    const r = await addDomain(B, { host: HOST_B, stack: "web", service: "web", port: 8080, tls: "internal" });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    await until(
      "B's route",
      async () => (await get(HOST_B)).body.includes(`hello from ${B}`) || undefined,
      60_000,
    );
    expect(await get(HOST_A)).toEqual({ status: 200, body: `hello from ${A}\n` });
    const unknown = await get(`nobody-${tag}.test`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatch(/not found/);
    const ls = await b.cli(["--org", A, "domain", "ls", "--json"]);
    expect(JSON.parse(ls.stdout).domains.map((x: { host: string }) => x.host)).toEqual([HOST_A]);
  }, 180_000);

  it.skipIf(!MIGRATES)(
    migrateTitle,
    async () => {
      // Clients opening a new connection for every request to a route, while the proxy loads its
      // config again and again, as each route change makes it (POST /load, forced). Caddy replaces its
      // listening sockets at each load; without the proxy's net.ipv4.tcp_migrate_req, connections
      // queued on the socket it closes are reset.
      const container = await caddyContainer();
      const sysctl = await d.getContainer(container!).inspect();
      expect(sysctl.HostConfig.Sysctls).toEqual({ "net.ipv4.tcp_migrate_req": "1" });
      const config = JSON.parse((await admin("GET", "/config/")).text);
      let stop = false;
      let ok = 0;
      const errors: string[] = [];
      const client = async () => {
        while (!stop) {
          try {
            const r = await get(HOST_A);
            if (r.status === 200) ok++;
            else errors.push(`HTTP ${r.status}`);
          } catch (err) {
            errors.push((err as NodeJS.ErrnoException).code ?? (err as Error).message);
          }
        }
      };
      const clients = Array.from({ length: 16 }, client);
      let loads = 0;
      try {
        for (; loads < 60; loads++) {
          const r = await admin("POST", "/load", config, { "Cache-Control": "must-revalidate" });
          expect(r.status, r.text).toBe(200);
        }
      } finally {
        stop = true;
        await Promise.all(clients);
      }
      console.log(`${loads} loads, ${ok} requests answered, ${errors.length} failed`);
      expect(errors).toEqual([]);
      expect(ok).toBeGreaterThan(100);
    },
    180_000,
  );

  it("refuses another organization's host with a 409 that does not name the holder", async () => {
    const r = await addDomain(B, { host: HOST_A.toUpperCase(), stack: "web", service: "web", port: 8080 });
    expect(r.status).toBe(409);
    expect(r.text).not.toContain(A);
    const rm = await call(b.url, "DELETE", `/api/v1/domains/${HOST_A}`, as(B));
    expect(rm.status).toBe(404);
  });

  it.each([
    [{ host: "a.test:8080" }, "host"],
    [{ host: "https://x.test/" }, "host"],
    [{ host: "*.com" }, "host"],
    [{ port: 9999 }, "port"],
    [{ service: "nope" }, "service"],
    [{ stack: "nope" }, "stack"],
    [{ path: "api" }, "path"],
    [{ host: "*.w.x.test", tls: "acme" }, "tls"],
    // One host, one TLS mode (the proxy takes one certificate policy per host): A's host is tls off.
    [{ host: HOST_A, path: "/x", tls: "internal" }, "tls"],
  ])("refuses %j naming %s, and changes nothing", async (over, field) => {
    const before = (await call(b.url, "GET", "/api/v1/domains", as(A))).body;
    const r = await addDomain(A, {
      host: `x-${tag}.test`,
      stack: "web",
      service: "web",
      port: 8080,
      ...over,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error.message).toMatch(new RegExp(`^${field}: `));
    expect((await call(b.url, "GET", "/api/v1/domains", as(A))).body).toEqual(before);
  });

  it("a route the proxy does not take is not kept: the add fails, the host stays free, others serve", async () => {
    const host = `down-${tag}.test`;
    const id = await caddyContainer();
    expect(id).toBeDefined();
    await d.getContainer(id!).pause();
    let add: Awaited<ReturnType<typeof b.cli>>;
    try {
      add = await b.cli([
        ...["--org", A, "domain", "add", host, "--stack", "web", "--service", "web"],
        ...["--port", "8080", "--tls", "off"],
      ]);
    } finally {
      await d.getContainer(id!).unpause();
    }
    expect(add.code, add.stderr).toBe(1);
    expect(add.stderr).toMatch(/did not answer within 5 s; the route was not kept/);
    const ls = await b.cli(["--org", A, "domain", "ls", "--json"]);
    expect(JSON.parse(ls.stdout).domains.map((x: { host: string }) => x.host)).not.toContain(host);
    // The paused proxy still applies the load it was sent once it runs again; the sync Berth queues
    // after the failure takes the route out (within seconds, not at the next periodic check).
    await until("the host free again", async () => (await get(host)).status === 404 || undefined, 15_000);
    // Nothing holds the host: another organization takes it, and its app answers there.
    const r = await addDomain(B, { host, stack: "web", service: "web", port: 8080, tls: "off" });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    await until(
      "B at the freed host",
      async () => (await get(host)).body === `hello from ${B}\n` || undefined,
    );
    expect((await get(HOST_A)).body).toBe(`hello from ${A}\n`);
    expect((await call(b.url, "DELETE", `/api/v1/domains/${host}`, as(B))).status).toBe(200);
  }, 120_000);

  it("keeps the system namespace out of tenants' reach; platform admins list it", async () => {
    expect((await b.api("POST", "/api/v1/orgs", { slug: "berth-system" })).status).toBe(400);
    expect((await b.api("GET", "/api/v1/stacks", undefined, { "x-berth-org": "berth-system" })).status).toBe(
      404,
    );
    expect((await call(b.url, "GET", "/api/v1/system/stacks", as(A))).status).toBe(403);
    const orgs = await b.api("GET", "/api/v1/orgs");
    expect(JSON.stringify(orgs.body)).not.toContain("berth-system");
    const ps = await b.cli(["system", "ps", "--json"]);
    expect(ps.code, ps.stderr).toBe(0);
    const [proxy] = JSON.parse(ps.stdout).stacks;
    expect(proxy).toMatchObject({ name: "proxy", status: "succeeded" });
    expect(proxy.services[0]).toMatchObject({ name: "caddy", image: "local/caddy:2", running: 1 });
  });

  it("serves internal TLS that verifies against Caddy's own root", async () => {
    const ca = JSON.parse((await admin("GET", "/pki/ca/local")).text).root_certificate as string;
    expect(ca).toContain("BEGIN CERTIFICATE");
    const r = await until("TLS", async () => {
      const got = await get(HOST_B, "/", { tls: true, ca });
      return got.status === 200 ? got : undefined;
    });
    expect(r.body).toBe(`hello from ${B}\n`);
    await expect(get(HOST_B, "/", { tls: true })).rejects.toThrow(/certificate/);
  }, 90_000);

  it("a tenant's task reaches the proxy's HTTP port but not its admin API", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-probe-"));
    const file = join(dir, "probe.yml");
    const target = `tasks.${await caddyServiceName()}`;
    const script = [
      // `$$`: compose files interpolate `$`.
      `if echo | nc -w 3 ${target} 2019; then a=open; else a=closed; fi`,
      `if echo | nc -w 3 ${target} 80 >/dev/null; then h=open; else h=closed; fi`,
      `echo "admin:$$a http:$$h" > /www/index.html`,
      "exec /bin/httpd -f -p 8080 -h /www",
    ].join("; ");
    writeFileSync(
      file,
      `services:\n  probe:\n    image: local/httpd:1\n    command: ["/bin/sh", "-c", ${JSON.stringify(script)}]\n    ports: ["8080"]\n`,
    );
    const dep = await b.cli(["--org", A, "stack", "deploy", "-c", file, "--name", "probe"]);
    expect(dep.code, dep.stderr).toBe(0);
    const host = `probe-${tag}.test`;
    const add = await b.cli([
      "--org",
      A,
      "domain",
      "add",
      host,
      "--stack",
      "probe",
      "--service",
      "probe",
      "--port",
      "8080",
      "--tls",
      "off",
    ]);
    expect(add.code, add.stderr).toBe(0);
    const r = await until("probe page", async () => {
      const got = await get(host);
      return got.status === 200 ? got : undefined;
    });
    expect(r.body.trim()).toBe("admin:closed http:open");
  }, 120_000);

  it("a removed route stops answering", async () => {
    const rm = await b.cli(["--org", A, "domain", "rm", HOST_A]);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await get(HOST_A)).status).toBe(404);
    expect((await get(HOST_B)).status).toBe(200);
  });

  it("a proxy that comes back empty or is killed serves every route again", async () => {
    const serving = async () =>
      (await get(HOST_B)).body === `hello from ${B}\n` &&
      (await get(`probe-${tag}.test`)).body.startsWith("admin:") &&
      (await get(HOST_A)).status === 404;
    // A config without Berth's routes (what a fresh Caddy has): Caddy answers every host with an
    // empty 200 until the watch notices and the sync job pushes the routing table again.
    const empty = await admin("POST", "/load", {
      admin: { listen: "unix//run/berth-proxy/admin.sock" },
      apps: { http: { servers: { http: { listen: [":80"] } } } },
    });
    expect(empty.status).toBe(200);
    expect(await get(HOST_B)).toEqual({ status: 200, body: "" });
    await until("re-push after an empty config", async () => (await serving()) || undefined, 30_000);

    const before = await caddyContainer();
    expect(before).toBeDefined();
    await d.getContainer(before!).kill();
    await until(
      "a new Caddy container",
      async () => {
        const now = await caddyContainer();
        return now && now !== before ? now : undefined;
      },
      60_000,
    );
    await until("every route after the restart", async () => (await serving()) || undefined, 60_000);
  }, 150_000);

  it("the reconciler sees the proxy as deployed: no drift, never an orphan", async () => {
    const log = readFileSync(join(b.dataDir, "berth.log"), "utf8");
    const drift = log.split("\n").filter((l) => l.includes("drift between") && l.includes("berth-system"));
    expect(drift.slice(0, 2)).toEqual([]);
  });

  it("a proxy service removed with its config while Berth was down is back once it starts", async () => {
    expect((await b.cli(["down"])).code).toBe(0);
    const svc = (await caddyService()) as any;
    const configs = (svc.Spec.TaskTemplate.ContainerSpec.Configs ?? []) as { ConfigName: string }[];
    expect(configs.length).toBeGreaterThan(0);
    await d.getService(svc.ID).remove();
    await until(
      "the old proxy's container gone",
      async () =>
        (await d.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${svc.ID}`] } }))
          .length === 0 || undefined,
    );
    for (const c of configs) {
      await until("the proxy's config free to remove", async () => {
        await d.getConfig(c.ConfigName).remove();
        return true;
      });
    }
    const up = await b.cli(["up", "--detach"]);
    expect(up.code, up.stderr).toBe(0);
    await until(
      "the proxy serving again",
      async () => (await get(HOST_B)).body === `hello from ${B}\n` || undefined,
      90_000,
    );
  }, 180_000);
});

describe("route states", () => {
  const cliAs = (org: string, args: string[]) => b.cli(["--token", tokens[org]!, "--org", org, ...args]);

  it("maintenance answers 503 with the operator's message and Retry-After; activate serves again", async () => {
    const m = await cliAs(B, [
      ...["domain", "maintenance", HOST_B, "--message", "Back at {noon}, sorry"],
      ...["--retry-after", "120"],
    ]);
    expect(m.code, m.stderr).toBe(0);
    const r = await get(HOST_B);
    expect(r).toEqual({ status: 503, body: "Back at {noon}, sorry\n" });
    expect(r.headers?.["retry-after"]).toBe("120");
    const ls = JSON.parse((await cliAs(B, ["domain", "ls", "--json"])).stdout).domains;
    expect(ls[0]).toMatchObject({
      host: HOST_B,
      maintenance: { message: "Back at {noon}, sorry", retryAfter: 120 },
    });
    expect((await cliAs(B, ["domain", "activate", HOST_B])).code).toBe(0);
    expect(await get(HOST_B)).toEqual({ status: 200, body: `hello from ${B}\n` });
    // Another organization's host is not found, and bad input is refused naming the field.
    expect((await cliAs(A, ["domain", "maintenance", HOST_B])).code).toBe(3);
    const bad = await call(b.url, "PUT", `/api/v1/domains/${HOST_B}/maintenance`, {
      ...as(B),
      body: { message: "x", retryAfter: -1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^retryAfter: /);
  }, 90_000);

  it("suspend --all answers every route with 503 at once, per organization or everywhere; resume restores exactly", async () => {
    const probe = `probe-${tag}.test`;
    // B's route is in maintenance before the incident: after it, it must be in maintenance again.
    expect((await cliAs(B, ["domain", "maintenance", HOST_B, "--message", "planned work"])).code).toBe(0);
    const one = await cliAs(A, ["routes", "suspend", "--all", "--message", "incident A"]);
    expect(one.code, one.stderr).toBe(0);
    expect(await get(probe)).toEqual({ status: 503, body: "incident A\n" });
    expect((await get(HOST_B)).body).toBe("planned work\n");
    // Across organizations only for platform admins.
    const denied = await call(b.url, "POST", "/api/v1/system/routes/suspend", as(A));
    expect(denied.status).toBe(403);
    const all = await b.cli(["routes", "suspend", "--all", "--message", "incident", "--retry-after", "60"], {
      BERTH_ORG: "",
    });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/of every organization/);
    for (const h of [probe, HOST_B]) {
      const r = await get(h);
      expect(r).toEqual({ status: 503, body: "incident\n" });
      expect(r.headers?.["retry-after"]).toBe("60");
    }
    const domainsB = (await call(b.url, "GET", "/api/v1/domains", as(B))).body.domains;
    expect(domainsB.map((x: { host: string }) => x.host)).toEqual([HOST_B]);
    const resume = await b.cli(["routes", "resume", "--all"], { BERTH_ORG: "" });
    expect(resume.code, resume.stderr).toBe(0);
    expect((await get(probe)).body).toMatch(/^admin:/);
    expect(await get(HOST_B)).toEqual({ status: 503, body: "planned work\n" });
    expect((await cliAs(B, ["domain", "activate", HOST_B])).code).toBe(0);
    expect((await get(HOST_B)).body).toBe(`hello from ${B}\n`);
  }, 120_000);
});

describe("service domains", () => {
  const host = `app-${tag}.test`;

  it("deploy --domain routes the port through the proxy and publishes no host port for it", async () => {
    const r = await b.cli([
      ...["--org", A, "deploy", "--image", "local/httpd:1", "--name", "dom", "--port", "8080"],
      ...["-e", "MESSAGE=dom one", "--domain", host, "--domain-tls", "off", "--json"],
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.urls).toEqual([`http://${host}/`]);
    // The CLI returned once the proxy serves it.
    expect(await get(host)).toEqual({ status: 200, body: "dom one\n" });
    const [svc] = (await d.listServices({
      filters: { label: [`berth.instance=${b.instance}`, `berth.org=${A}`, "berth.stack=dom"] },
    })) as { Spec: { EndpointSpec?: { Ports?: unknown[] } } }[];
    expect(svc!.Spec.EndpointSpec?.Ports ?? []).toEqual([]);
    const ls = JSON.parse((await b.cli(["--org", A, "domain", "ls", "--json"])).stdout).domains;
    expect(ls.find((x: { host: string }) => x.host === host)).toMatchObject({
      stack: "dom",
      source: "stack",
      status: "active",
    });
    // The stack owns it: `domain rm` refuses, pointing at the stack.
    const rm = await b.cli(["--org", A, "domain", "rm", host]);
    expect(rm.code).toBe(4);
    expect(rm.stderr).toMatch(/routed by stack 'dom'/);
  }, 120_000);

  it("another organization cannot deploy a host that is held: 409 without the holder, nothing recorded", async () => {
    const r = await call(b.url, "POST", "/api/v1/deployments", {
      ...as(B),
      body: { name: "dom", image: "local/httpd:1", port: 8080, domains: [host.toUpperCase()] },
    });
    expect(r.status).toBe(409);
    expect(r.text).not.toContain(A);
    expect((await call(b.url, "GET", "/api/v1/stacks/dom/history", as(B))).status).toBe(404);
  });

  it("a compose stack's x-berth-domains follow its deployments; stack rm removes its routes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-dom-"));
    const file = join(dir, "stack.yml");
    const v1 = `cmp-${tag}.test`;
    const v2 = `cmp2-${tag}.test`;
    const write = (h: string, path: string) =>
      writeFileSync(
        file,
        [
          "services:",
          "  web:",
          "    image: local/httpd:1",
          "    environment: { MESSAGE: compose }",
          "    x-berth-domains:",
          `      - { host: ${h}, port: 8080, tls: "off"${path ? `, path: ${path}` : ""} }`,
          "",
        ].join("\n"),
      );
    write(v1, "");
    const one = await b.cli(["--org", A, "stack", "deploy", "-c", file, "--name", "cmp"]);
    expect(one.code, one.stderr).toBe(0);
    expect(await get(v1)).toEqual({ status: 200, body: "compose\n" });
    write(v2, "/v2");
    const two = await b.cli(["--org", A, "stack", "deploy", "-c", file, "--name", "cmp"]);
    expect(two.code, two.stderr).toBe(0);
    // The proxy's own 404 (no route) for the old host and outside the new path; inside it, the
    // app's (busybox has no /v2 page).
    expect((await get(v1)).body).toBe(NOT_FOUND_BODY);
    expect((await get(v2, "/")).body).toBe(NOT_FOUND_BODY);
    const inside = await get(v2, "/v2/");
    expect(inside.status).toBe(404);
    expect(inside.body).not.toBe(NOT_FOUND_BODY);
    // A removal ends once the proxy no longer serves the stack's routes: its own 404 at once.
    const rm = await b.cli(["--org", A, "rm", "cmp"]);
    expect(rm.code, rm.stderr).toBe(0);
    expect(await get(v2, "/v2/")).toMatchObject({ status: 404, body: NOT_FOUND_BODY });
    const rmDom = await b.cli(["--org", A, "rm", "dom"]);
    expect(rmDom.code, rmDom.stderr).toBe(0);
    expect(await get(host)).toMatchObject({ status: 404, body: NOT_FOUND_BODY });
    const ls = JSON.parse((await b.cli(["--org", A, "domain", "ls", "--json"])).stdout).domains;
    expect(ls.map((x: { host: string }) => x.host)).not.toContain(host);
  }, 180_000);
});

describe("websockets through the proxy", () => {
  it("a websocket stays open through another route's rolling update; a route change keeps it where Caddy can", async () => {
    const host = `ws-${tag}.test`;
    const dep = await b.cli([
      ...["--org", A, "deploy", "--image", "local/ws-echo:1", "--name", "ws", "--port", "8080"],
      ...["--domain", host, "--domain-tls", "off", "--json"],
    ]);
    expect(dep.code, dep.stderr).toBe(0);
    const ws = await openWebSocket({ port: httpPort, host });
    ws.send("one");
    expect(await ws.next()).toBe("one");

    // Another route's service rolls to new tasks (start-first): the proxy's config does not change.
    const update = await b.cli([
      ...["--org", B, "deploy", "--image", "local/httpd:1", "--name", "web", "--port", "8080"],
      ...["-e", `MESSAGE=hello again from ${B}`, "--json"],
    ]);
    expect(update.code, update.stderr).toBe(0);
    await until(
      "B's new tasks",
      async () => (await get(HOST_B)).body === `hello again from ${B}\n` || undefined,
    );
    ws.send("two");
    expect(await ws.next()).toBe("two");
    expect(ws.open).toBe(true);

    // A route change: the proxy loads a new config.
    const version = readFileSync(join(b.dataDir, "proxy", "caddy-version"), "utf8");
    const add = await b.cli([
      ...["--org", A, "domain", "add", `wsother-${tag}.test`, "--stack", "web", "--service", "web"],
      ...["--port", "8080", "--tls", "off"],
    ]);
    expect(add.code, add.stderr).toBe(0);
    expect((await get(`wsother-${tag}.test`)).body).toBe(`hello from ${A}\n`);
    if (proxyFeatures(version).streamCloseDelay) {
      // Caddy 2.7+: Berth's config keeps upgraded connections open across loads (stream_close_delay).
      ws.send("three");
      expect(await ws.next()).toBe("three");
      expect(ws.open).toBe(true);
    } else {
      // Caddy 2.6 (Debian's, the local image) closes upgraded connections on every load and has no
      // setting against it: the client sees the close and reconnects at once.
      await until("the close after the load", async () => !ws.open || undefined, 10_000);
      const again = await openWebSocket({ port: httpPort, host });
      again.send("three");
      expect(await again.next()).toBe("three");
      again.close();
    }
    ws.close();
  }, 180_000);
});
