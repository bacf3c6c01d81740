import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { jobQueuedBehind } from "../../apply/deploy-queue.js";
import type { Platform } from "../../apply/platform.js";
import type { ChangeFeed } from "../../observability/changes.js";
import { ENDED_STATUSES, getJob, getJobById, jobLogLines, listJobs } from "../../store/jobs.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { openEventStream } from "../sse.js";
import { jobLogView, jobView, parseId } from "../views.js";
import { idParams } from "./deployments.js";

const listQuery = z
  .object({
    limit: z.coerce
      .number({ error: "must be a whole number from 1 to 200" })
      .int("must be a whole number from 1 to 200")
      .min(1, "must be a whole number from 1 to 200")
      .max(200, "must be a whole number from 1 to 200")
      .default(50),
    cursor: z.iso.datetime({ error: "must be a cursor from a previous page" }).optional(),
  })
  .strict();
const afterQuery = z
  .object({
    after: z.coerce
      .number({ error: "must be a log line id" })
      .int("must be a log line id")
      .nonnegative("must be a log line id")
      .default(0),
  })
  .strict();

/**
 * Wakes its waiter when the change feed says job `id` changed (a change while nobody waits is kept
 * for the next wait), after `ms` at the latest (a job that another control plane runs, on a shared
 * PostgreSQL, is not on this process's feed), or when `signal` aborts.
 */
function watchJob(changes: ChangeFeed, id: string, signal: AbortSignal) {
  // The caller read the job before watching: the first wait reads it again at once.
  let changed = true;
  let wake: (() => void) | undefined;
  const unsubscribe = changes.subscribe((c) => {
    if (c.kind !== "job" || c.jobId !== id) return;
    changed = true;
    wake?.();
  });
  signal.addEventListener("abort", () => wake?.(), { once: true });
  return {
    wait(ms: number): Promise<void> {
      if (changed || signal.aborted) {
        changed = false;
        return Promise.resolve();
      }
      return new Promise((done) => {
        const timer = setTimeout(() => wake?.(), ms);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          changed = false;
          done();
        };
      });
    },
    stop: unsubscribe,
  };
}

function closedSignal(raw: { on(event: "close", fn: () => void): unknown }): AbortSignal {
  const a = new AbortController();
  raw.on("close", () => a.abort());
  return a.signal;
}

export function jobRoutes(r: Routes, p: Platform, changes: ChangeFeed, closing: AbortSignal): void {
  /** A job of the caller's organization; Berth's own jobs (no organization: a proxy sync for every
   * organization's routes) are platform admins' to follow too. */
  const visibleJob = (req: FastifyRequest, id: string) =>
    getJob(p.db, req.org!.id, id).catch(async (err) => {
      const own = req.caller!.platformAdmin ? await getJobById(p.db, id) : undefined;
      if (own && own.orgId === null) return own;
      throw err;
    });

  r.add(
    {
      method: "GET",
      url: "/jobs",
      response: z.object({ jobs: z.array(R.job), nextCursor: z.string().nullable() }),
      access: "viewer",
      summary: "Jobs, newest first (cursor pagination)",
      query: listQuery,
    },
    async ({ query, req }) => {
      const { limit } = query;
      const before = query.cursor ? new Date(query.cursor) : undefined;
      const rows = await listJobs(p.db, req.org!.id, { limit, ...(before ? { before } : {}) });
      const last = rows.at(-1);
      return {
        jobs: await Promise.all(rows.map(async (j) => jobView(j, await jobQueuedBehind(p, j)))),
        nextCursor: rows.length === limit && last ? new Date(last.createdAt).toISOString() : null,
      };
    },
  );

  r.add(
    {
      method: "GET",
      url: "/jobs/:id",
      response: z.object({ job: R.job, logs: z.array(R.jobLog) }),
      access: "viewer",
      summary: "One job with its log lines after `after`",
      params: idParams,
      query: afterQuery,
    },
    async ({ params, query, req }) => {
      const job = await visibleJob(req, parseId(params.id, "job"));
      const logs = await jobLogLines(p.db, job.id, query.after);
      return { job: jobView(job, await jobQueuedBehind(p, job)), logs: logs.map(jobLogView) };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/jobs/:id/cancel",
      response: z.object({ job: R.job }),
      access: "deployer",
      summary: "Cancel a job",
      params: idParams,
      status: 202,
    },
    async ({ params, req }) => {
      const job = await p.jobs.cancel(req.org!.id, parseId(params.id, "job"));
      return { job: jobView(job) };
    },
  );

  // Live progress and log lines as server-sent events, until the job ends: woken by the change feed.
  r.add(
    {
      method: "GET",
      url: "/jobs/:id/events",
      access: "viewer",
      summary: "A job's progress and log lines as server-sent events",
      params: idParams,
    },
    async ({ params, req, reply }) => {
      let job = await visibleJob(req, parseId(params.id, "job"));
      const id = job.id;
      const { send, end } = openEventStream(reply);
      const ended = AbortSignal.any([closing, closedSignal(req.raw)]);
      const watch = watchJob(changes, id, ended);
      let after = 0;
      let lastState = "";
      while (!ended.aborted) {
        for (const line of await jobLogLines(p.db, id, after)) {
          send("log", jobLogView(line));
          after = line.id;
        }
        const state = `${job.status}/${job.progress}`;
        if (state !== lastState) {
          send("job", jobView(job, await jobQueuedBehind(p, job)));
          lastState = state;
        }
        if (ENDED_STATUSES.includes(job.status)) break;
        // Read again when the change feed says the job moved (no polling per open page), and at the
        // latest every 2 s.
        await watch.wait(2000);
        job = await visibleJob(req, id);
      }
      watch.stop();
      end();
    },
  );
}
