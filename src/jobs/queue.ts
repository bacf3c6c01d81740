// Durable jobs. pg-boss (on PGlite or PostgreSQL, in the state database) claims jobs with row locks,
// retries with backoff, and fails a job whose worker stopped sending heartbeats. Berth's own `jobs`
// row carries what users see: status, progress, attempts, log lines, cancellation.

import { PgBoss } from "pg-boss";
import type { Logger } from "pino";
import { BerthError } from "../domain/errors.js";
import type { ChangeFeed } from "../observability/changes.js";
import type { Metrics } from "../observability/metrics.js";
import type { Database } from "../store/db.js";
import {
  appendJobLog,
  finishJob,
  getJobById,
  insertJob,
  isCancelRequested,
  type JobRow,
  markJobRunning,
  requestCancel,
  requeueJob,
  setJobProgress,
  setJobResult,
  unfinishedJobs,
} from "../store/jobs.js";

export interface JobContext {
  job: JobRow;
  attempt: number;
  /** Structured log with the job id and the correlation id of the request that made it. */
  log: Logger;
  /** A log line users can read (`berth job logs`), also written to the process log. */
  say(message: string, level?: "info" | "warn" | "error"): Promise<void>;
  progress(percent: number, message?: string): Promise<void>;
  /** Records what the job found (shown with the job once it ends). */
  result(value: Record<string, unknown>): Promise<void>;
  /** Throws JobCancelled when a user asked to cancel; call between steps. */
  throwIfCancelled(): Promise<void>;
  /** Aborted when this control plane shuts down; the job is then retried by another attempt. */
  signal: AbortSignal;
}

export type JobHandler = (ctx: JobContext) => Promise<void>;

/** Domain errors (bad input, conflicts, a deployment that failed) will not improve on retry. */
export function isPermanent(err: unknown): boolean {
  return err instanceof BerthError && err.code !== "unavailable";
}

export class JobCancelled extends Error {
  constructor() {
    super("cancelled on request");
  }
}

/** Thrown by a handler that stopped because the control plane is shutting down. */
export class Interrupted extends Error {
  constructor() {
    super("interrupted: the control plane is shutting down; the job resumes on restart");
  }
}

export interface JobTypeOptions {
  /** Attempts after the first. */
  retryLimit?: number;
  /** Jobs of this type one control plane runs at once. */
  concurrency?: number;
  /** Jobs of this type one organization runs at once, across control planes. */
  perOrg?: number;
  /**
   * One job per target at a time, in the order they were queued, across control planes: a job waits
   * while an earlier one of the same organization and target (a stack) is queued, running or waiting
   * to be retried. Jobs of other targets run meanwhile.
   */
  serialPerTarget?: boolean;
  /**
   * Called once a job of this type has ended cancelled or failed, however that came about: cancelled
   * while not running (queued, or waiting to be retried: `attempts` says whether an attempt ran),
   * failed on its last attempt, or given up by the queue (heartbeats missed too often). What the job
   * was about (a deployment) is settled here when its handler could not do it.
   */
  onEnded?: (job: JobRow, end: JobEnd) => Promise<void>;
}

/** How a job ended when the handler did not finish it itself. */
export interface JobEnd {
  status: "cancelled" | "failed";
  error: string;
}

export interface EnqueueRequest {
  type: string;
  orgId: string | null;
  target: string;
  payload: Record<string, unknown>;
  correlationId: string;
  requestedBy: string;
  /** Use a known id (e.g. recorded beforehand with the deployment it applies). */
  id?: string;
}

/** A recurring trigger: on every occurrence of `cron`, `data` goes to the trigger's handler once. */
export interface ScheduleRequest {
  trigger: string;
  /** One schedule per key within a trigger (e.g. a backup schedule's id). */
  key: string;
  cron: string;
  /** IANA time zone the expression is read in (default UTC). */
  tz?: string;
  data: Record<string, unknown>;
}

export interface JobQueue {
  register(type: string, handler: JobHandler, opts?: JobTypeOptions): void;
  /**
   * Handles a trigger's occurrences (pg-boss fires each one once across control planes). Not a job
   * users see: the handler usually enqueues one.
   */
  onTrigger(trigger: string, handler: (data: Record<string, unknown>) => Promise<void>): void;
  schedule(req: ScheduleRequest): Promise<void>;
  unschedule(trigger: string, key: string): Promise<void>;
  /** The next occurrences of `cron` (throws when it is not a valid expression). */
  nextRuns(cron: string, opts?: { tz?: string; count?: number }): Date[];
  start(): Promise<void>;
  enqueue(req: EnqueueRequest): Promise<JobRow>;
  cancel(orgId: string, id: string): Promise<JobRow>;
  stop(): Promise<void>;
}

