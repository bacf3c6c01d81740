// Follows a deployment until Swarm says it converged, failed or was rolled back. Berth reports what
// really runs, not that an API call returned.
import { LABEL, ownerFilter } from "../domain/labels.js";
import type { StackModel } from "../domain/stack.js";
import { assessRollout, type RolloutAssessment } from "../plan/rollout.js";
import type { ServiceAction } from "../store/schema.js";
import type { Platform } from "./platform.js";

export interface FollowOptions {
  spec: StackModel;
  actions: Record<string, ServiceAction>;
  startedAt: Date;
  /** Called with every assessment that differs from the previous one. */
  onChange?: (a: RolloutAssessment) => Promise<void>;
  /** Called about every 2 s; throws to stop following (cancel, shutdown). */
  checkpoint?: () => Promise<void>;
  intervalMs?: number;
}

export async function followRollout(p: Platform, o: FollowOptions): Promise<RolloutAssessment> {
  const intervalMs = o.intervalMs ?? 250;
  let last = "";
  let lastCheckpoint = Date.now();
  for (;;) {
    const a = await assessStack(p, o);
    if (a.reason !== last) {
      last = a.reason;
      await o.onChange?.(a);
    }
    if (a.phase !== "progressing") return a;
    if (o.checkpoint && Date.now() - lastCheckpoint > 2000) {
      lastCheckpoint = Date.now();
      await o.checkpoint();
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function assessStack(p: Platform, o: FollowOptions): Promise<RolloutAssessment> {
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
    const since = o.actions[service.name]?.since;
    const r = assessRollout({
      service: live,
      tasks: tasks.filter((t) => t.serviceId === live.id),
      ...(since ? { since } : {}),
      elapsedMs,
      timeoutMs: p.rolloutTimeoutMs,
    });
    results.push({ ...r, reason: `${service.name}: ${r.reason}` });
  }
  return combine(results);
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
