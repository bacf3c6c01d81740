// A running stack's environment and usage on the real swarm: `berth env set/unset/ls` on a short-form
// app (each change a new revision from the live one, the container gets the value), bad input refused
// (CLI exit 2, API 400) with nothing changed, a compose stack of two services edited by service, a
// stale base refused (409); per-container CPU and memory of the running task; the platform screens'
// API (nodes, an organization's policy) refused to an organization owner (403).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, docker, stackPrefix, startBerth, type TestBerth, until } from "../helpers/berth.js";

const d = docker();
const tag = stackPrefix("env");
const APP = `${tag}-app`;
const SHOP = `${tag}-shop`;
const OWNER = `owner-${tag}@example.com`;
const PASSWORD = "a-long-password-for-tests";
let b: TestBerth;

beforeAll(async () => {
  b = await startBerth();
}, 120_000);

afterAll(async () => {
  await b?.stop();
}, 120_000);

/** The Swarm service's environment, found by Berth's labels. */
async function swarmEnv(stack: string, service: string): Promise<string[]> {
  const all: any[] = await (d.listServices as any)({
    filters: { label: [`berth.instance=${b.instance}`, `berth.stack=${stack}`, `berth.service=${service}`] },
  });
  expect(all).toHaveLength(1);
  return all[0].Spec.TaskTemplate.ContainerSpec.Env ?? [];
}

async function settled(id: string): Promise<string> {
  return until("the deployment to end", async () => {
    const s = (await b.api("GET", `/api/v1/deployments/${id}`)).body.deployment;
    return ["pending", "running"].includes(s.status) ? undefined : s.status;
  });
}

