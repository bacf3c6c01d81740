// Pure helpers for keeping the database in step with Swarm: which service an event concerns, and
// the summary of a service's tasks that Berth stores.
import { LABEL } from "../domain/labels.js";
import type { EngineEvent, ObservedService, ObservedTask } from "./observed.js";
import { compareTime } from "./time.js";

export interface TaskSummary {
  id: string;
  slot?: number;
  node?: string;
  state: string;
  desired: string;
  error?: string;
}

export type EventEffect = { kind: "service"; serviceId: string } | { kind: "nodes" } | { kind: "none" };

/** What an Engine event asks Berth to refresh. Containers carry their labels in the attributes. */
export function eventEffect(e: EngineEvent): EventEffect {
  if (e.type === "service" && e.actorId) return { kind: "service", serviceId: e.actorId };
  if (e.type === "node") return { kind: "nodes" };
  if (e.type === "container" && e.attributes[LABEL.managed] === "true") {
    const serviceId = e.attributes["com.docker.swarm.service.id"];
    if (serviceId) return { kind: "service", serviceId };
  }
  return { kind: "none" };
}

/** Container actions that move a task along (not the exec events of every health check). */
const TASK_MOVES = new Set(["create", "start", "die", "kill", "stop", "destroy", "oom", "health_status"]);

/**
 * The service whose rollout an Engine event may have moved on: its own update (Swarm reports the
 * update's state changes as service events) or one of its tasks' containers starting, dying or
 * changing health. A follower looks again at once instead of at its next tick.
 */
export function rolloutSignal(e: EngineEvent): string | undefined {
  if (e.type === "service") return e.actorId || undefined;
  if (e.type !== "container" || !TASK_MOVES.has(e.action.split(":")[0]!)) return undefined;
  return e.attributes["com.docker.swarm.service.id"] || undefined;
}

export interface ServiceState {
  running: number;
  tasks: TaskSummary[];
}

const FAILED = new Set(["failed", "rejected"]);

/** Tasks that run or should run, by slot, plus the latest failure so its reason stays visible. */
export function summarizeService(_service: ObservedService, tasks: ObservedTask[]): ServiceState {
  const current = tasks
    .filter((t) => t.desiredState === "running" || t.state === "running")
    .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || compareTime(a.createdAt, b.createdAt));
  const lastFailure = tasks
    .filter((t) => FAILED.has(t.state) && t.desiredState !== "running")
    .sort((a, b) => compareTime(b.createdAt, a.createdAt))[0];
  const shown = lastFailure ? [...current, lastFailure] : current;
  return {
    running: current.filter((t) => t.state === "running").length,
    tasks: shown.map((t) => ({
      id: t.id,
      ...(t.slot === undefined ? {} : { slot: t.slot }),
      ...(t.nodeId ? { node: t.nodeId } : {}),
      state: t.state,
      desired: t.desiredState,
      ...(t.error ? { error: t.error } : {}),
    })),
  };
}

/**
 * Whether every task is where Swarm wants it: running when it should run, not running otherwise,
 * failed ones aside. Until then the tasks are still moving and their state will change without any
 * event announcing it.
 */
export function tasksSettled(tasks: ObservedTask[]): boolean {
  return tasks.every((t) =>
    t.desiredState === "running" ? t.state === "running" || FAILED.has(t.state) : t.state !== "running",
  );
}
