import type { FastifyInstance } from "fastify";
import type { Platform } from "../../apply/platform.js";
import { ConfigError } from "../../domain/errors.js";
import { getJob, jobLogLines, listJobs } from "../../store/jobs.js";
import { ensureOrg } from "../../store/stacks.js";
import { jobLogView, jobView, parseId } from "../views.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

export function jobRoutes(api: FastifyInstance, p: Platform, org: string): void {
  api.get<{ Querystring: { limit?: string; cursor?: string } }>("/jobs", async (req) => {
    const limit = Number(req.query.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      throw new ConfigError("limit", "must be a whole number from 1 to 200");
    }
    const before = req.query.cursor ? new Date(req.query.cursor) : undefined;
    if (before && Number.isNaN(before.getTime()))
      throw new ConfigError("cursor", "must be a cursor from a previous page");
    const orgId = await ensureOrg(p.db, org);
    const rows = await listJobs(p.db, orgId, { limit, ...(before ? { before } : {}) });
    const last = rows.at(-1);
    return {
      jobs: rows.map(jobView),
      nextCursor: rows.length === limit && last ? new Date(last.createdAt).toISOString() : null,
    };
  });

  api.get<{ Params: { id: string }; Querystring: { after?: string } }>("/jobs/:id", async (req) => {
    const orgId = await ensureOrg(p.db, org);
    const job = await getJob(p.db, orgId, parseId(req.params.id, "job"));
    const after = Number(req.query.after ?? 0);
    if (!Number.isInteger(after) || after < 0) throw new ConfigError("after", "must be a log line id");
    const logs = await jobLogLines(p.db, job.id, after);
    return { job: jobView(job), logs: logs.map(jobLogView) };
  });

  api.post<{ Params: { id: string } }>("/jobs/:id/cancel", async (req, reply) => {
    const orgId = await ensureOrg(p.db, org);
    const job = await p.jobs.cancel(orgId, parseId(req.params.id, "job"));
    return reply.status(202).send({ job: jobView(job) });
  });

  // Live progress and log lines as server-sent events, until the job ends.
  api.get<{ Params: { id: string } }>("/jobs/:id/events", async (req, reply) => {
    const orgId = await ensureOrg(p.db, org);
    const id = parseId(req.params.id, "job");
    let job = await getJob(p.db, orgId, id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const send = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    let closed = false;
    req.raw.on("close", () => {
      closed = true;
    });
    let after = 0;
    let lastState = "";
    while (!closed) {
      for (const line of await jobLogLines(p.db, id, after)) {
        send("log", jobLogView(line));
        after = line.id;
      }
      const state = `${job.status}/${job.progress}`;
      if (state !== lastState) {
        send("job", jobView(job));
        lastState = state;
      }
      if (TERMINAL.has(job.status)) break;
      await new Promise((r) => setTimeout(r, 300));
      job = await getJob(p.db, orgId, id);
    }
    res.end();
  });
}
