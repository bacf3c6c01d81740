// Deploys of one stack run one at a time, in the order they were asked for (the deploy job type is
// serial per stack: jobs/queue.ts); deploys of other stacks run meanwhile. What a deployment waiting
// its turn says, and what a deployment becomes when its job ends without settling it (cancelled, failed, given up).

import type { JobEnd } from "../jobs/queue.js";
import { inFlight } from "../plan/day2.js";
import type { JobRow } from "../store/jobs.js";
import { getDeploymentById, lastSucceeded, queuedBehind, updateDeployment } from "../store/stacks.js";
import type { Platform } from "./platform.js";

/**
 * A deploy job that ended without its handler settling the deployment. Cancelled while queued: its
 * revision never ran, so the live one stays (`cancelled`). Otherwise (cancelled between attempts,
 * failed on its last attempt, or given up by the queue when its worker stopped answering) it may have
 * changed services: it is `failed` with the job's reason, and the drift repair returns the stack to the
 * live revision. A deployment the handler settled (failed, rolled back) is left as it is.
 */
export async function settleEndedDeployment(
  p: Pick<Platform, "db">,
  job: JobRow,
  end: JobEnd,
): Promise<void> {
  const d = await getDeploymentById(p.db, String(job.payload.deploymentId));
  if (!d || !inFlight(d.status)) return;
  const live = await lastSucceeded(p.db, d.stackId, d.revision);
  const stays = live ? `revision ${live.revision} is live` : "no revision has succeeded yet";
  const repair = live ? `drift repair returns the stack to revision ${live.revision}` : stays;
  if (end.status === "cancelled" && job.attempts === 0 && d.status === "pending") {
    await updateDeployment(p.db, d.id, {
      status: "cancelled",
      reason: `cancelled before it started; ${stays}`,
    });
  } else if (end.status === "cancelled") {
    await updateDeployment(p.db, d.id, { status: "failed", reason: `cancelled between attempts; ${repair}` });
  } else {
    await updateDeployment(p.db, d.id, {
      status: "failed",
      reason: `the deploy job failed: ${end.error}; ${repair}`,
    });
  }
}

/** The revision a deploy job's deployment waits for, while it is queued behind one. */
export async function jobQueuedBehind(p: Platform, job: JobRow): Promise<number | null> {
  if (job.status !== "queued" || typeof job.payload.deploymentId !== "string") return null;
  const d = await getDeploymentById(p.db, job.payload.deploymentId);
  return d ? queuedBehind(p.db, d) : null;
}
