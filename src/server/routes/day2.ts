// Day-2 routes on a running stack: scale (a new revision), restart (a job, same revision), status.
// Logs are in stacks.ts.

import { z } from "zod";
import { requestScale, stackStatus } from "../../apply/day2.js";
import { jobQueuedBehind } from "../../apply/deploy-queue.js";
import type { Platform } from "../../apply/platform.js";
import { requestRestart } from "../../apply/restart.js";
import { replicaCount } from "../../config/replicas.js";
import { serviceKeyProblem } from "../../domain/names.js";
import { queuedBehind } from "../../store/stacks.js";
import { idempotent } from "../idempotency.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { deploymentView, jobView } from "../views.js";
import { nameParams } from "./stacks.js";

// A compose service key (it may hold `_`); the stack's own namespace bounds its length when deployed.
export const serviceName = z.string().superRefine((v, ctx) => {
  const problem = serviceKeyProblem(v, "");
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const scaleBody = z.object({ service: serviceName.optional(), replicas: replicaCount }).strict();
// No body at all is the same as {}: every service of the stack.
const restartBody = z.object({ service: serviceName.optional() }).strict().optional();

export function day2Routes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "POST",
      url: "/stacks/:name/scale",
      access: "deployer",
      summary:
        "Set one service's replica count (`service` may be left out in a stack of one): a new revision from the live one's input; queues a deploy job",
      params: nameParams,
      body: scaleBody,
      response: R.scaled,
      status: 202,
    },
    async ({ params, body, req, reply, audit }) =>
      idempotent(p, req, reply, async () => {
        const r = await requestScale(p, {
          org: req.org!.slug,
          stack: params.name,
          replicas: body.replicas,
          ...(body.service === undefined ? {} : { service: body.service }),
          policy: req.org!.policy,
          requestedBy: req.caller!.actor,
          correlationId: req.id,
        });
        audit({ service: r.service, replicas: body.replicas, revision: r.deployment.revision });
        return {
          deployment: deploymentView(r.deployment, params.name, await queuedBehind(p.db, r.deployment)),
          jobId: r.jobId,
          service: r.service,
          base: r.base,
        };
      }),
  );

  r.add(
    {
      method: "POST",
      url: "/stacks/:name/restart",
      access: "deployer",
      summary:
        "Replace the tasks of the stack's services (or `service`) one by one, the revision unchanged; queues a restart job",
      params: nameParams,
      body: restartBody,
      response: R.restarted,
      status: 202,
    },
    async ({ params, body, req, reply, audit }) =>
      idempotent(p, req, reply, async () => {
        const r = await requestRestart(p, {
          org: req.org!.slug,
          stack: params.name,
          ...(body?.service === undefined ? {} : { service: body.service }),
          requestedBy: req.caller!.actor,
          correlationId: req.id,
        });
        audit({ services: r.services, jobId: r.jobId });
        return r;
      }),
  );

  r.add(
    {
      method: "GET",
      url: "/stacks/:name/status",
      access: "viewer",
      summary:
        "A stack's newest revision, the deploy or restart job rolling it out (progress, latest log line) and running/desired tasks per service",
      params: nameParams,
      response: R.stackStatus,
    },
    async ({ params, req }) => {
      const s = await stackStatus(p, req.org!.slug, params.name);
      return {
        stack: s.stack,
        deployment: deploymentView(s.deployment, s.stack, await queuedBehind(p.db, s.deployment)),
        live: s.live,
        job: s.job
          ? { ...jobView(s.job.row, await jobQueuedBehind(p, s.job.row)), message: s.job.message }
          : null,
        services: s.services,
      };
    },
  );
}
