// Removing a stack as a job: taking its services down and waiting until their containers have let go
// of its networks, secrets and volumes can last minutes, far beyond an HTTP request. The request
// checks and queues; the job removes (apply/stacks.ts removeStack) and reports progress and counts.
import { Conflict } from "../domain/errors.js";
import type { JobContext } from "../jobs/queue.js";
import { activeJobsFor } from "../store/jobs.js";
import { getStack, orgIdOf } from "../store/stacks.js";
import { DEPLOY_JOB } from "./deploy.js";
import type { Platform } from "./platform.js";
import { RESTART_JOB } from "./restart.js";
import { removeStack } from "./stacks.js";

export const REMOVE_JOB = "stack-remove";

/**
 * Queues the removal of an existing stack. Refused while a deploy or restart of it is queued or
 * running (the removal would pull services from under it), or a removal already is.
 */
export async function requestRemoveStack(
  p: Platform,
  o: { org: string; stack: string; volumes: boolean; requestedBy: string; correlationId: string },
): Promise<{ jobId: string }> {
  const orgId = await orgIdOf(p.db, o.org);
  await getStack(p.db, orgId, o.stack);
  const [busy] = await activeJobsFor(p.db, { orgId, target: o.stack, types: [DEPLOY_JOB, RESTART_JOB] });
  if (busy) {
    throw new Conflict(
      `stack '${o.stack}' has a ${busy.type} job ${busy.status} (${busy.id}); wait until it ends or cancel it (berth cancel ${busy.id})`,
    );
  }
  await refuseWhileRemoving(p, orgId, o.stack);
  const job = await p.jobs.enqueue({
    type: REMOVE_JOB,
    orgId,
    target: o.stack,
    payload: { org: o.org, stack: o.stack, volumes: o.volumes },
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
  });
  return { jobId: job.id };
}

/** Refuses work on a stack whose removal has not ended (a deploy would be removed with it). */
export async function refuseWhileRemoving(p: Platform, orgId: string, stack: string): Promise<void> {
  const [busy] = await activeJobsFor(p.db, { orgId, target: stack, types: [REMOVE_JOB] });
  if (busy) {
    throw new Conflict(
      `stack '${stack}' is being removed (job ${busy.id}); wait until it ends (berth job ${busy.id} --follow)`,
    );
  }
}

export async function runRemoveStack(p: Platform, ctx: JobContext): Promise<void> {
  const { org, stack, volumes } = ctx.job.payload as { org: string; stack: string; volumes: boolean };
  await ctx.say(`removing stack ${stack}${volumes ? " with its volumes" : ""}`);
  const removed = await removeStack(p, org, stack, {
    volumes,
    requestedBy: ctx.job.requestedBy,
    correlationId: ctx.job.correlationId,
    say: (message, percent) => ctx.progress(percent, message),
  });
  await ctx.result({ ...removed });
  const left = removed.left.length ? `; still in use, left for now: ${removed.left.join(", ")}` : "";
  await ctx.say(
    `removed ${stack}: ${removed.removed.length} services, ${removed.networks} networks, ${removed.secrets} secrets, ${removed.configs} configs, ${removed.volumes} volumes${left}`,
  );
}
