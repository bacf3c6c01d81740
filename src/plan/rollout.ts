// Decides from what Swarm reports whether a deployment has converged, is still progressing, or has
// failed. Berth reports what really runs, not that an API call returned.
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
  elapsedMs: number;
  timeoutMs: number;
  /** Failed task attempts of the new revision that make the rollout fail. */
  maxFailedAttempts?: number;
}

const FAILED_STATES = new Set(["failed", "rejected"]);

export function assessRollout(input: RolloutInput): RolloutAssessment {
  const { service, since } = input;
  const fresh =
    since === undefined ? input.tasks : input.tasks.filter((t) => compareTime(t.createdAt, since) >= 0);
  // A global service wants one task per eligible node: as many as Swarm scheduled, at least one.
  const desired = service.global
    ? Math.max(1, fresh.filter((t) => t.desiredState === "running").length)
    : service.replicas;
  const running = fresh.filter((t) => t.state === "running" && t.desiredState === "running").length;

  const update = service.updateStatus;
  const updateIsOurs =
    update !== undefined &&
    since !== undefined &&
    update.startedAt !== undefined &&
    compareTime(update.startedAt, since) >= 0;
  if (updateIsOurs) {
    const why = update.message ? `: ${update.message}` : "";
    if (update.state === "rollback_completed") {
      return { phase: "rolled_back", running, desired, reason: `Swarm rolled the update back${why}` };
    }
    if (update.state === "rollback_started") {
      return { phase: "progressing", running, desired, reason: `rolling back${why}` };
    }
    if (update.state === "paused" || update.state === "rollback_paused") {
      return { phase: "failed", running, desired, reason: `update ${update.state.replace("_", " ")}${why}` };
    }
  }

  const failed = fresh
    .filter((t) => FAILED_STATES.has(t.state))
    .sort((a, b) => compareTime(b.createdAt, a.createdAt));
  if (failed.length >= (input.maxFailedAttempts ?? 3)) {
    const last = failed[0]!;
    return {
      phase: "failed",
      running,
      desired,
      reason: `${failed.length} tasks failed to start; last: ${last.error || last.message}`,
    };
  }

  const updating = updateIsOurs && update.state === "updating";
  if (running >= desired && !updating) {
    return { phase: "succeeded", running, desired, reason: `${running}/${desired} tasks running` };
  }
  const pending = fresh.find((t) => t.desiredState === "running" && t.state !== "running");
  const older = input.tasks.length - fresh.length;
  const waiting = pending
    ? `; a task is ${pending.state}${pending.error ? ` (${pending.error})` : ""}`
    : fresh.length === 0
      ? `; no task of this revision yet${older ? ` (${older} older)` : ""}`
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
