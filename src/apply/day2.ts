// Day-2 use cases on a running stack: changing it from its live revision's input (scaling here, the
// environment in env.ts: each a new revision, so history shows it, drift repair keeps it and a
// rollback can go back) and its status while a rollout runs. Restart is in restart.ts; logs
// in stacks.ts.
import { NotFound } from "../domain/errors.js";
import type { StackModel } from "../domain/stack.js";
import { changeBase, scaledModel } from "../plan/day2.js";
import { liveRevision } from "../plan/history.js";
import type { PolicyRelaxations } from "../plan/policy.js";
import { activeJobsFor, type JobRow, lastJobLog } from "../store/jobs.js";
import { type DeploymentRow, getRevision, listRevisions, listStacks, orgIdOf } from "../store/stacks.js";
import { DEPLOY_JOB, requestDeploy } from "./deploy.js";
import type { Platform } from "./platform.js";
import { RESTART_JOB } from "./restart.js";
import { viewStacks } from "./stacks.js";

/** Who asks for a change to a running stack, and under which policy (as for any deployment). */
export interface ChangeRequest {
  org: string;
  stack: string;
  policy: PolicyRelaxations;
  requestedBy: string;
  correlationId: string;
  /** The live revision the caller read (and changed): refused as a conflict when another is live now. */
  expectedBase?: number;
}

/**
 * Queues a deployment of the live revision's input as `change` rewrites it. The live revision (the
 * newest that succeeded) is what runs, so it is the base even when a newer one failed; while a
 * revision rolls out the change is refused (plan/day2.ts scaleBase). Admitted like any deployment
 * (policy, quota). Scale and environment edits both come this way.
 */
export async function requestLiveChange<T extends { model: StackModel }>(
  p: Platform,
  o: ChangeRequest,
  change: (input: StackModel) => T,
): Promise<Omit<T, "model"> & { deployment: DeploymentRow; jobId: string; base: number }> {
  const orgId = await orgIdOf(p.db, o.org);
  const base = changeBase(await listRevisions(p.db, orgId, o.stack), o.stack, o.expectedBase);
  const { input } = await getRevision(p.db, orgId, o.stack, base);
  const { model, ...decided } = change({ ...input, org: o.org, name: o.stack });
  const queued = await requestDeploy(p, {
    model,
    policy: o.policy,
    requestedBy: o.requestedBy,
    correlationId: o.correlationId,
  });
  return { ...decided, ...queued, base };
}

/** Queues a deployment of the live revision's input with one service's replica count changed. */
export async function requestScale(
  p: Platform,
  o: ChangeRequest & { service?: string; replicas: number },
): Promise<{ deployment: DeploymentRow; jobId: string; service: string; base: number }> {
  return requestLiveChange(p, o, (input) =>
    scaledModel(input, { replicas: o.replicas, ...(o.service === undefined ? {} : { service: o.service }) }),
  );
}

export interface StackStatus {
  stack: string;
  /** The newest revision. */
  deployment: DeploymentRow;
  /** The live revision (the newest that succeeded), if any. */
  live: number | null;
  /** The job working on the stack now (a deployment's or a restart's), with its latest log line. */
  job: { row: JobRow; message: string | null } | null;
  /** What runs, as the observer last saw it. */
  services: { name: string; image: string; desired: number; running: number }[];
}

/** The stack's newest revision, the job rolling something out (if one is), and running/desired per service. */
export async function stackStatus(p: Platform, org: string, stack: string): Promise<StackStatus> {
  const orgId = await orgIdOf(p.db, org);
  const [summary] = await listStacks(p.db, orgId, stack);
  if (!summary) throw new NotFound("stack", stack);
  const [revisions, [view], [job]] = await Promise.all([
    listRevisions(p.db, orgId, stack),
    viewStacks(p, org, stack),
    activeJobsFor(p.db, { orgId, target: stack, types: [DEPLOY_JOB, RESTART_JOB] }),
  ]);
  return {
    stack,
    deployment: summary.latest,
    live: liveRevision(revisions) ?? null,
    job: job ? { row: job, message: (await lastJobLog(p.db, job.id))?.message ?? null } : null,
    // Running tasks that are meant to: a replaced task stopping after its successor started is not one.
    services: (view?.services ?? []).map((s) => ({
      name: s.name,
      image: s.image,
      desired: s.replicas,
      running: s.tasks.filter((t) => t.state === "running" && t.desired === "running").length,
    })),
  };
}
