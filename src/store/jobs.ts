// The jobs users see: status, progress, attempts and log lines. The queue library claims and retries;
// these rows say what happened. Reads are scoped to an organization.
import { and, asc, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import { NotFound } from "../domain/errors.js";
import type { Db } from "./db.js";
import { type JobStatus, jobLogs, jobs } from "./schema.js";

export type JobRow = typeof jobs.$inferSelect;
export type JobLogRow = typeof jobLogs.$inferSelect;

export async function insertJob(db: Db, row: typeof jobs.$inferInsert): Promise<JobRow> {
  const [job] = await db.insert(jobs).values(row).returning();
  return job!;
}

/**
 * Claims the job for an attempt: undefined when it has ended or a cancel was asked for meanwhile
 * (compare-and-set on the row, so a job cancelled while being claimed never runs).
 */
export async function markJobRunning(db: Db, id: string, attempt: number): Promise<JobRow | undefined> {
  const [job] = await db
    .update(jobs)
    .set({ status: "running", attempts: attempt, startedAt: sql`coalesce(${jobs.startedAt}, now())` })
    .where(and(eq(jobs.id, id), inArray(jobs.status, ["queued", "running"]), eq(jobs.cancelRequested, false)))
    .returning();
  return job;
}

/**
 * Ends the job, only from one of the `from` states (by default any unfinished one): an ended job,
 * `cancelled` included, is never overwritten. False when the job was not in such a state.
 */
export async function finishJob(
  db: Db,
  id: string,
  outcome: { status: Extract<JobStatus, "succeeded" | "failed" | "cancelled">; error?: string },
  from: JobStatus[] = ["queued", "running"],
): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({
      status: outcome.status,
      error: outcome.error ?? null,
      finishedAt: sql`now()`,
      ...(outcome.status === "succeeded" ? { progress: 100 } : {}),
    })
    .where(and(eq(jobs.id, id), inArray(jobs.status, from)))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

/** A failed attempt that will be retried: back to queued, with the error kept. */
export async function requeueJob(db: Db, id: string, error: string): Promise<void> {
  await db.update(jobs).set({ status: "queued", error }).where(eq(jobs.id, id));
}

/** What the job found, for whoever waits for it (a removal's counts, an isolation report). */
export async function setJobResult(db: Db, id: string, result: Record<string, unknown>): Promise<void> {
  await db.update(jobs).set({ result }).where(eq(jobs.id, id));
}

export async function setJobProgress(db: Db, id: string, progress: number): Promise<void> {
  await db
    .update(jobs)
    .set({ progress: Math.max(0, Math.min(100, Math.round(progress))) })
    .where(eq(jobs.id, id));
}

export async function appendJobLog(
  db: Db,
  jobId: string,
  level: JobLogRow["level"],
  message: string,
): Promise<void> {
  await db.insert(jobLogs).values({ jobId, level, message });
}

export async function requestCancel(db: Db, orgId: string, id: string): Promise<JobRow> {
  const [job] = await db
    .update(jobs)
    .set({ cancelRequested: true })
    .where(and(eq(jobs.id, id), eq(jobs.orgId, orgId)))
    .returning();
  if (!job) throw new NotFound("job", id);
  return job;
}

export async function isCancelRequested(db: Db, id: string): Promise<boolean> {
  const [row] = await db.select({ c: jobs.cancelRequested }).from(jobs).where(eq(jobs.id, id));
  return row?.c ?? false;
}

export async function getJob(db: Db, orgId: string, id: string): Promise<JobRow> {
  const [job] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, id), eq(jobs.orgId, orgId)));
  if (!job) throw new NotFound("job", id);
  return job;
}

export async function getJobById(db: Db, id: string): Promise<JobRow | undefined> {
  const [job] = await db.select().from(jobs).where(eq(jobs.id, id));
  return job;
}

/** The statuses a job ends in. */
export const ENDED_STATUSES: readonly string[] = ["succeeded", "failed", "cancelled"];

/**
 * The job once it has ended, read every 250 ms; undefined when `timeoutMs` passes first. Throws
 * `abort` when the signal fires, and NotFound when the job does not exist.
 */
export async function jobEnded(
  db: Db,
  id: string,
  o: { signal?: AbortSignal; abort?: () => Error; timeoutMs?: number } = {},
): Promise<JobRow | undefined> {
  const deadline = o.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + o.timeoutMs;
  for (;;) {
    if (o.signal?.aborted) throw o.abort?.() ?? new Error("aborted");
    const job = await getJobById(db, id);
    if (!job) throw new NotFound("job", id);
    if (ENDED_STATUSES.includes(job.status)) return job;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Log lines after `afterId`, oldest first. */
export async function jobLogLines(db: Db, jobId: string, afterId = 0, limit = 500): Promise<JobLogRow[]> {
  return db
    .select()
    .from(jobLogs)
    .where(and(eq(jobLogs.jobId, jobId), gt(jobLogs.id, afterId)))
    .orderBy(asc(jobLogs.id))
    .limit(limit);
}

/** Newest first; `before` is the creation time of the last row of the previous page. */
export async function listJobs(
  db: Db,
  orgId: string,
  opts: { limit: number; before?: Date },
): Promise<JobRow[]> {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.orgId, orgId), opts.before ? lt(jobs.createdAt, opts.before) : undefined))
    .orderBy(desc(jobs.createdAt))
    .limit(opts.limit);
}

/** Jobs not finished yet, across organizations. */
export async function unfinishedJobs(db: Db): Promise<JobRow[]> {
  return db
    .select()
    .from(jobs)
    .where(inArray(jobs.status, ["queued", "running"]))
    .orderBy(asc(jobs.createdAt));
}

/** The organization's jobs of these types working on `target` (a stack) that have not ended, newest first. */
export async function activeJobsFor(
  db: Db,
  o: { orgId: string; target: string; types: string[] },
): Promise<JobRow[]> {
  return db
    .select()
    .from(jobs)
    .where(
      and(
        eq(jobs.orgId, o.orgId),
        eq(jobs.target, o.target),
        inArray(jobs.type, o.types),
        inArray(jobs.status, ["queued", "running"]),
      ),
    )
    .orderBy(desc(jobs.createdAt));
}

/** A job's newest log line: what it is doing now. */
export async function lastJobLog(db: Db, jobId: string): Promise<JobLogRow | undefined> {
  const [row] = await db
    .select()
    .from(jobLogs)
    .where(eq(jobLogs.jobId, jobId))
    .orderBy(desc(jobLogs.id))
    .limit(1);
  return row;
}
