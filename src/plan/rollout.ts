// Decides from what Swarm reports whether a deployment has converged, is still progressing, or has
// failed. Berth reports what really runs, not that an API call returned: a task counts only when it
// runs the spec this deployment left on the service (the digests in observed.ts), a new service's
// tasks must keep running for a monitor window, and a service whose spec is no longer the one this
// deployment left (Swarm rolled it back) has not converged on this revision, whatever runs.
import type { ObservedService, ObservedTask } from "./observed.js";
import { compareTime } from "./time.js";

export type RolloutPhase = "progressing" | "succeeded" | "failed" | "rolled_back";

export interface RolloutAssessment {
  phase: RolloutPhase;
  running: number;
  desired: number;
  /** Why it failed, or what it waits for. */
  reason: string;
}

export interface RolloutInput {
  service: ObservedService;
  tasks: ObservedTask[];
  /**
   * Docker's timestamp of the spec change this rollout made; tasks created before it belong to an
   * earlier revision. Undefined when the deployment left the tasks as they were.
   */
  since?: string;
  /** Digest of the task template this deployment left on the service (unset: whatever it has). */
  taskSpec?: string;
  /**
   * How long each counted task must have been running (a new service: Swarm watches no update, so
   * Berth watches its tasks for the monitor window itself). Needs `nowMs`.
   */
  settleMs?: number;
  nowMs?: number;
  elapsedMs: number;
  timeoutMs: number;
  /** Failed task attempts of the new revision that make the rollout fail. */
  maxFailedAttempts?: number;
}

/** A task of a service ended in these: a service's task is meant to keep running, so `complete` too. */
const FAILED_STATES = new Set(["failed", "rejected", "complete"]);

/** The newest task of the deployment's spec that ended: whose container's health explains a failure. */
export function lastEndedTask(
  input: Pick<RolloutInput, "service" | "tasks" | "taskSpec">,
): ObservedTask | undefined {
  const want = input.taskSpec ?? input.service.taskSpec;
  return input.tasks
    .filter((t) => FAILED_STATES.has(t.state) && (want === undefined || t.spec === want))
    .sort((a, b) => compareTime(b.createdAt, a.createdAt))[0];
}

