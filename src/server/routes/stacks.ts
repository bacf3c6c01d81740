import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { diffStack, parseComposeRequest, renderStack } from "../../apply/compose.js";
import { requestDeploy } from "../../apply/deploy.js";
import type { Platform } from "../../apply/platform.js";
import { removeStack, stackLogs, viewStacks } from "../../apply/stacks.js";
import { parseInput } from "../../config/validate.js";
import { ConfigError, NotFound } from "../../domain/errors.js";
import { nameProblem } from "../../domain/names.js";
import { deploymentView } from "../views.js";

const logQuery = z
  .object({
    service: z.string().optional(),
    follow: z.enum(["true", "false"]).optional(),
    since: z.coerce.number({ error: "must be seconds since the epoch" }).nonnegative().optional(),
    tail: z.coerce.number({ error: "must be a number of lines" }).int().nonnegative().optional(),
  })
  .strict();

const removeQuery = z.object({ volumes: z.enum(["true", "false"]).optional() }).strict();

function stackName(name: string): string {
  const problem = nameProblem("stack", name);
  if (problem) throw new ConfigError("name", problem);
  return name;
}

export function stackRoutes(api: FastifyInstance, p: Platform, org: string): void {
  api.get("/stacks", async () => ({ stacks: await viewStacks(p, org) }));

  api.get<{ Params: { name: string } }>("/stacks/:name", async (req) => {
    const name = stackName(req.params.name);
    const stack = (await viewStacks(p, org)).find((s) => s.name === name);
    if (!stack) throw new NotFound("stack", name);
    return { stack };
  });

  api.post("/stacks/render", async (req) => {
    const { model, warnings } = parseComposeRequest(req.body, org);
    return renderStack(p, model, warnings);
  });

  api.post("/stacks/diff", async (req) => {
    const { model, warnings } = parseComposeRequest(req.body, org);
    return { services: await diffStack(p, model), warnings };
  });

  api.post("/stacks/deploy", async (req, reply) => {
    const { model, warnings } = parseComposeRequest(req.body, org);
    const { deployment, jobId } = await requestDeploy(p, {
      model,
      requestedBy: "admin",
      correlationId: req.id,
    });
    return reply.status(202).send({ deployment: deploymentView(deployment, model.name), jobId, warnings });
  });

  api.delete<{ Params: { name: string } }>("/stacks/:name", async (req) => {
    const q = parseInput(removeQuery, req.query);
    return removeStack(p, org, stackName(req.params.name), { volumes: q.volumes === "true" });
  });

  api.get<{ Params: { name: string } }>("/stacks/:name/logs", async (req, reply) => {
    const q = parseInput(logQuery, req.query);
    const name = stackName(req.params.name);
    const abort = new AbortController();
    req.raw.on("close", () => abort.abort());
    const lines = (
      await stackLogs(p, org, name, {
        follow: q.follow === "true",
        signal: abort.signal,
        ...(q.service ? { service: q.service } : {}),
        ...(q.since === undefined ? {} : { since: q.since }),
        ...(q.tail === undefined ? {} : { tail: q.tail }),
      })
    )[Symbol.asyncIterator]();
    reply.hijack();
    reply.raw.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-cache" });
    try {
      for (let n = await lines.next(); !n.done; n = await lines.next()) {
        reply.raw.write(`${JSON.stringify(n.value)}\n`);
      }
    } catch (err) {
      reply.raw.write(`${JSON.stringify({ error: (err as Error).message })}\n`);
    }
    reply.raw.end();
    return reply;
  });
}
