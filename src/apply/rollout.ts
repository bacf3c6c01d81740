// Follows a deployment until Swarm says it converged, failed or was rolled back. Berth reports what
// really runs, not that an API call returned.
import { LABEL, ownerFilter } from "../domain/labels.js";
import type { ServiceModel } from "../domain/stack.js";
import { assessRollout, lastEndedTask, type RolloutAssessment, type RolloutInput } from "../plan/rollout.js";
import type { ServiceAction } from "../store/schema.js";
import type { Platform } from "./platform.js";
import { serviceWaker } from "./service-waker.js";

/** What a rollout follows: the stack's services by name (a stack model, or the services a restart replaces). */
export interface RolloutScope {
  org: string;
  name: string;
  services: Pick<ServiceModel, "name" | "replicas">[];
}

export interface FollowOptions {
  spec: RolloutScope;
  actions: Record<string, ServiceAction>;
  startedAt: Date;
  /** Called with every assessment that differs from the previous one. */
  onChange?: (a: RolloutAssessment) => Promise<void>;
  /** Called about every 2 s; throws to stop following (cancel, shutdown). */
  checkpoint?: () => Promise<void>;
}

/**
 * A follower looks again at the next Engine event about one of the stack's services (its update
 * state changed, a task's container started or died), at most this long after its last look...
 */
const MAX_WAIT_MS = 500;
/** ...and no sooner than this (a burst of events is one look). */
const MIN_GAP_MS = 40;

/** Swarm's monitor window when a service's update config sets none. */
const DEFAULT_MONITOR_MS = 5000;

export async function followRollout(p: Platform, o: FollowOptions): Promise<RolloutAssessment> {
  let last = "";
  let lastCheckpoint = Date.now();
  const waker = serviceWaker(p, { maxWaitMs: MAX_WAIT_MS, minGapMs: MIN_GAP_MS });
  try {
    for (;;) {
      const { assessment: a, serviceIds } = await assessStack(p, o);
      waker.watch(serviceIds);
      if (a.reason !== last) {
        last = a.reason;
        await o.onChange?.(a);
      }
      if (a.phase !== "progressing") return a;
      if (o.checkpoint && Date.now() - lastCheckpoint > 2000) {
        lastCheckpoint = Date.now();
        await o.checkpoint();
      }
      await waker.next();
    }
  } finally {
    waker.close();
  }
}

async function assessStack(
  p: Platform,
  o: FollowOptions,
): Promise<{ assessment: RolloutAssessment; serviceIds: string[] }> {
  const elapsedMs = Date.now() - o.startedAt.getTime();
  // Two Engine calls per look, however many services: the Engine is busy starting their tasks.
  const owned = await p.engine.listServices(
    ownerFilter({ instance: p.instanceId, org: o.spec.org, stack: o.spec.name }).label,
  );
  const byName = new Map(owned.map((s) => [s.labels[LABEL.service], s]));
  const tasks = await p.engine.tasksOf(owned.map((s) => s.id));
  const results: RolloutAssessment[] = [];
  for (const service of o.spec.services) {
    const live = byName.get(service.name);
    if (!live) {
      results.push({
        phase: "failed",
        running: 0,
        desired: service.replicas,
        reason: `${service.name}: service is gone`,
      });
      continue;
    }
    const action = o.actions[service.name];
    const input: RolloutInput = {
      service: live,
      tasks: tasks.filter((t) => t.serviceId === live.id),
      ...(action?.since ? { since: action.since } : {}),
      ...(action?.taskSpec ? { taskSpec: action.taskSpec } : {}),
      // Swarm watches the tasks of an update for its monitor window; those of a new service, Berth does.
      ...(action?.action === "create"
        ? { settleMs: live.monitorMs ?? DEFAULT_MONITOR_MS, nowMs: Date.now() }
        : {}),
      elapsedMs,
      timeoutMs: p.rolloutTimeoutMs,
    };
    let r = assessRollout(input);
    if (r.phase === "failed" || r.phase === "rolled_back") r = assessRollout(await withHealth(p, input));
    results.push({ ...r, reason: `${service.name}: ${r.reason}` });
  }
  return { assessment: combine(results), serviceIds: owned.map((s) => s.id) };
}

/**
 * The input with the health checks of the newest task that ended, when its container is on this
 * node and has a health check: the Engine reports an unhealthy container only as a stopped task.
 */
async function withHealth(p: Platform, input: RolloutInput): Promise<RolloutInput> {
  const ended = lastEndedTask(input);
  const health = ended?.containerId ? await p.engine.containerHealth(ended.containerId) : undefined;
  // A container that exited also reads unhealthy, with no failed check: then its exit says why.
  if (!ended || !health || health.status !== "unhealthy" || health.failingStreak === 0) return input;
  return { ...input, tasks: input.tasks.map((t) => (t === ended ? { ...t, health } : t)) };
}

/** A stack converges when every service does; it fails when any does. */
export function combine(results: RolloutAssessment[]): RolloutAssessment {
  const running = results.reduce((n, r) => n + r.running, 0);
  const desired = results.reduce((n, r) => n + r.desired, 0);
  for (const phase of ["failed", "rolled_back", "progressing"] as const) {
    const hit = results.filter((r) => r.phase === phase);
    if (hit.length) return { phase, running, desired, reason: hit.map((r) => r.reason).join("; ") };
  }
  return { phase: "succeeded", running, desired, reason: results.map((r) => r.reason).join("; ") };
}