export const QUEUE_TIMINGS = {
  /** A worker that misses heartbeats this long is presumed dead and its job is retried. */
  heartbeatSeconds: 20,
  superviseIntervalSeconds: 10,
  /** How often a queue is polled where LISTEN/NOTIFY is not available. */
  pollingIntervalSeconds: 0.5,
  /**
   * How often a queue is polled besides NOTIFY: for jobs the queue's supervisor put back after a
   * worker died. A new job wakes its worker at once, and so does a retry coming due (wakeForRetry);
   * each poll is a query, and an idle control plane has a queue per job type.
   */
  notifyPollingIntervalSeconds: 5,
  retryDelaySeconds: 2,
  retryDelayMaxSeconds: 60,
} as const;

export function createJobQueue(opts: {
  database: Database;
  log: Logger;
  metrics?: Metrics;
  /** Told of every change to a job (queued, running, progress, log line, end): live pages listen. */
  changes?: ChangeFeed;
}): JobQueue {
  const { database, log, metrics } = opts;
  const db = database.db;
  const notify = (job: { id: string; orgId: string | null }) =>
    opts.changes?.publish({ kind: "job", orgId: job.orgId, jobId: job.id });
  const boss = new PgBoss({
    ...database.queueConnection(),
    schema: "pgboss",
    superviseIntervalSeconds: QUEUE_TIMINGS.superviseIntervalSeconds,
    monitorIntervalSeconds: QUEUE_TIMINGS.superviseIntervalSeconds,
    useListenNotify: true,
  });
  boss.on("error", (err) => log.warn({ err: err.message }, "job queue error"));
  const types = new Map<string, { handler: JobHandler; opts: JobTypeOptions }>();
  // A serial type has a queue of its own policy (a queue's policy is fixed when it is created).
  const queueOf = (type: string) => (types.get(type)?.opts.serialPerTarget ? `${type}.per-target` : type);
  /** Ends a job as cancelled or failed (unless it already ended) and runs its type's follow-up. */
  const endJob = async (job: JobRow, end: JobEnd, from?: JobRow["status"][]): Promise<boolean> => {
    if (!(await finishJob(db, job.id, end, from))) return false;
    await types
      .get(job.type)
      ?.opts.onEnded?.(job, end)
      .catch((err) => log.warn({ job: job.id, err: (err as Error).message }, "job end follow-up failed"));
    return true;
  };
  const NOT_STARTED: JobEnd = { status: "cancelled", error: "cancelled before it started" };
  const triggers = new Map<string, (data: Record<string, unknown>) => Promise<void>>();
  let started = false;
  const shutdown = new AbortController();
  let sweeper: NodeJS.Timeout | undefined;
  /** Each queue's workers (pg-boss's ids), to wake when one of its retries comes due. */
  const workers = new Map<string, string[]>();
  const wakeups = new Set<NodeJS.Timeout>();

  /**
   * NOTIFY wakes a worker for a new job, not for a retry coming due, and queues are polled only every
   * few seconds. pg-boss delays retry n (from 0) by retryDelay·2^n·(1 + a random fraction), at most
   * retryDelayMax: the worker looks at its queue every second of that span, as a fast poll would, but
   * only while a retry is pending.
   */
  function wakeForRetry(queue: string, retryCount: number) {
    const ids = workers.get(queue);
    if (!ids) return;
    const max = QUEUE_TIMINGS.retryDelayMaxSeconds;
    const low = Math.min(max, QUEUE_TIMINGS.retryDelaySeconds * 2 ** retryCount);
    const high = Math.min(max, 2 * low);
    for (let at = low; at < high + 1; at++) {
      const t = setTimeout(
        () => {
          wakeups.delete(t);
          for (const id of ids) boss.notifyWorker(id);
        },
        at * 1000 + 100,
      );
      t.unref();
      wakeups.add(t);
    }
  }

  async function run(
    type: string,
    handler: JobHandler,
    bossJob: { id: string; retryCount: number; retryLimit: number },
  ) {
    try {
      await runOnce(type, handler, bossJob);
    } finally {
      // However it ended (or was requeued), pages showing the job read it again.
      if (opts.changes) {
        await getJobById(db, bossJob.id)
          .then((j) => j && notify(j))
          .catch(() => {});
      }
    }
  }

  async function runOnce(
    type: string,
    handler: JobHandler,
    bossJob: { id: string; retryCount: number; retryLimit: number },
  ) {
    const job = await getJobById(db, bossJob.id);
    if (!job || job.status === "succeeded" || job.status === "failed" || job.status === "cancelled") return;
    const jl = log.child({ job: job.id, type, correlationId: job.correlationId });
    if (job.cancelRequested) {
      await endJob(job, NOT_STARTED);
      return;
    }
    const attempt = bossJob.retryCount + 1;
    if (!(await markJobRunning(db, job.id, attempt))) {
      // Cancelled (or ended) between the read above and this claim: it must not run.
      await endJob(job, NOT_STARTED);
      return;
    }
    notify(job);
    const started = Date.now();
    const ctx: JobContext = {
      job,
      attempt,
      log: jl,
      async say(message, level = "info") {
        jl[level]({ jobLog: true }, message);
        await appendJobLog(db, job.id, level, message);
        notify(job);
      },
      async progress(percent, message) {
        await setJobProgress(db, job.id, percent);
        if (message) await ctx.say(message);
        else notify(job);
      },
      async result(value) {
        await setJobResult(db, job.id, value);
      },
      async throwIfCancelled() {
        if (shutdown.signal.aborted) throw new Interrupted();
        if (await isCancelRequested(db, job.id)) throw new JobCancelled();
      },
      signal: shutdown.signal,
    };
    if (attempt > 1) await ctx.say(`attempt ${attempt} of ${bossJob.retryLimit + 1}`, "warn");
    const done = (outcome: string) => metrics?.jobs.observe({ type, outcome }, (Date.now() - started) / 1000);
    try {
      await handler(ctx);
      await finishJob(db, job.id, { status: "succeeded" });
      done("succeeded");
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof Interrupted || shutdown.signal.aborted) {
        await requeueJob(db, job.id, new Interrupted().message);
        done("interrupted");
        throw err;
      }
      if (err instanceof JobCancelled) {
        await ctx.say("cancelled on request", "warn");
        await finishJob(db, job.id, { status: "cancelled", error: message });
        done("cancelled");
        return;
      }
      await ctx.say(message, "error").catch(() => {});
      if (isPermanent(err) || bossJob.retryCount >= bossJob.retryLimit) {
        await endJob({ ...job, attempts: attempt }, { status: "failed", error: message });
        done("failed");
        return;
      }
      await requeueJob(db, job.id, message);
      done("retried");
      wakeForRetry(queueOf(type), bossJob.retryCount);
      throw err;
    }
  }

  return {
    register(type, handler, typeOpts = {}) {
      if (started) throw new Error(`job type ${type} registered after start`);
      types.set(type, { handler, opts: typeOpts });
    },

    async start() {
      await boss.start();
      for (const [type, { handler, opts: o }] of types) {
        const queue = queueOf(type);
        await boss.createQueue(queue, {
          ...(o.serialPerTarget ? { policy: "key_strict_fifo" } : {}),
          retryLimit: o.retryLimit ?? 3,
          retryDelay: QUEUE_TIMINGS.retryDelaySeconds,
          retryBackoff: true,
          retryDelayMax: QUEUE_TIMINGS.retryDelayMaxSeconds,
          heartbeatSeconds: QUEUE_TIMINGS.heartbeatSeconds,
          expireInSeconds: 6 * 3600,
          notify: true,
        });
        // One pg-boss worker per slot, each with its own id: a worker that has just ended a job looks
        // at its queue again at once. The job's successor (the next of its stack, or one waiting for
        // its organization's slot) may have been queued while an earlier job ran: its NOTIFY woke
        // no one who could take it then, and it would otherwise wait for the next poll (5 s).
        const ids: string[] = [];
        for (let slot = 0; slot < (o.concurrency ?? 4); slot++) {
          let id = "";
          id = await boss.work(
            queue,
            {
              includeMetadata: true,
              localConcurrency: 1,
              ...(o.perOrg ? { groupConcurrency: o.perOrg } : {}),
              pollingIntervalSeconds: QUEUE_TIMINGS.pollingIntervalSeconds,
              notifyPollingIntervalSeconds: QUEUE_TIMINGS.notifyPollingIntervalSeconds,
            },
            async ([j]) => {
              if (!j) return;
              try {
                await run(type, handler, j);
              } finally {
                boss.notifyWorker(id);
              }
            },
          );
          ids.push(id);
        }
        workers.set(queue, ids);
      }
      for (const [trigger, handler] of triggers) {
        await boss.createQueue(trigger, {
          retryLimit: 1,
          retryDelay: QUEUE_TIMINGS.retryDelaySeconds,
          notify: true,
        });
        // Trigger queues made before they used NOTIFY keep their options through createQueue.
        await boss.updateQueue(trigger, { notify: true });
        const worker = await boss.work(
          trigger,
          {
            includeMetadata: true,
            pollingIntervalSeconds: QUEUE_TIMINGS.pollingIntervalSeconds,
            notifyPollingIntervalSeconds: QUEUE_TIMINGS.notifyPollingIntervalSeconds,
          },
          async ([j]) => {
            if (!j) return;
            try {
              await handler((j.data ?? {}) as Record<string, unknown>);
            } catch (err) {
              if (j.retryCount < j.retryLimit) wakeForRetry(trigger, j.retryCount);
              throw err;
            }
          },
        );
        workers.set(trigger, [worker]);
      }
      started = true;
      await sweep(true);
      sweeper = setInterval(() => {
        sweep(false).catch((err) => log.warn({ err: (err as Error).message }, "job sweep failed"));
      }, 30_000);
      sweeper.unref();
    },

    onTrigger(trigger, handler) {
      if (started) throw new Error(`trigger ${trigger} registered after start`);
      triggers.set(trigger, handler);
    },

    async schedule(req) {
      await boss.schedule(req.trigger, req.cron, req.data, { key: req.key, tz: req.tz ?? "UTC" });
    },

    async unschedule(trigger, key) {
      await boss.unschedule(trigger, key);
    },

    nextRuns(cron, o = {}) {
      return boss.previewSchedule(cron, { tz: o.tz ?? "UTC", count: o.count ?? 3 });
    },

    async enqueue(req) {
      const job = await insertJob(db, {
        ...(req.id ? { id: req.id } : { id: crypto.randomUUID() }),
        orgId: req.orgId,
        type: req.type,
        target: req.target,
        payload: req.payload,
        correlationId: req.correlationId,
        requestedBy: req.requestedBy,
      });
      await send(job);
      notify(job);
      metrics?.jobsEnqueued.inc({ type: req.type });
      return job;
    },

    async cancel(orgId, id) {
      const job = await requestCancel(db, orgId, id);
      notify(job);
      // Only a job still queued ends here; one a worker claimed meanwhile sees the request itself.
      if (job.status === "queued" && (await endJob(job, NOT_STARTED, ["queued"]))) {
        await boss.cancel(queueOf(job.type), id).catch(() => {});
        notify(job);
        return { ...job, status: "cancelled" };
      }
      return job;
    },

    async stop() {
      shutdown.abort();
      if (sweeper) clearInterval(sweeper);
      for (const t of wakeups) clearTimeout(t);
      await boss.stop({ graceful: true, timeout: 15_000 }).catch(() => {});
    },
  };

  /**
   * Brings Berth's job rows and the queue's into line after a crash:
   * - a job recorded but never handed to the queue (the process died in between) is sent now;
   * - at start on the embedded database, which only this process can open, a job the queue still
   *   holds as active belonged to the previous process, which is dead: it is failed at once, so it
   *   is retried now rather than when its heartbeat times out (PostgreSQL waits for the heartbeat,
   *   since another control plane may be running it);
   * - a job the queue gave up on (heartbeats missed too often) is marked failed here too.
   */
  async function sweep(atStart: boolean) {
    for (const job of await unfinishedJobs(db)) {
      if (!types.has(job.type)) continue;
      const queued = await boss.getJobById(queueOf(job.type), job.id);
      if (!queued) {
        if (atStart) await send(job);
        continue;
      }
      if (queued.state === "active" && atStart && database.kind === "pglite") {
        log.warn(
          { job: job.id, type: job.type },
          "job was running when the control plane stopped; retrying it now",
        );
        await boss.fail(queueOf(job.type), job.id, { message: "the control plane stopped while running it" });
        await requeueJob(db, job.id, "the control plane stopped while running it");
        wakeForRetry(queueOf(job.type), queued.retryCount);
      } else if (queued.state === "failed" || queued.state === "cancelled") {
        const error = job.error ?? `the queue ${queued.state === "failed" ? "gave up on" : "cancelled"} it`;
        await endJob(job, { status: queued.state, error });
        notify(job);
        // A failed job would hold its target's place in a serial queue for good.
        if (queued.state === "failed") await boss.deleteJob(queueOf(job.type), job.id).catch(() => {});
      }
    }
  }

  async function send(job: JobRow) {
    await boss.send(
      queueOf(job.type),
      {},
      {
        id: job.id,
        ...(job.orgId ? { group: { id: job.orgId } } : {}),
        ...(types.get(job.type)?.opts.serialPerTarget
          ? { singletonKey: `${job.orgId ?? "-"}/${job.target}` }
          : {}),
      },
    );
  }
}
