// The job queue (pg-boss on a real PGlite) and what it tells a job's type when a job ends without its
// handler finishing it: a last attempt that failed, a cancel while queued. A deploy job's deployment
// is then settled (`failed` or `cancelled` with the reason), never left `running`.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settleEndedDeployment } from "../../src/apply/deploy-queue.js";
import { Unavailable } from "../../src/domain/errors.js";
import { stackNamespace } from "../../src/domain/names.js";
import { createJobQueue, type JobEnd, type JobQueue } from "../../src/jobs/queue.js";
import { getJobById, type JobRow } from "../../src/store/jobs.js";
import { createDeployment, ensureOrg, getDeploymentById } from "../../src/store/stacks.js";
import { until } from "../helpers/berth.js";
import { freshPglite, type TestDatabase } from "../helpers/databases.js";

let t: TestDatabase;
let queue: JobQueue;
let orgId: string;
const ended: { job: JobRow; end: JobEnd }[] = [];
let release: () => void = () => {};
const attempts: number[] = [];
const briefRuns: { id: string; started: number; ended: number }[] = [];

beforeAll(async () => {
  t = await freshPglite();
  orgId = await ensureOrg(t.database.db, "acme");
  queue = createJobQueue({ database: t.database, log: pino({ level: "silent" }) });
  const onEnded = async (job: JobRow, end: JobEnd) => {
    ended.push({ job, end });
    await settleEndedDeployment({ db: t.database.db }, job, end);
  };
  // An engine that stays unreachable: a passing error on every attempt, until the last.
  queue.register(
    "flaky",
    async () => {
      throw new Unavailable("the Docker Engine did not answer");
    },
    { retryLimit: 0, onEnded },
  );
  // Holds one job running, so that the next one of the same target waits queued.
  queue.register(
    "held",
    () =>
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    { serialPerTarget: true, onEnded },
  );
  // A short job, one at a time per target: when each started and ended.
  queue.register(
    "brief",
    async (ctx) => {
      const started = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      briefRuns.push({ id: ctx.job.id, started, ended: Date.now() });
    },
    { serialPerTarget: true },
  );
  // Fails its first attempt, then succeeds: when each attempt started.
  queue.register(
    "once",
    async (ctx) => {
      attempts.push(Date.now());
      if (ctx.attempt === 1) throw new Unavailable("the Docker Engine did not answer");
    },
    { retryLimit: 2 },
  );
  await queue.start();
}, 60_000);

afterAll(async () => {
  release();
  await queue?.stop();
  await t?.drop();
});

async function deploymentFor(stack: string) {
  const id = crypto.randomUUID();
  const { deployment } = await createDeployment(t.database.db, {
    id: crypto.randomUUID(),
    orgId,
    namespace: stackNamespace("acme", stack),
    model: { org: "acme", name: stack, services: [] },
    requestedBy: "test",
    jobId: id,
  });
  return { jobId: id, deploymentId: deployment.id };
}

const enqueue = (type: string, target: string, payload: Record<string, unknown>, id?: string) =>
  queue.enqueue({
    type,
    orgId,
    target,
    payload,
    correlationId: "c",
    requestedBy: "test",
    ...(id ? { id } : {}),
  });

describe("a job that ends without its handler finishing it", () => {
  it("failed on its last attempt: its type hears why, and the deployment is failed, not left running", async () => {
    const { jobId, deploymentId } = await deploymentFor("web");
    await enqueue("flaky", "web", { deploymentId }, jobId);
    await until("the job to fail", async () => (await getJobById(t.database.db, jobId))?.status === "failed");
    await until("the type to hear of it", async () => ended.some((e) => e.job.id === jobId));
    expect(ended.find((e) => e.job.id === jobId)?.end).toEqual({
      status: "failed",
      error: "the Docker Engine did not answer",
    });
    const d = await getDeploymentById(t.database.db, deploymentId);
    expect(d?.status).toBe("failed");
    expect(d?.reason).toBe(
      "the deploy job failed: the Docker Engine did not answer; no revision has succeeded yet",
    );
  });

  it("cancelled while queued: the deployment is cancelled and its type hears it once", async () => {
    const first = await enqueue("held", "api", {});
    await until(
      "the first job to run",
      async () => (await getJobById(t.database.db, first.id))?.status === "running",
    );
    const { jobId, deploymentId } = await deploymentFor("api");
    await enqueue("held", "api", { deploymentId }, jobId);
    await queue.cancel(orgId, jobId);
    expect((await getJobById(t.database.db, jobId))?.status).toBe("cancelled");
    expect(ended.filter((e) => e.job.id === jobId).map((e) => e.end.status)).toEqual(["cancelled"]);
    expect((await getDeploymentById(t.database.db, deploymentId))?.status).toBe("cancelled");
    release();
    await until(
      "the first job to end",
      async () => (await getJobById(t.database.db, first.id))?.status === "succeeded",
    );
    expect(ended.some((e) => e.job.id === first.id)).toBe(false);
  });
});

describe("jobs queued behind short ones of their target", () => {
  it("each starts as soon as the one before it ends, not at the queue's next poll", async () => {
    // All three are queued before the first ends: the third's NOTIFY comes while the first runs,
    // and nothing announces it again when the second ends.
    const jobs: JobRow[] = [];
    for (let i = 0; i < 3; i++) jobs.push(await enqueue("brief", "site", {}));
    await until("all three to succeed", async () => {
      const rows = await Promise.all(jobs.map((j) => getJobById(t.database.db, j.id)));
      return rows.every((r) => r?.status === "succeeded");
    });
    const runs = jobs.map((j) => {
      const r = briefRuns.find((x) => x.id === j.id);
      if (!r) throw new Error(`job ${j.id} did not run`);
      return r;
    });
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.started).toBeGreaterThanOrEqual(runs[i - 1]!.ended);
      // Without a look at the queue when a job ends, the next would wait for the next poll (5 s).
      expect(runs[i]!.started - runs[i - 1]!.ended).toBeLessThan(1500);
    }
  });
});

describe("a job whose attempt failed", () => {
  it("runs again when its retry comes due (2 to 4 s later), not at the queue's next slow poll", async () => {
    const job = await enqueue("once", "w", {});
    await until(
      "the job to succeed",
      async () => (await getJobById(t.database.db, job.id))?.status === "succeeded",
    );
    expect(attempts).toHaveLength(2);
    const gap = attempts[1]! - attempts[0]!;
    // pg-boss delays the first retry by 2 s times 1 to 2; the worker looks every second of that span.
    expect(gap).toBeGreaterThanOrEqual(1900);
    expect(gap).toBeLessThan(4800); // the queue alone would look again only 5 s after the failure
  });
});
