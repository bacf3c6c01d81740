import { z } from "zod";
import { admitPolicy } from "../../apply/admission.js";
import { composeBody, diffStack, parseComposeRequest, renderStack } from "../../apply/compose.js";
import { requestDeploy } from "../../apply/deploy.js";
import type { Platform } from "../../apply/platform.js";
import { requestRemoveStack } from "../../apply/stack-remove.js";
import { stackLogs, viewStacks } from "../../apply/stacks.js";
import { NotFound } from "../../domain/errors.js";
import { nameProblem } from "../../domain/names.js";
import { queuedBehind } from "../../store/stacks.js";
import { idempotent } from "../idempotency.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { openEventStream } from "../sse.js";
import { deploymentView } from "../views.js";

const stackName = z.string().superRefine((v, ctx) => {
  const problem = nameProblem("stack", v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
export const nameParams = z.object({ name: stackName }).strict();

const logQuery = z
  .object({
    service: z.string().max(64).optional(),
    follow: z.enum(["true", "false"]).optional(),
    since: z.coerce.number({ error: "must be seconds since the epoch" }).nonnegative().optional(),
    tail: z.coerce.number({ error: "must be a number of lines" }).int().nonnegative().optional(),
  })
  .strict();

const removeQuery = z.object({ volumes: z.enum(["true", "false"]).optional() }).strict();

export function stackRoutes(r: Routes, p: Platform, closing?: AbortSignal): void {
  r.add(
    {
      method: "GET",
      url: "/stacks",
      access: "viewer",
      summary: "Stacks with their services and tasks",
      response: z.object({ stacks: z.array(R.stack) }),
    },
    async ({ req }) => ({
      stacks: await viewStacks(p, req.org!.slug),
    }),
  );

  r.add(
    {
      method: "GET",
      url: "/stacks/:name",
      access: "viewer",
      summary: "One stack",
      params: nameParams,
      response: z.object({ stack: R.stack }),
    },
    async ({ params, req }) => {
      const [stack] = await viewStacks(p, req.org!.slug, params.name);
      if (!stack) throw new NotFound("stack", params.name);
      return { stack };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/stacks/render",
      readOnly: true,
      response: R.rendered,
      access: "deployer",
      summary: "The Swarm create bodies a compose document would produce, without touching the swarm",
      body: composeBody,
    },
    async ({ body, req }) => {
      const { model, warnings } = parseComposeRequest(body, req.org!.slug);
      admitPolicy(p, model, req.org!.policy);
      return renderStack(p, model, warnings);
    },
  );

  r.add(
    {
      method: "POST",
      url: "/stacks/diff",
      readOnly: true,
      response: R.diff,
      access: "deployer",
      summary: "What deploying a compose document would change, service by service",
      body: composeBody,
    },
    async ({ body, req }) => {
      const { model, warnings } = parseComposeRequest(body, req.org!.slug);
      admitPolicy(p, model, req.org!.policy);
      return { services: await diffStack(p, model), warnings };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/stacks/deploy",
      response: z.object({ deployment: R.deployment, jobId: z.string(), warnings: z.array(z.string()) }),
      access: "deployer",
      summary: "Deploy a compose document as a stack (create, update in place, prune); queues a deploy job",
      body: composeBody,
      status: 202,
    },
    async ({ body, req, reply }) =>
      idempotent(p, req, reply, async () => {
        const { model, warnings } = parseComposeRequest(body, req.org!.slug);
        const { deployment, jobId } = await requestDeploy(p, {
          model,
          policy: req.org!.policy,
          requestedBy: req.caller!.actor,
          correlationId: req.id,
        });
        const behind = await queuedBehind(p.db, deployment);
        return { deployment: deploymentView(deployment, model.name, behind), jobId, warnings };
      }),
  );

  r.add(
    {
      method: "DELETE",
      url: "/stacks/:name",
      response: z.object({ jobId: z.string() }),
      access: "admin",
      summary:
        "Remove a stack as a job: services, then its networks, secrets and configs (volumes with ?volumes=true); the job's result has the counts",
      params: nameParams,
      query: removeQuery,
      status: 202,
    },
    async ({ params, query, req }) =>
      requestRemoveStack(p, {
        org: req.org!.slug,
        stack: params.name,
        volumes: query.volumes === "true",
        requestedBy: req.caller!.actor,
        correlationId: req.id,
      }),
  );

  r.add(
    {
      method: "GET",
      url: "/stacks/:name/logs",
      access: "viewer",
      summary:
        "A stack's log lines as server-sent events (`log`: {service, stream, line}); follow keeps streaming",
      params: nameParams,
      query: logQuery,
    },
    async ({ params, query: q, req, reply }) => {
      const abort = new AbortController();
      req.raw.on("close", () => abort.abort());
      const signal = closing ? AbortSignal.any([closing, abort.signal]) : abort.signal;
      const lines = (
        await stackLogs(p, req.org!.slug, params.name, {
          follow: q.follow === "true",
          signal,
          ...(q.service ? { service: q.service } : {}),
          ...(q.since === undefined ? {} : { since: q.since }),
          ...(q.tail === undefined ? {} : { tail: q.tail }),
        })
      )[Symbol.asyncIterator]();
      const stream = openEventStream(reply);
      try {
        for (let n = await lines.next(); !n.done; n = await lines.next()) stream.send("log", n.value);
      } catch (err) {
        stream.send("error", { error: (err as Error).message });
      }
      stream.end();
    },
  );
}
