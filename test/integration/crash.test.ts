// Faults during deployments on the real swarm: the control plane SIGKILLed at random moments
// (12 rounds), dockerd restarted, PostgreSQL restarted. Afterwards every acknowledged deployment has
// finished, every job has ended, and Swarm runs exactly what the database says: nothing lost,
// duplicated or orphaned.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import {
  docker,
  ROOT,
  removeStacks,
  stackPrefix,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";
import { freshPostgres, POSTGRES_URL, type TestDatabase } from "../helpers/databases.js";

const exec = promisify(execFile);
const d = docker();
const prefix = stackPrefix("x");
const started: TestBerth[] = [];

afterAll(async () => {
  for (const b of started) await b.stop().catch(() => {});
  await removeStacks(d, prefix);
}, 120_000);

async function boot(env: NodeJS.ProcessEnv = {}): Promise<TestBerth> {
  const b = await startBerth({ BERTH_AUTO_REPAIR: "off", ...env });
  started.push(b);
  return b;
}

function pidOf(b: TestBerth): number {
  return JSON.parse(readFileSync(join(b.dataDir, "server.json"), "utf8")).pid;
}

const api = (b: TestBerth, method: string, path: string, body?: unknown) => b.api(method, path, body);

/**
 * A two-service stack; `tag` goes into each service's env so every round changes something. The
 * services publish nothing (workers): no host port forces a stop-first update and no health check
 * is waited for, and updates are watched for 1 s. What the rounds check (nothing lost, duplicated
 * or orphaned) does not depend on how long a task takes to start.
 */
const update = { monitor: "1s" };
const stackBody = (name: string, tag: string) => ({
  name,
  services: [
    { name: "web", image: "local/httpd:1", env: { MESSAGE: tag }, update },
    { name: "api", image: "local/httpd:1", env: { MESSAGE: tag }, update },
  ],
});

