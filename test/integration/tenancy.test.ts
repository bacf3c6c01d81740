// Tenants on the real swarm: identity (first admin, login, tokens), every endpoint with every role,
// isolation between organizations (API and network traffic), quotas, the workload policy, secrets
// that never show, and the audit log.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  docker,
  freePort,
  laneHostPorts,
  run,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";

const exec = promisify(execFile);
const d = docker();
const ADMIN_PASSWORD = "correct-horse-battery";
const tag = Date.now().toString(36).slice(-4);
const A = `ta${tag}`;
const B = `tb${tag}`;

let b: TestBerth;
const tokens: Record<string, string> = {};

async function login(email: string, password: string) {
  const r = await call(b.url, "POST", "/api/v1/auth/login", { body: { email, password } });
  const cookie = (r.headers.get("set-cookie") ?? "").split(";")[0]!;
  // A change made with the session cookie carries the session's CSRF token (from /me).
  const me = r.status === 200 ? await call(b.url, "GET", "/api/v1/me", { cookie }) : undefined;
  return { ...r, cookie, csrf: { "x-berth-csrf": String(me?.body.csrfToken) } };
}

async function mkToken(org: string, role: string): Promise<string> {
  const r = await b.api("POST", `/api/v1/orgs/${org}/tokens`, { name: `${role}-${org}`, role });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.token;
}

/**
 * The swarm's services of this test's organizations, by label or by name (a service created without
 * Berth's labels would still be named after its organization). Other tests' control planes run beside
 * this one, so the rest of the swarm is theirs to change.
 */
async function swarmServices(): Promise<string[]> {
  const ours = (s: any) =>
    [A, B].includes(s.Spec.Labels?.["berth.org"]) || [A, B].some((o) => s.Spec.Name.startsWith(o));
  return ((await d.listServices()) as any[])
    .filter(ours)
    .map((s) => s.Spec.Name)
    .sort();
}

beforeAll(async () => {
  b = await startBerth({ BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD });
  for (const org of [A, B]) expect((await b.api("POST", "/api/v1/orgs", { slug: org })).status).toBe(201);
  for (const role of ["viewer", "deployer", "admin", "owner"])
    tokens[`${A}/${role}`] = await mkToken(A, role);
  tokens[`${B}/owner`] = await mkToken(B, "owner");
}, 120_000);

afterAll(async () => {
  for (const [org, token] of [
    [A, tokens[`${A}/owner`]],
    [B, tokens[`${B}/owner`]],
  ] as const) {
    const stacks = (await call(b.url, "GET", "/api/v1/stacks", { token })).body.stacks ?? [];
    for (const s of stacks) await call(b.url, "DELETE", `/api/v1/stacks/${s.name}?volumes=true`, { token });
    void org;
  }
  await b?.stop();
});

