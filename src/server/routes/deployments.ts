import { z } from "zod";
import { admitPolicy } from "../../apply/admission.js";
import { diffStack, renderStack } from "../../apply/compose.js";
import { requestDeploy } from "../../apply/deploy.js";
import { withDecidedHealthchecks } from "../../apply/healthchecks.js";
import type { Platform } from "../../apply/platform.js";
import { parseShortForm } from "../../config/short-form.js";
import { getDeployment, queuedBehind } from "../../store/stacks.js";
import { idempotent } from "../idempotency.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { deploymentView, parseId } from "../views.js";

export const idParams = z.object({ id: z.string() }).strict();

export function deploymentRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "POST",
      url: "/deployments",
      response: z.object({ deployment: R.deployment, jobId: z.string() }),
      access: "deployer",
      summary: "Deploy a stack in the short form (one image, or a list of services); queues a deploy job",
      body: z.unknown(),
      status: 202,
    },
    async ({ body, req, reply }) =>
      idempotent(p, req, reply, async () => {
        const model = parseShortForm(body, req.org!.slug);
        const { deployment, jobId } = await requestDeploy(p, {
          model,
          policy: req.org!.policy,
          requestedBy: req.caller!.actor,
          correlationId: req.id,
        });
        return {
          deployment: deploymentView(deployment, model.name, await queuedBehind(p.db, deployment)),
          jobId,
        };
      }),
  );

  r.add(
    {
      method: "POST",
      url: "/deployments/diff",
      readOnly: true,
      response: R.diff,
      access: "deployer",
      summary:
        "What deploying this short-form body would change, service by service, without touching the swarm (the dashboard's preview)",
      body: z.unknown(),
    },
    async ({ body, req }) => {
      const model = parseShortForm(body, req.org!.slug);
      admitPolicy(p, model, req.org!.policy);
      const decided = await withDecidedHealthchecks(p, model);
      return { services: await diffStack(p, decided.model), warnings: [] };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/deployments/render",
      readOnly: true,
      response: R.rendered,
      access: "deployer",
      summary:
        "The Swarm create bodies a short-form deployment would produce (Berth's health check decided), without deploying",
      body: z.unknown(),
    },
    async ({ body, req }) => {
      const model = parseShortForm(body, req.org!.slug);
      admitPolicy(p, model, req.org!.policy);
      const decided = await withDecidedHealthchecks(p, model);
      return renderStack(p, decided.model, decided.notes);
    },
  );

  r.add(
    {
      method: "GET",
      url: "/deployments/:id",
      response: z.object({ deployment: R.deployment }),
      access: "viewer",
      summary: "One deployment (revision)",
      params: idParams,
    },
    async ({ params, req }) => {
      const d = await getDeployment(p.db, req.org!.id, parseId(params.id, "deployment"));
      return { deployment: deploymentView(d, d.stackName, await queuedBehind(p.db, d)) };
    },
  );
}