/** Waits until these deployments and all jobs have ended; returns the deployments. */
async function settle(b: TestBerth, ids: string[], timeoutMs = 120_000) {
  const look = async () => {
    const deps = await Promise.all(
      ids.map(async (id) => (await api(b, "GET", `/api/v1/deployments/${id}`)).body.deployment),
    );
    const jobs = (await api(b, "GET", "/api/v1/jobs?limit=200")).body.jobs as any[];
    const open = jobs.filter((j) => j.status === "queued" || j.status === "running");
    return { deps, open };
  };
  try {
    return await until(
      "every deployment and job to end",
      async () => {
        const { deps, open } = await look();
        return deps.every((x) => ["succeeded", "failed", "rolled_back"].includes(x.status)) &&
          open.length === 0
          ? deps
          : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    // Say what is still open, with its job's log, so that a failure explains itself.
    const { deps, open } = await look().catch(() => ({ deps: [], open: [] }));
    const stories = await Promise.all(
      [...deps.filter((x: any) => !["succeeded", "failed", "rolled_back"].includes(x?.status)), ...open].map(
        (x: any) => story(b, x.jobId ? x : { jobId: x.id, reason: `${x.type} job ${x.status}` }),
      ),
    );
    throw new Error(`${(err as Error).message}\n${stories.join("\n")}`);
  }
}

/** The deployment's reason plus its job's log, for an assertion message that explains a failure. */
async function story(b: TestBerth, dep: any): Promise<string> {
  if (!dep.jobId) return dep.reason;
  const job = (await api(b, "GET", `/api/v1/jobs/${dep.jobId}`)).body;
  const lines = (job.logs ?? []).map((l: any) => `  ${l.at ?? ""} ${l.message}`).join("\n");
  return `${dep.reason}\njob ${dep.jobId} (attempts ${job.job?.attempts}):\n${lines}`;
}

/** Swarm runs exactly what the database's latest deployments say, for stacks under `prefix`. */
async function expectSwarmMatches(b: TestBerth, stackPrefixes: string) {
  const stacks = ((await api(b, "GET", "/api/v1/stacks")).body.stacks as any[]).filter((s) =>
    s.name.startsWith(stackPrefixes),
  );
  const all: any[] = await (d.listServices as any)({ filters: { label: ["berth.managed=true"] } });
  const live = all.filter((s) => (s.Spec.Labels["berth.stack"] ?? "").startsWith(stackPrefixes));
  const seen = new Map<string, number>();
  for (const s of live) {
    const key = `${s.Spec.Labels["berth.stack"]}/${s.Spec.Labels["berth.service"]}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  for (const [key, n] of seen) expect(n, `duplicate services for ${key}`).toBe(1);
  const known = new Set(stacks.map((s) => s.name));
  for (const s of live) expect(known.has(s.Spec.Labels["berth.stack"]), `orphan ${s.Spec.Name}`).toBe(true);
  for (const stack of stacks) {
    const dep = (await api(b, "GET", `/api/v1/deployments/${stack.deploymentId}`)).body.deployment;
    expect(dep.status, `${stack.name}: ${dep.reason}`).toBe("succeeded");
    for (const svc of ["web", "api"]) {
      const s = live.find(
        (x) => x.Spec.Labels["berth.stack"] === stack.name && x.Spec.Labels["berth.service"] === svc,
      );
      expect(s, `${stack.name}/${svc} missing from Swarm`).toBeDefined();
      expect(s.Spec.Labels["berth.deployment"]).toBe(stack.deploymentId);
    }
  }
}

// 12 rounds: each kills at a random moment of two deploys (one creating a stack, one updating one),
// which covers the states a deploy passes through; each round costs ~14 s of the suite's budget.
const ROUNDS = 12;
describe(`the control plane SIGKILLed mid-deploy, ${ROUNDS} rounds`, () => {
  it("loses no acknowledged deployment and leaves no orphan or duplicate", async () => {
    const b = await boot();
    const acknowledged: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const names = [`${prefix}-k${round % 2}`, `${prefix}-n${round}`];
      const responses = await Promise.all(
        names.map((n) => api(b, "POST", "/api/v1/deployments", stackBody(n, `r${round}`))),
      );
      for (const r of responses) {
        expect(r.status).toBe(202);
        acknowledged.push(r.body.deployment.id);
      }
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 2500)));
      process.kill(pidOf(b), "SIGKILL");
      const up = await b.cli(["up", "--detach"]);
      expect(up.code, up.stderr).toBe(0);
      await settle(b, acknowledged.slice(-2));
      // Keep the swarm small: drop the round's new stack once it is verified.
      await expectSwarmMatches(b, `${prefix}-`);
      expect((await b.cli(["rm", names[1]!])).code).toBe(0);
    }
    // Every deploy job ended well (jobs outlive the stacks removed above).
    const jobs = (await api(b, "GET", "/api/v1/jobs?limit=200")).body.jobs as any[];
    const deploys = jobs.filter((j) => j.type === "deploy");
    expect(deploys).toHaveLength(acknowledged.length);
    expect(deploys.filter((j) => j.status !== "succeeded")).toEqual([]);
    // Leave the swarm as this test found it, for the tests after it.
    for (const k of [`${prefix}-k0`, `${prefix}-k1`]) expect((await b.cli(["rm", k])).code).toBe(0);
    await b.stop();
  }, 1_200_000);
});

describe("dockerd restarted mid-deploy", () => {
  it("finishes the deployment once the Engine is back, and the database matches Swarm", async () => {
    const b = await boot();
    const r = await api(b, "POST", "/api/v1/deployments", stackBody(`${prefix}-dockerd`, "before"));
    expect(r.status).toBe(202);
    await new Promise((res) => setTimeout(res, 300));
    await exec("bash", [
      "-c",
      "pkill -TERM -x dockerd; while pgrep -x dockerd >/dev/null; do sleep 0.2; done",
    ]);
    await exec(join(ROOT, "scripts/docker-up.sh"), [], { timeout: 120_000 });
    const [dep] = await settle(b, [r.body.deployment.id], 180_000);
    expect(dep.status, await story(b, dep)).toBe("succeeded");
    await expectSwarmMatches(b, `${prefix}-dockerd`);
    const ready = await fetch(`${b.url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await b.cli(["rm", `${prefix}-dockerd`])).code).toBe(0);
    await b.stop();
  }, 300_000);
});