describe("identity", () => {
  it("creates the platform admin on first start from BERTH_ADMIN_PASSWORD, and signs in with a session cookie", async () => {
    const bad = await login("admin@berth.local", "wrong-password-123");
    expect(bad.status).toBe(401);
    expect(bad.body.error.message).toBe("wrong email or password");
    const ok = await login("admin@berth.local", ADMIN_PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("set-cookie")).toMatch(/HttpOnly/i);
    const me = await call(b.url, "GET", "/api/v1/me", { cookie: ok.cookie });
    expect(me.body).toMatchObject({ actor: "user:admin@berth.local", platformAdmin: true });
    // Without the CSRF token the session cookie changes nothing; with it, the session ends.
    const forged = await call(b.url, "POST", "/api/v1/auth/logout", { cookie: ok.cookie });
    expect(forged.status).toBe(403);
    expect((await call(b.url, "GET", "/api/v1/me", { cookie: ok.cookie })).status).toBe(200);
    await call(b.url, "POST", "/api/v1/auth/logout", { cookie: ok.cookie, headers: ok.csrf });
    expect((await call(b.url, "GET", "/api/v1/me", { cookie: ok.cookie })).status).toBe(401);
  });

  it("generates and prints a first admin password once when none is given", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "berth-it-"));
    const env = { BERTH_DATA_DIR: dataDir, BERTH_PORT: String(await freePort()) };
    try {
      const up = await run(["up", "--detach", "--json"], env);
      expect(up.code, up.stderr).toBe(0);
      const { initialAdmin } = JSON.parse(up.stdout);
      expect(initialAdmin.email).toBe("admin@berth.local");
      expect(initialAdmin.password.length).toBeGreaterThanOrEqual(20);
      expect(() => statSync(join(dataDir, "initial-admin-password"))).toThrow();
      expect(readFileSync(join(dataDir, "berth.log"), "utf8")).not.toContain(initialAdmin.password);
      const url = JSON.parse(readFileSync(join(dataDir, "server.json"), "utf8")).url;
      const ok = await call(url, "POST", "/api/v1/auth/login", { body: initialAdmin });
      expect(ok.status).toBe(200);
      await run(["down"], env);
      // Shown once: a restart does not show it again.
      const again = await run(["up", "--detach", "--json"], env);
      expect(JSON.parse(again.stdout).initialAdmin).toBeUndefined();
    } finally {
      await run(["down"], env);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("shows a token once, stores only its hash, and refuses it once revoked or expired", async () => {
    const created = await b.api("POST", `/api/v1/orgs/${A}/tokens`, { name: "ci", role: "viewer" });
    expect(created.body.token).toMatch(/^berth_/);
    const list = await b.api("GET", `/api/v1/orgs/${A}/tokens`);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect((await call(b.url, "GET", "/api/v1/stacks", { token: created.body.token })).status).toBe(200);
    expect((await b.api("DELETE", `/api/v1/orgs/${A}/tokens/${created.body.id}`)).status).toBe(200);
    const after = await call(b.url, "GET", "/api/v1/stacks", { token: created.body.token });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toMatch(/revoked/);
  });

  it("berth login stores a token for the CLI with mode 0600", async () => {
    expect(
      (
        await b.api("POST", "/api/v1/users", {
          email: `dev-${tag}@example.com`,
          password: "a-long-password-1",
        })
      ).status,
    ).toBe(201);
    expect(
      (await b.api("PUT", `/api/v1/orgs/${A}/members`, { email: `dev-${tag}@example.com`, role: "deployer" }))
        .status,
    ).toBe(200);
    const r = await b.cli(["--org", A, "login", "--email", `dev-${tag}@example.com`], { BERTH_PASSWORD: "" });
    // No password given: refused with exit 2 and nothing stored.
    expect(r.code).toBe(2);
    expect(() => statSync(String(b.env.BERTH_CREDENTIALS))).toThrow();
    const ok = await b.cli(["--org", A, "login", "--email", `dev-${tag}@example.com`], {
      BERTH_PASSWORD: "a-long-password-1",
    });
    expect(ok.code, ok.stderr).toBe(0);
    const path = String(b.env.BERTH_CREDENTIALS);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(path, "utf8"));
    expect(stored).toMatchObject({ org: A });
    // The CLI now acts as that deployer, in that organization.
    const ps = await b.cli(["ps", "--json"]);
    expect(ps.code).toBe(0);
    const audit = await b.cli(["audit", A]);
    expect(audit.code).toBe(6); // a deployer may not read the audit log
    expect((await b.cli(["logout"])).code).toBe(0);
  });

  it("lets a token grant no more than its creator's current role, and nothing once the creator leaves", async () => {
    const email = `member-${tag}@example.com`;
    expect((await b.api("POST", "/api/v1/users", { email, password: "a-long-password-2" })).status).toBe(201);
    expect((await b.api("PUT", `/api/v1/orgs/${A}/members`, { email, role: "deployer" })).status).toBe(200);
    const session = await login(email, "a-long-password-2");
    const created = await call(b.url, "POST", `/api/v1/orgs/${A}/tokens`, {
      cookie: session.cookie,
      headers: session.csrf,
      body: { name: "member-ci", role: "deployer" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const token = created.body.token as string;
    const services = [{ name: "tok", image: "local/httpd:1" }];
    const deploy = () =>
      call(b.url, "POST", "/api/v1/deployments", { token, body: { name: "tok", services } });
    const render = () =>
      call(b.url, "POST", "/api/v1/stacks/render", {
        token,
        body: { name: "tok", compose: { services: { tok: { image: "local/httpd:1" } } } },
      });
    const ok = await deploy();
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);

    // Demoted to viewer: the deployer token is a viewer's now.
    expect((await b.api("PUT", `/api/v1/orgs/${A}/members`, { email, role: "viewer" })).status).toBe(200);
    expect((await deploy()).status).toBe(403);
    expect((await render()).status).toBe(403);
    expect((await call(b.url, "GET", "/api/v1/stacks", { token })).status).toBe(200);

    // Removed: the token is revoked.
    expect((await b.api("DELETE", `/api/v1/orgs/${A}/members/${email}`)).status).toBe(200);
    const gone = await call(b.url, "GET", "/api/v1/stacks", { token });
    expect(gone.status).toBe(401);
    expect(gone.body.error.message).toMatch(/revoked/);
    const listed = (await b.api("GET", `/api/v1/orgs/${A}/tokens`)).body.tokens.find(
      (t: any) => t.id === created.body.id,
    );
    expect(listed.revokedAt).not.toBeNull();

    const entries = (await b.api("GET", `/api/v1/orgs/${A}/audit?limit=50`)).body.entries as any[];
    expect(
      entries.find((e) => e.action === "PUT /orgs/:org/members" && e.details.email === email),
    ).toMatchObject({
      details: { previous: "deployer", role: "viewer", cappedTokens: ["member-ci"] },
    });
    expect(entries.find((e) => e.action === "DELETE /orgs/:org/members/:email")).toMatchObject({
      target: `/api/v1/orgs/${A}/members/${email}`,
      details: { email, role: "viewer", revokedTokens: ["member-ci"] },
    });
    expect(entries.find((e) => e.action === "revoke token")).toMatchObject({
      actor: "admin-token",
      target: `/api/v1/orgs/${A}/tokens/${created.body.id}`,
      details: { name: "member-ci" },
    });
  });

  it("ignores a stale session cookie on public routes, and replaces it on sign-in", async () => {
    const stale = "berth_session=bs_not-a-session";
    const ok = await call(b.url, "POST", "/api/v1/auth/login", {
      cookie: stale,
      body: { email: "admin@berth.local", password: ADMIN_PASSWORD },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const cookie = (ok.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(cookie).toMatch(/^berth_session=bs_/);
    expect((await call(b.url, "GET", "/api/v1/me", { cookie })).status).toBe(200);
    // Signing in again ends the session the browser held.
    const again = await call(b.url, "POST", "/api/v1/auth/login", {
      cookie,
      body: { email: "admin@berth.local", password: ADMIN_PASSWORD },
    });
    expect(again.status).toBe(200);
    const old = await call(b.url, "GET", "/api/v1/me", { cookie });
    expect(old.status).toBe(401);
    expect(old.body.error.message).toBe("the session has expired; sign in again");
    expect((await call(b.url, "GET", "/api/v1/openapi.json", { cookie: stale })).status).toBe(200);
  });

  it("rate-limits login", async () => {
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await login("nobody@example.com", "wrong-password-123")).status);
    expect(codes).toContain(429);
    const limited = await login("nobody@example.com", "wrong-password-123");
    expect(limited.body.error.code).toBe("rate_limited");
  });
});

describe("every endpoint with every role", () => {
  // Each declared route is called with placeholder parameters and an empty body: what is checked is
  // who gets past the door (401 without credentials, 403 with too small a role), not the result.
  const RANK = ["viewer", "deployer", "admin", "owner"];
  it("admits exactly the roles each endpoint states", async () => {
    const doc = (await call(b.url, "GET", "/api/v1/openapi.json")).body;
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        path,
        method: method.toUpperCase(),
        access: op["x-berth-access"] as string,
      })),
    );
    expect(ops.length).toBeGreaterThan(25);
    const callers: [string, { token?: string }][] = [
      ["nobody", {}],
      ...RANK.map((r) => [r, { token: tokens[`${A}/${r}`]! }] as [string, { token: string }]),
      ["platform", { token: b.token }],
    ];
    const wrong: string[] = [];
    for (const op of ops) {
      if (op.path.endsWith("/logs") || op.path.endsWith("/events") || op.path.endsWith("/verify-isolation"))
        continue;
      const url = op.path
        .replace("/api/v1", "")
        .replace("{org}", A)
        .replace("{id}", "00000000-0000-4000-8000-000000000000")
        .replace("{name}", "nope")
        .replace("{email}", "nobody@example.com");
      for (const [who, cred] of callers) {
        const r = await call(b.url, op.method, `/api/v1${url}`, {
          ...cred,
          ...(op.method === "GET" || op.method === "DELETE" ? {} : { body: {} }),
        });
        let expected: "401" | "403" | "in";
        if (op.access === "public") expected = "in";
        else if (who === "nobody") expected = "401";
        else if (op.access === "signed-in") expected = "in";
        else if (op.access === "platform") expected = who === "platform" ? "in" : "403";
        else expected = who === "platform" || RANK.indexOf(who) >= RANK.indexOf(op.access) ? "in" : "403";
        const got = r.status === 401 ? "401" : r.status === 403 ? "403" : "in";
        if (op.path.endsWith("/auth/login") && r.status === 429) continue;
        if (got !== expected || r.status >= 500)
          wrong.push(`${op.method} ${op.path} as ${who}: ${r.status} (expected ${expected})`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});

describe("isolation between organizations", () => {
  it("hides another organization's stacks, deployments and jobs as not found", async () => {
    const r = await call(b.url, "POST", "/api/v1/deployments", {
      token: tokens[`${A}/deployer`],
      body: { name: "web", image: "local/httpd:1", port: 8080 },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const bTok = tokens[`${B}/owner`];
    for (const path of [
      "/api/v1/stacks/web",
      `/api/v1/deployments/${r.body.deployment.id}`,
      `/api/v1/jobs/${r.body.jobId}`,
      `/api/v1/orgs/${A}/members`,
    ]) {
      const seen = await call(b.url, "GET", path, { token: bTok });
      expect(seen.status, path).toBe(404);
    }
    // Naming the other organization in the header does not help a token scoped to its own.
    const forged = await call(b.url, "GET", "/api/v1/stacks", { token: bTok, headers: { "x-berth-org": A } });
    expect(forged.status).toBe(404);
    expect((await call(b.url, "GET", "/api/v1/stacks", { token: bTok })).body.stacks).toEqual([]);
    expect((await call(b.url, "DELETE", "/api/v1/stacks/web", { token: bTok })).status).toBe(404);
    await until(
      "A's stack to run",
      async () => {
        const s = (await call(b.url, "GET", "/api/v1/stacks/web", { token: tokens[`${A}/viewer`] })).body
          .stack;
        return s?.status === "succeeded" ? s : undefined;
      },
      120_000,
    );
    // Each organization's services join only its own network.
    const svc = (await (d.listServices as any)({ filters: { label: [`berth.org=${A}`] } })) as any[];
    const netA = ((await d.listNetworks({ filters: { name: [`berth-org-${A}`] } })) as any[])[0].Id;
    for (const s of svc) expect(s.Spec.TaskTemplate.Networks.map((n: any) => n.Target)).toEqual([netA]);
  }, 180_000);

  it("proves with real traffic: within an organization it connects, across organizations it does not", async () => {
    const r = await b.cli(["org", "verify-isolation", A, B, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.sameOrg.connected, report.sameOrg.detail).toBe(true);
    expect(report.crossOrg.connected, report.crossOrg.detail).toBe(false);
    expect(report.isolated).toBe(true);
    expect((await swarmServices()).filter((n) => n.startsWith("berth-probe-"))).toEqual([]);
  }, 240_000);
});

describe("quotas", () => {
  it("refuses a deployment over the quota with the numbers, and creates nothing", async () => {
    expect(
      (await b.api("PUT", `/api/v1/orgs/${B}/quota`, { memoryBytes: 512 * 1024 ** 2, services: 5 })).status,
    ).toBe(200);
    const before = await swarmServices();
    const r = await call(b.url, "POST", "/api/v1/deployments", {
      token: tokens[`${B}/owner`],
      body: { name: "big", image: "local/httpd:1", port: 8080, replicas: 3 },
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("quota_exceeded");
    expect(r.body.error.message).toBe("memory 0.8 GiB requested, 0.5 GiB left (quota 0.5 GiB)");
    expect(await swarmServices()).toEqual(before);
    expect((await call(b.url, "GET", "/api/v1/stacks", { token: tokens[`${B}/owner`] })).body.stacks).toEqual(
      [],
    );
    const usage = await b.cli(["org", "usage", B, "--json"]);
    expect(JSON.parse(usage.stdout)).toMatchObject({ usage: { services: 0 }, quota: { services: 5 } });
    // Within the quota it goes through.
    const small = await call(b.url, "POST", "/api/v1/deployments", {
      token: tokens[`${B}/owner`],
      // Two tasks, no published port (two tasks cannot publish one host port on one node).
      body: { name: "small", services: [{ name: "small", image: "local/httpd:1", replicas: 2 }] },
    });
    expect(small.status, JSON.stringify(small.body)).toBe(202);
    await until(
      "the small stack to run",
      async () => {
        const st = (await call(b.url, "GET", "/api/v1/stacks/small", { token: tokens[`${B}/owner`] })).body
          .stack;
        return st?.status === "succeeded" ? st : undefined;
      },
      120_000,
    );
  }, 180_000);
});

describe("workload policy", () => {
  const compose = (service: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name: "pol",
    compose: { services: { app: { image: "local/httpd:1", ...service } }, ...extra },
  });
  it.each([
    ["privileged mode", { privileged: true }, "services.app.privileged: privileged mode is not allowed"],
    [
      "added capabilities",
      { cap_add: ["NET_ADMIN"] },
      "services.app.cap_add: added capabilities are not allowed (NET_ADMIN)",
    ],
    ["devices", { devices: ["/dev/fuse:/dev/fuse"] }, "services.app.devices: host devices are not allowed"],
    [
      "the host network",
      { network_mode: "host" },
      "services.app.network_mode: the host's namespaces are not allowed",
    ],
    ["the host PID namespace", { pid: "host" }, "services.app.pid: the host's namespaces are not allowed"],
    [
      "a host bind mount",
      { volumes: ["/srv:/host-srv:ro"] },
      "services.app.volumes.0: bind mounts of host paths are not allowed (/srv); use a named volume",
    ],
    [
      "the Docker socket",
      { volumes: ["/var/run/docker.sock:/var/run/docker.sock"] },
      "services.app.volumes.0: the Docker socket is never mounted",
    ],
    [
      "placement on a given node",
      { deploy: { placement: { constraints: ["node.hostname == x"] } } },
      "services.app.deploy.placement.constraints: 'node.hostname == x' is not allowed",
    ],
    [
      "a host port outside the range",
      { ports: ["80:8080"] },
      `services.app.ports.0: host port 80 is outside the allowed range ${laneHostPorts()}`,
    ],
    [
      "no memory limit",
      { deploy: { resources: { limits: { memory: "0" } } } },
      "services.app.deploy.resources.limits.memory: a memory limit is required",
    ],
  ])("refuses %s with a clear message and creates nothing", async (_what, service, message) => {
    const before = await swarmServices();
    const r = await call(b.url, "POST", "/api/v1/stacks/deploy", {
      token: tokens[`${A}/owner`],
      body: compose(service),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body.error.code).toBe("policy_violation");
    expect(r.body.error.message).toContain(message);
    expect(await swarmServices()).toEqual(before);
  });

  it("refuses another organization's network named as external", async () => {
    const r = await call(b.url, "POST", "/api/v1/stacks/deploy", {
      token: tokens[`${A}/owner`],
      body: compose(
        { networks: ["theirs"] },
        { networks: { theirs: { external: true, name: `berth-org-${B}` } } },
      ),
    });
    expect(r.status).toBe(422);
    expect(r.body.error.message).toBe(
      `networks.theirs: external network 'berth-org-${B}' is not one of this organization's`,
    );
  });

  it("applies the same rules to the short form", async () => {
    const r = await call(b.url, "POST", "/api/v1/deployments", {
      token: tokens[`${A}/owner`],
      body: { name: "low", image: "local/httpd:1", port: 8080, publish: 80 },
    });
    expect(r.status).toBe(422);
    expect(r.body.error.message).toMatch(
      /^services\.low\.ports\.0: host port 80 is outside the allowed range \d+-\d+/,
    );
  });

  it("lets a platform admin lift a rule for one organization", async () => {
    const body = compose({ volumes: ["/srv:/host-srv:ro"] });
    expect(
      (await call(b.url, "POST", "/api/v1/stacks/render", { token: tokens[`${A}/owner`], body })).status,
    ).toBe(422);
    expect(
      (
        await call(b.url, "PUT", `/api/v1/orgs/${A}/policy`, {
          token: tokens[`${A}/owner`],
          body: { bindMounts: true },
        })
      ).status,
    ).toBe(403);
    expect((await b.api("PUT", `/api/v1/orgs/${A}/policy`, { bindMounts: true })).status).toBe(200);
    const r = await call(b.url, "POST", "/api/v1/stacks/render", { token: tokens[`${A}/owner`], body });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.services[0].TaskTemplate.ContainerSpec.Mounts[0]).toMatchObject({
      Type: "bind",
      Source: "/srv",
    });
    // Never the Docker socket, other tenants' volumes, the host's credentials or Berth's own data
    // (its master key), even then.
    for (const source of [
      "/var/run/docker.sock",
      "/var/lib/docker/volumes",
      "/var/lib",
      "/etc/shadow",
      b.dataDir,
      `${b.dataDir}/master.key`,
      "/tmp",
    ]) {
      const r = await call(b.url, "POST", "/api/v1/stacks/render", {
        token: tokens[`${A}/owner`],
        body: compose({ volumes: [`${source}:/s`] }),
      });
      expect(r.status, source).toBe(422);
      expect(r.body.error.message, source).toContain("is never mounted");
    }
    await b.api("PUT", `/api/v1/orgs/${A}/policy`, {});
  });

  it("lets a platform admin allow named capabilities for one organization, never ALL", async () => {
    const render = (cap_add: string[]) =>
      call(b.url, "POST", "/api/v1/stacks/render", {
        token: tokens[`${A}/owner`],
        body: compose({ cap_add }),
      });
    expect((await render(["NET_ADMIN"])).status).toBe(422);
    const all = await b.api("PUT", `/api/v1/orgs/${A}/policy`, { capabilities: ["NET_ADMIN", "ALL"] });
    expect(all.status).toBe(400);
    expect(all.body.error.message).toContain("capabilities.1");
    expect((await b.api("GET", `/api/v1/orgs/${A}/policy`)).body.policy.capabilities).toBeUndefined();
    const ok = await b.api("PUT", `/api/v1/orgs/${A}/policy`, { capabilities: ["cap_net_admin"] });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.policy.capabilities).toEqual(["NET_ADMIN"]);
    const r = await render(["net_admin"]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.services[0].TaskTemplate.ContainerSpec.CapabilityAdd).toEqual(["CAP_NET_ADMIN"]);
    const other = await render(["NET_ADMIN", "SYS_ADMIN"]);
    expect(other.status).toBe(422);
    expect(other.body.error.message).toContain(
      "services.app.cap_add: added capabilities are not allowed (SYS_ADMIN); allowed: NET_ADMIN",
    );
    await b.api("PUT", `/api/v1/orgs/${A}/policy`, {});
  });
});

describe("secrets", () => {
  it("delivers a secret only as a Docker secret: never in env, logs, job output or API responses", async () => {
    const canary = `canary-${tag}-7f3a9c`;
    const dir = b.dataDir;
    writeFileSync(
      join(dir, "stack.yml"),
      `services:\n  app:\n    image: local/httpd:1\n    secrets: [token]\nsecrets:\n  token:\n    file: ./token.txt\n`,
    );
    writeFileSync(join(dir, "token.txt"), canary);
    const r = await b.cli([
      "--token",
      tokens[`${A}/owner`]!,
      "stack",
      "deploy",
      "-c",
      join(dir, "stack.yml"),
      "--name",
      "sec",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(canary);
    const [svc] = (await (d.listServices as any)({
      filters: { label: [`berth.org=${A}`, "berth.stack=sec"] },
    })) as any[];
    expect(JSON.stringify(svc.Spec)).not.toContain(canary);
    const task = await until("the task", async () => {
      const tasks = (await (d.listTasks as any)({
        filters: { service: [svc.ID], "desired-state": ["running"] },
      })) as any[];
      return tasks.find((t) => t.Status.State === "running");
    });
    const { stdout } = await exec("docker", [
      "exec",
      task.Status.ContainerStatus.ContainerID,
      "cat",
      "/run/secrets/token",
    ]);
    expect(stdout).toBe(canary);
    const token = tokens[`${A}/owner`];
    const seen = [
      await call(b.url, "GET", "/api/v1/stacks", { token }),
      await call(b.url, "GET", `/api/v1/deployments/${JSON.parse(r.stdout).deployment.id}`, { token }),
      await call(b.url, "GET", `/api/v1/jobs/${JSON.parse(r.stdout).deployment.jobId}`, { token }),
      await call(b.url, "GET", "/api/v1/jobs", { token }),
      await call(b.url, "GET", `/api/v1/orgs/${A}/audit`, { token }),
    ];
    for (const s of seen) expect(s.text).not.toContain(canary);
    const rendered = await b.cli([
      "--token",
      token!,
      "stack",
      "render",
      "-c",
      join(dir, "stack.yml"),
      "--name",
      "sec",
    ]);
    expect(rendered.stdout).not.toContain(canary);
    expect(readFileSync(join(dir, "berth.log"), "utf8")).not.toContain(canary);
  }, 120_000);
});

describe("audit", () => {
  it("records who changed what, when and from where", async () => {
    // Rendering changes nothing, so it is not a change to record.
    const compose = { services: { web: { image: "local/httpd:1" } } };
    const render = await b.api(
      "POST",
      "/api/v1/stacks/render",
      { name: "web", compose },
      { "x-berth-org": A },
    );
    expect(render.status, JSON.stringify(render.body)).toBe(200);
    const r = await b.api("GET", `/api/v1/orgs/${A}/audit?limit=200`);
    expect((r.body.entries as any[]).filter((e) => e.action.startsWith("POST /stacks/render"))).toEqual([]);
    expect(r.status).toBe(200);
    const deploy = (r.body.entries as any[]).find((e) => e.action === "POST /deployments");
    expect(deploy).toMatchObject({
      actor: `token:deployer-${A}@${A}`,
      target: "/api/v1/deployments",
      sourceAddress: "127.0.0.1",
    });
    expect(new Date(deploy.at).getTime()).toBeGreaterThan(Date.now() - 3_600_000);
    const cli = await b.cli(["audit", A, "--json"]);
    expect(JSON.parse(cli.stdout).entries.length).toBeGreaterThan(3);
  });
});