describe("berth env", () => {
  it("sets, lists and unsets a short-form app's variables, each a new revision", async () => {
    // No health check: each of the three revisions below converges as soon as Swarm runs it.
    const r = await b.cli([
      "deploy",
      ...["--name", APP, "--image", "local/httpd:1", "--port", "8080", "-e", "MESSAGE=hi"],
      ...["--no-healthcheck", "--json"],
    ]);
    expect(r.code, r.stderr).toBe(0);
    const set = await b.cli(["env", "set", APP, "B=two words", "C=x=y", "--json"]);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      deployment: { revision: 2, status: "succeeded" },
      service: APP,
      base: 1,
      changes: { added: ["B", "C"], removed: [], changed: [] },
    });
    expect(await swarmEnv(APP, APP)).toEqual(expect.arrayContaining(["MESSAGE=hi", "B=two words", "C=x=y"]));
    const ls = await b.cli(["env", "ls", APP]);
    expect(ls.stdout.trim().split("\n")).toEqual(["B=two words", "C=x=y", "MESSAGE=hi"]);
    const unset = await b.cli(["env", "unset", APP, "MESSAGE"]);
    expect(unset.code, unset.stderr).toBe(0);
    expect(unset.stdout).toMatch(/revision 3 \(.*removed MESSAGE, from revision 2\) succeeded/);
    const env = await swarmEnv(APP, APP);
    expect(env).not.toContain("MESSAGE=hi");
    expect(env).toContain("B=two words");
  });

  it("refuses bad input (CLI exit 2, API 400 naming the field) and changes nothing", async () => {
    for (const args of [
      ["env", "set", APP, "NOEQUALS"],
      ["env", "set", APP, "1BAD=x"],
      ["env", "set", APP],
      ["env", "unset", APP, "NOT_THERE"],
    ]) {
      const r = await b.cli(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
    }
    for (const body of [
      { environment: { "BAD KEY": "x" } },
      { environment: { A: 1 } },
      { environment: {}, extra: true },
      { environment: { A: "x" }, service: "no such service" },
    ]) {
      const r = await b.api("PUT", `/api/v1/stacks/${APP}/env`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(JSON.stringify(r.body.error)).toMatch(/environment|service|extra/);
    }
    const h = (await b.api("GET", `/api/v1/stacks/${APP}/history`)).body;
    expect(h.revisions[0].revision).toBe(3);
  });

  it("edits one service of a compose stack, and refuses a stale base (409)", async () => {
    const r = await b.api("POST", "/api/v1/stacks/deploy", {
      name: SHOP,
      compose: {
        services: {
          web: { image: "local/httpd:1", environment: { MODE: "a" } },
          worker: { image: "local/httpd:1", environment: ["QUEUE=jobs"] },
        },
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(await settled(r.body.deployment.id)).toBe("succeeded");
    const several = await b.api("GET", `/api/v1/stacks/${SHOP}/env`);
    expect(several.status).toBe(400);
    expect(several.body.error.message).toMatch(/2 services \(web, worker\); name one/);
    const worker = await b.api("GET", `/api/v1/stacks/${SHOP}/env?service=worker`);
    expect(worker.body).toMatchObject({
      service: "worker",
      revision: 1,
      live: true,
      environment: { QUEUE: "jobs" },
    });
    const put = await b.api("PUT", `/api/v1/stacks/${SHOP}/env`, {
      service: "worker",
      environment: { QUEUE: "mail", EXTRA: "1" },
      base: 1,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(202);
    expect(put.body.changes).toEqual({ added: ["EXTRA"], removed: [], changed: ["QUEUE"] });
    expect(await settled(put.body.deployment.id)).toBe("succeeded");
    expect(await swarmEnv(SHOP, "worker")).toEqual(["EXTRA=1", "QUEUE=mail"]);
    expect(await swarmEnv(SHOP, "web")).toEqual(["MODE=a"]);
    const stale = await b.api("PUT", `/api/v1/stacks/${SHOP}/env`, {
      service: "web",
      environment: {},
      base: 1,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toMatch(/now runs revision 2, not 1/);
  });
});

describe("stack stats", () => {
  it("gives CPU % and memory of the running container, found by the stack's labels", async () => {
    const s = await until("a sample of the running container", async () => {
      const r = await b.api("GET", `/api/v1/stacks/${APP}/stats`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const running = r.body.containers.filter((c: any) => c.available);
      return running.length === 1 ? r.body : undefined;
    });
    const [c] = s.containers;
    expect(c).toMatchObject({ service: APP, available: true });
    expect(c.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(c.memoryBytes).toBeGreaterThan(0);
    // The short form's limit (the quota default) is the container's memory limit.
    expect(c.memoryLimitBytes).toBeGreaterThanOrEqual(c.memoryBytes);
    const inspected = await d.getContainer(c.containerId).inspect();
    expect(inspected.Config.Labels["berth.stack"]).toBe(APP);
    expect((await b.api("GET", "/api/v1/stacks/nope/stats")).status).toBe(404);
  });
});

describe("platform screens' API", () => {
  it("lists nodes and an organization's policy to the platform admin only", async () => {
    const nodes = await b.api("GET", "/api/v1/system/nodes");
    expect(nodes.status).toBe(200);
    const self = nodes.body.nodes.find((n: any) => n.self);
    expect(self).toMatchObject({ role: "manager", state: "ready" });
    expect(self.cpus).toBeGreaterThan(0);
    expect(self.engineVersion).toMatch(/^\d+\./);
    expect((await b.api("GET", "/api/v1/orgs/default/policy")).body).toEqual({ policy: {} });

    expect((await b.api("POST", "/api/v1/users", { email: OWNER, password: PASSWORD })).status).toBe(201);
    expect((await b.api("PUT", "/api/v1/orgs/default/members", { email: OWNER, role: "owner" })).status).toBe(
      200,
    );
    const login = await call(b.url, "POST", "/api/v1/auth/login", {
      body: { email: OWNER, password: PASSWORD },
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    for (const path of ["/api/v1/system/nodes", "/api/v1/orgs/default/policy"]) {
      const r = await call(b.url, "GET", path, { headers: { cookie } });
      expect(r.status, path).toBe(403);
    }
  });
});