const pgTitle = POSTGRES_URL
  ? "PostgreSQL restarted mid-deploy"
  : "PostgreSQL restarted mid-deploy (skipped: BERTH_TEST_DATABASE_URL is not set; scripts/test.sh sets it)";
describe.skipIf(!POSTGRES_URL)(pgTitle, () => {
  // Each test has a database of its own, so that no other control plane shares its job queue.
  const dbs: TestDatabase[] = [];
  async function freshUrl(): Promise<string> {
    const db = await freshPostgres();
    await db.database.close();
    dbs.push(db);
    return (db.target as { url: string }).url;
  }
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it("reports not ready while the database is down, then finishes the deployment", async () => {
    const b = await boot({ DATABASE_URL: await freshUrl() });
    const r = await api(b, "POST", "/api/v1/deployments", stackBody(`${prefix}-pg`, "before"));
    expect(r.status).toBe(202);
    await exec(join(ROOT, "scripts/postgres.sh"), ["stop"]);
    try {
      const ready = await fetch(`${b.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as any).checks.db).not.toBe("ok");
      await new Promise((res) => setTimeout(res, 2000));
    } finally {
      await exec(join(ROOT, "scripts/postgres.sh"), ["start"]);
    }
    const [dep] = await settle(b, [r.body.deployment.id], 180_000);
    expect(dep.status, await story(b, dep)).toBe("succeeded");
    await expectSwarmMatches(b, `${prefix}-pg`);
    expect((await b.cli(["rm", `${prefix}-pg`])).code).toBe(0);
    await b.stop();
  }, 300_000);

  it("picks up a job whose control plane was killed within 60 s (heartbeat), on PostgreSQL", async () => {
    const b = await boot({ DATABASE_URL: await freshUrl() });
    // Three tasks updated one at a time, each watched for 10 s by Swarm: a rollout of 30 s or more,
    // so the control plane dies in the middle of it.
    const worker = (tag: string) => ({
      name: `${prefix}-pgkill`,
      services: [{ name: "w", image: "local/httpd:1", replicas: 3, env: { MESSAGE: tag } }],
    });
    const first = await api(b, "POST", "/api/v1/deployments", worker("x"));
    await settle(b, [first.body.deployment.id]);
    const r = await api(b, "POST", "/api/v1/deployments", worker("y"));
    await until("the job to wait for Swarm", async () => {
      const j = (await api(b, "GET", `/api/v1/jobs/${r.body.jobId}`)).body.job;
      return j.status === "running" && j.progress >= 50 ? j : undefined;
    });
    const pid = pidOf(b);
    process.kill(pid, "SIGKILL");
    const killedAt = Date.now();
    expect((await b.cli(["up", "--detach"])).code).toBe(0);
    expect(pidOf(b)).not.toBe(pid);
    const [dep] = await settle(b, [r.body.deployment.id], 90_000);
    expect(dep.status, await story(b, dep)).toBe("succeeded");
    const job = (await api(b, "GET", `/api/v1/jobs/${r.body.jobId}`)).body.job;
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    const logs = (await api(b, "GET", `/api/v1/jobs/${r.body.jobId}`)).body.logs as any[];
    const retried = logs.find((l) => l.message === "attempt 2 of 6");
    expect(retried, "a second attempt").toBeDefined();
    expect(new Date(retried.at).getTime() - killedAt).toBeLessThan(60_000);
  }, 200_000);
});
