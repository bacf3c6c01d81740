import type { FastifyInstance } from "fastify";
import { requestDeploy } from "../../apply/deploy.js";
import type { Platform } from "../../apply/platform.js";
import { parseShortForm } from "../../config/short-form.js";
import { ensureOrg, getDeployment } from "../../store/stacks.js";
import { deploymentView, parseId } from "../views.js";

export function deploymentRoutes(api: FastifyInstance, p: Platform, org: string): void {
  api.post("/deployments", async (req, reply) => {
    const model = parseShortForm(req.body, org);
    const { deployment, jobId } = await requestDeploy(p, {
      model,
      requestedBy: "admin",
      correlationId: req.id,
    });
    return reply.status(202).send({ deployment: deploymentView(deployment, model.name), jobId });
  });

  api.get<{ Params: { id: string } }>("/deployments/:id", async (req) => {
    const orgId = await ensureOrg(p.db, org);
    const d = await getDeployment(p.db, orgId, parseId(req.params.id, "deployment"));
    return { deployment: deploymentView(d, d.stackName) };
  });
}