export function assessRollout(input: RolloutInput): RolloutAssessment {
  const { service, since } = input;
  const want = input.taskSpec ?? service.taskSpec;
  const ofSpec = (t: ObservedTask) => want === undefined || t.spec === undefined || t.spec === want;
  const isFresh = (t: ObservedTask) => since === undefined || compareTime(t.createdAt, since) >= 0;
  // Failures count from this change on; a running task counts when it runs this spec, however old:
  // Swarm keeps a task that already runs it (an update back to the spec it had, e.g. a rollback).
  const fresh = input.tasks.filter((t) => isFresh(t) && ofSpec(t));
  const current = input.tasks.filter(
    (t) => ofSpec(t) && (isFresh(t) || (want !== undefined && t.spec !== undefined)),
  );
  // A global service wants one task per eligible node: as many as Swarm scheduled, at least one.
  const desired = service.global
    ? Math.max(1, current.filter((t) => t.desiredState === "running").length)
    : service.replicas;
  const running = current.filter((t) => t.state === "running" && t.desiredState === "running").length;
  const failed = fresh
    .filter((t) => FAILED_STATES.has(t.state))
    .sort((a, b) => compareTime(b.createdAt, a.createdAt));

  const update = service.updateStatus;
  const updateIsOurs =
    update !== undefined &&
    since !== undefined &&
    update.startedAt !== undefined &&
    compareTime(update.startedAt, since) >= 0;
  const why = update?.message ? `: ${update.message}` : "";

  // The service no longer has the spec this deployment left: Swarm put the previous one back (or
  // someone changed it). What runs now is not this revision, however healthy it is.
  if (input.taskSpec !== undefined && service.taskSpec !== undefined && service.taskSpec !== input.taskSpec) {
    const cause = failed.length ? `: ${failureSummary(failed)}` : why;
    return update?.state.startsWith("rollback")
      ? { phase: "rolled_back", running: 0, desired, reason: `Swarm rolled the update back${cause}` }
      : { phase: "failed", running: 0, desired, reason: "the service was changed by someone else meanwhile" };
  }
  if (updateIsOurs) {
    if (update.state === "rollback_completed" || update.state === "rollback_started") {
      const cause = failed.length ? `: ${failureSummary(failed)}` : why;
      return { phase: "rolled_back", running, desired, reason: `Swarm rolled the update back${cause}` };
    }
    if (update.state === "paused" || update.state === "rollback_paused") {
      return { phase: "failed", running, desired, reason: `update ${update.state.replace("_", " ")}${why}` };
    }
  }

  if (failed.length >= (input.maxFailedAttempts ?? 3)) {
    return { phase: "failed", running, desired, reason: failureSummary(failed) };
  }

  const updating = updateIsOurs && update.state === "updating";
  const unsettled = unsettledTasks(current, input);
  if (running >= desired && !updating && unsettled === 0) {
    return { phase: "succeeded", running, desired, reason: `${running}/${desired} tasks running` };
  }
  const pending = current.find((t) => t.desiredState === "running" && t.state !== "running");
  const older = input.tasks.length - current.length;
  const waiting = pending
    ? `; a task is ${pending.state}${pending.error ? ` (${pending.error})` : ""}`
    : current.length === 0
      ? `; no task of this revision yet${older ? ` (${older} older)` : ""}`
      : running >= desired && unsettled > 0
        ? `; watching them for ${Math.round((input.settleMs ?? 0) / 1000)} s`
        : "";
  if (input.elapsedMs >= input.timeoutMs) {
    const last = failed[0];
    const detail = last ? `; last failure: ${last.error || last.message}` : waiting;
    return {
      phase: "failed",
      running,
      desired,
      reason: `timed out after ${Math.round(input.elapsedMs / 1000)} s with ${running}/${desired} tasks running${detail}`,
    };
  }
  return { phase: "progressing", running, desired, reason: `${running}/${desired} tasks running${waiting}` };
}

/** Running tasks that have not been running for the settle window yet. */
function unsettledTasks(tasks: ObservedTask[], input: RolloutInput): number {
  const { settleMs, nowMs } = input;
  if (!settleMs || nowMs === undefined) return 0;
  return tasks.filter((t) => {
    if (t.state !== "running" || t.desiredState !== "running" || !t.stateSince) return false;
    return nowMs - Date.parse(t.stateSince) < settleMs;
  }).length;
}

/** `3 tasks failed in 21 s; last: health check failed 3 times` or `...; last: task: non-zero exit (1)` (newest first). */
export function failureSummary(failed: ObservedTask[]): string {
  const last = failed[0]!;
  const first = failed[failed.length - 1]!;
  const span = Math.round((Date.parse(last.createdAt) - Date.parse(first.createdAt)) / 1000);
  const error = last.error || (last.state === "complete" ? "exited with code 0" : last.message);
  const cause = last.health
    ? `health check failed ${last.health.failingStreak} times${healthOutput(last.health.output)}`
    : /unhealthy/i.test(error)
      ? "health check failed"
      : error;
  const count = failed.length === 1 ? "1 task failed" : `${failed.length} tasks failed`;
  return `${count}${failed.length > 1 && span > 0 ? ` in ${span} s` : ""}; last: ${cause}`;
}

/** A check's output in the reason; an image without the shell a CMD-SHELL check needs says so plainly. */
function healthOutput(output: string | undefined): string {
  if (!output) return "";
  if (/"\/bin\/sh": stat \/bin\/sh: no such file/.test(output)) {
    return ": the image has no /bin/sh to run it (give a check in exec form, --health-cmd '[\"/path/to/check\"]', or --no-healthcheck)";
  }
  return ` (${output})`;
}
