// No-op jobs: enqueue rate, throughput and enqueue-to-start latency of Berth's job queue (its own
// bookkeeping: job rows, attempts, status) beside bare pg-boss on the same kind of database, in the
// same run. Usage: tsx bench/jobs.ts [N]   (BERTH_TEST_DATABASE_URL adds a PostgreSQL run)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PgBoss } from "pg-boss";
import pino from "pino";
import { createJobQueue } from "../src/jobs/queue.js";
import { type Database, openDatabase } from "../src/store/db.js";
import { freshPostgres } from "../test/helpers/databases.js";
import { ms, now, percentile, table } from "./lib.js";

const N = Number(process.argv[2] ?? 500);
const log = pino({ level: "silent" });

interface Result {
  name: string;
  enqueuePerSec: number;
  throughput: number;
  startP50: number;
  startP99: number;
}

async function runBerth(database: Database, label: string): Promise<Result> {
  const q = createJobQueue({ database, log });
  const sentAt = new Map<string, number>();
  const waits: number[] = [];
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((r) => {
    finished = r;
  });
  q.register(
    "noop",
    async (ctx) => {
      waits.push(now() - sentAt.get(ctx.job.id)!);
      if (++done === N) finished();
    },
    { concurrency: 8 },
  );
  await q.start();
  const t0 = now();
  for (let i = 0; i < N; i++) {
    const id = crypto.randomUUID();
    sentAt.set(id, now());
    await q.enqueue({
      id,
      type: "noop",
      orgId: null,
      target: "bench",
      payload: {},
      correlationId: "bench",
      requestedBy: "bench",
    });
  }
  const t1 = now();
  await all;
  const t2 = now();
  await q.stop();
  return {
    name: `Berth jobs (${label})`,
    enqueuePerSec: N / ((t1 - t0) / 1000),
    throughput: N / ((t2 - t0) / 1000),
    startP50: percentile(waits, 50),
    startP99: percentile(waits, 99),
  };
}

async function runBare(database: Database, label: string): Promise<Result> {
  const boss = new PgBoss({ ...database.queueConnection(), schema: "bare", useListenNotify: true });
  boss.on("error", () => {});
  await boss.start();
  await boss.createQueue("noop", { notify: true });
  const sentAt = new Map<string, number>();
  const waits: number[] = [];
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((r) => {
    finished = r;
  });
  await boss.work(
    "noop",
    { localConcurrency: 8, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 1 },
    async ([j]) => {
      waits.push(now() - sentAt.get(j!.id)!);
      if (++done === N) finished();
    },
  );
  const t0 = now();
  for (let i = 0; i < N; i++) {
    const id = crypto.randomUUID();
    sentAt.set(id, now());
    await boss.send("noop", {}, { id });
  }
  const t1 = now();
  await all;
  const t2 = now();
  await boss.stop({ graceful: false, close: false });
  return {
    name: `bare pg-boss (${label})`,
    enqueuePerSec: N / ((t1 - t0) / 1000),
    throughput: N / ((t2 - t0) / 1000),
    startP50: percentile(waits, 50),
    startP99: percentile(waits, 99),
  };
}

const results: Result[] = [];
for (const backend of ["pglite", "postgres"] as const) {
  if (backend === "postgres" && !process.env.BERTH_TEST_DATABASE_URL) {
    console.log(
      "PostgreSQL run skipped: BERTH_TEST_DATABASE_URL is not set (scripts/postgres.sh start prints one)",
    );
    continue;
  }
  for (const run of [runBare, runBerth]) {
    if (backend === "pglite") {
      const dir = mkdtempSync(join(tmpdir(), "berth-bench-"));
      const database = await openDatabase({ kind: "pglite", dir: join(dir, "pgdata") });
      results.push(await run(database, "PGlite"));
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    } else {
      const t = await freshPostgres(process.env.BERTH_TEST_DATABASE_URL);
      results.push(await run(t.database, "PostgreSQL"));
      await t.drop();
    }
  }
}

console.log(`\n${N} no-op jobs, 8 workers\n`);
console.log(
  table([
    ["queue", "enqueue/s", "done/s", "enqueue->start p50", "p99"],
    ...results.map((r) => [
      r.name,
      r.enqueuePerSec.toFixed(0),
      r.throughput.toFixed(0),
      ms(r.startP50),
      ms(r.startP99),
    ]),
  ]),
);
