import type { FastifyInstance } from "fastify";
import type { Platform } from "../../apply/platform.js";
import { RECONCILE_JOB, reconcileOnce } from "../../apply/reconcile.js";
import { ensureOrg } from "../../store/stacks.js";
import { jobView } from "../views.js";

export function driftRoutes(api: FastifyInstance, p: Platform, org: string): void {
  api.get("/drift", async () => {
    const { drift } = await reconcileOnce(p, { org, repair: false });
    return { drift };
  });

  api.post("/drift/repair", async (req, reply) => {
    const orgId = await ensureOrg(p.db, org);
    const job = await p.jobs.enqueue({
      type: RECONCILE_JOB,
      orgId,
      target: org,
      payload: { org },
      correlationId: req.id,
      requestedBy: "admin",
    });
    return reply.status(202).send({ job: jobView(job) });
  });
}
