import { z } from "zod";
import type { Platform } from "../../apply/platform.js";
import { RECONCILE_JOB, reconcileOnce } from "../../apply/reconcile.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { jobView } from "../views.js";

export function driftRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "GET",
      url: "/drift",
      response: R.drift,
      access: "viewer",
      summary: "Where Swarm differs from what Berth deployed",
    },
    async ({ req }) => {
      const { drift } = await reconcileOnce(p, { org: req.org!.slug, repair: false });
      return { drift };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/drift/repair",
      response: z.object({ job: R.job }),
      access: "deployer",
      summary: "Queue a repair of the drift",
      status: 202,
    },
    async ({ req }) => {
      const job = await p.jobs.enqueue({
        type: RECONCILE_JOB,
        orgId: req.org!.id,
        target: req.org!.slug,
        payload: { org: req.org!.slug },
        correlationId: req.id,
        requestedBy: req.caller!.actor,
      });
      return { job: jobView(job) };
    },
  );
}
