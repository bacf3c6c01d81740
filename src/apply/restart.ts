// Restarting a stack's services (or one) without a new revision: Swarm's ForceUpdate counter is
// raised, which replaces every task by the service's own update policy (one at a time, rolled back
// on failure), and the rollout is followed like a deployment's. The user asked, so forcing is right
// here; deployments and the reconciler keep the counter (plan/service-spec.ts keepForceUpdate), so a
// restart is neither drift nor undone.
//
// - requestRestart (in the API request): find the stack's services by Berth's labels, decide each
//   one's next counter (plan/day2.ts), queue a `restart` job that carries them.
// - runRestart (the job, retried after a crash): set each counter unless an earlier attempt already
//   did, then follow the rollout. A retry never restarts twice.
import { RESTORE_JOB } from "../domain/backup.js";
import { Conflict, DeployFailed, NotFound } from "../domain/errors.js";
import { LABEL, ownerFilter, ownershipProblem } from "../domain/labels.js";
import type { LiveService } from "../engine/engine.js";
import type { JobContext } from "../jobs/queue.js";
import { type RestartTarget, refuseWhileRollingOut, restartStep, restartTargets } from "../plan/day2.js";
import { compareTime } from "../plan/time.js";
import { activeJobsFor } from "../store/jobs.js";
import type { ServiceAction } from "../store/schema.js";
import { getStack, listRevisions, orgIdOf } from "../store/stacks.js";
import type { Platform } from "./platform.js";
import { followRollout } from "./rollout.js";
import { refuseWhileRemoving } from "./stack-remove.js";

export const RESTART_JOB = "restart";

export async function requestRestart(
  p: Platform,
  o: { org: string; stack: string; service?: string; requestedBy: string; correlationId: string },
): Promise<{ jobId: string; services: string[] }> {
  const orgId = await orgIdOf(p.db, o.org);
  await getStack(p.db, orgId, o.stack);
  refuseWhileRollingOut(await listRevisions(p.db, orgId, o.stack), o.stack);
  await refuseWhileRestarting(p, orgId, o.stack);
  await refuseWhileRemoving(p, orgId, o.stack);
  const live = await stackServices(p, o.org, o.stack);
  const targets = restartTargets(
    live.map((l) => ({ service: l.observed.labels[LABEL.service]!, spec: l.spec })),
    { stack: o.stack, ...(o.service === undefined ? {} : { service: o.service }) },
  );
  const job = await p.jobs.enqueue({
    type: RESTART_JOB,
    orgId,
    target: o.stack,
    payload: { org: o.org, stack: o.stack, targets },
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
  });
  return { jobId: job.id, services: targets.map((t) => t.service) };
}

/**
 * Refuses a deployment (deploy, scale, rollback), a restart or a restore of a stack whose restart or
 * restore job has not ended: each would take the other's changes (replicas, tasks) for someone else's.
 */
export async function refuseWhileRestarting(p: Platform, orgId: string, stack: string): Promise<void> {
  const [busy] = await activeJobsFor(p.db, { orgId, target: stack, types: [RESTART_JOB, RESTORE_JOB] });
  if (busy) {
    const doing = busy.type === RESTORE_JOB ? "restored from a backup" : "restarted";
    throw new Conflict(
      `stack '${stack}' is being ${doing} (job ${busy.id}); wait until it ends (berth job ${busy.id} --follow)`,
    );
  }
}

export async function runRestart(p: Platform, ctx: JobContext): Promise<void> {
  const { org, stack } = ctx.job.payload as { org: string; stack: string };
  const targets = ctx.job.payload.targets as RestartTarget[];
  const orgId = await orgIdOf(p.db, org);
  // A deployment queued after this restart was asked for owns the stack now.
  refuseWhileRollingOut(await listRevisions(p.db, orgId, stack), stack);
  await ctx.say(`restarting ${stack}: ${targets.map((t) => t.service).join(", ")}`);
  const startedAt = new Date();
  const actions: Record<string, ServiceAction> = {};
  const followed: { name: string; replicas: number }[] = [];
  for (const target of targets) {
    const done = await restartService(p, { org, stack, target });
    if (!done) {
      await ctx.say(`${target.service}: no longer in the stack, skipped`, "warn");
      continue;
    }
    actions[target.service] = done.action;
    followed.push({ name: target.service, replicas: done.replicas });
    await ctx.say(`${target.service}: ${done.applied ? "restarting" : "restart already under way"}`);
  }
  if (followed.length === 0) throw new NotFound("services of stack", stack);
  await ctx.progress(10, "waiting for Swarm to replace the tasks");
  const outcome = await followRollout(p, {
    spec: { org, name: stack, services: followed },
    actions,
    startedAt,
    onChange: (a) => ctx.progress(10 + (a.desired ? (85 * a.running) / a.desired : 85), a.reason),
    checkpoint: () => ctx.throwIfCancelled(),
  });
  const owned = await p.engine.listServices(ownerFilter({ instance: p.instanceId, org, stack }).label);
  await p.refreshServices(owned.map((s) => s.id));
  if (outcome.phase !== "succeeded") {
    throw new DeployFailed(`restart of ${stack} ${outcome.phase.replace("_", " ")}: ${outcome.reason}`);
  }
  await ctx.say(`restarted: ${outcome.reason}`);
}

/**
 * Sets one service's ForceUpdate counter, re-reading and retrying when another writer changed the
 * service meanwhile (its version moved on). Undefined when the stack no longer has the service.
 */
async function restartService(
  p: Platform,
  o: { org: string; stack: string; target: RestartTarget },
): Promise<{ action: ServiceAction; replicas: number; applied: boolean } | undefined> {
  for (let attempt = 1; ; attempt++) {
    const [live] = await stackServices(p, o.org, o.stack, o.target.service);
    if (!live) return undefined;
    const step = restartStep(live.spec, o.target.forceUpdate);
    if (step.action === "none") {
      // An earlier attempt set the counter: its tasks are those created since that update began.
      const s = live.observed;
      const started = s.updateStatus?.startedAt;
      const since = started && compareTime(started, s.updatedAt) < 0 ? started : s.updatedAt;
      return { action: followFrom(live, since), replicas: s.replicas, applied: false };
    }
    try {
      await p.engine.updateService(live.observed.id, live.observed.version, step.spec);
    } catch (err) {
      if (attempt >= 3) throw err;
      continue;
    }
    const after = (await stackServices(p, o.org, o.stack, o.target.service))[0] ?? live;
    return {
      action: followFrom(after, after.observed.updatedAt),
      replicas: after.observed.replicas,
      applied: true,
    };
  }
}

/** The rollout of a restart counts the tasks created from the new counter's template since the update. */
function followFrom(live: LiveService, since: string): ServiceAction {
  return {
    action: "update",
    since,
    ...(live.observed.taskSpec ? { taskSpec: live.observed.taskSpec } : {}),
  };
}

/**
 * The stack's services of this installation (or the one named), found by Berth's labels; each is
 * checked against the owner it must have before it is read into a plan or updated.
 */
async function stackServices(
  p: Platform,
  org: string,
  stack: string,
  service?: string,
): Promise<LiveService[]> {
  const owner = { instance: p.instanceId, org, stack, ...(service === undefined ? {} : { service }) };
  const found = await p.engine.listLive(ownerFilter(owner).label);
  return found.filter((l) => !ownershipProblem(l.observed.labels, owner) && l.observed.labels[LABEL.service]);
}
