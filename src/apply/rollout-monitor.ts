// Follows running deployments until Swarm says they converged, failed or were rolled back, and
// records the outcome. Unfinished deployments are picked up again when the control plane starts.
// (An in-process loop for now; durable jobs take this over.)
import { swarmServiceName } from "../domain/names.js";
import { assessRollout, type RolloutAssessment } from "../plan/rollout.js";
import { type DeploymentRow, unfinishedDeployments, updateDeployment } from "../store/stacks.js";
import type { Platform } from "./platform.js";

export interface RolloutMonitor {
  follow(deployment: DeploymentRow): void;
  resumeUnfinished(): Promise<number>;
  stop(): Promise<void>;
}

export function createRolloutMonitor(p: Platform, opts: { intervalMs?: number } = {}): RolloutMonitor {
  const intervalMs = opts.intervalMs ?? 500;
  const active = new Map<string, Promise<void>>();
  let stopped = false;

  async function assess(d: DeploymentRow): Promise<RolloutAssessment> {
    const elapsedMs = Date.now() - new Date(d.createdAt).getTime();
    const results: RolloutAssessment[] = [];
    for (const service of d.spec.services) {
      const live = await p.engine.findService(swarmServiceName(d.spec.org, d.spec.name, service.name));
      if (!live) {
        results.push({
          phase: "failed",
          running: 0,
          desired: service.replicas,
          reason: `service ${service.name} is gone`,
        });
        continue;
      }
      const tasks = await p.engine.listTasks(live.observed.id);
      const since = d.actions[service.name]?.since;
      const r = assessRollout({
        service: live.observed,
        tasks,
        ...(since ? { since } : {}),
        elapsedMs,
        timeoutMs: p.rolloutTimeoutMs,
      });
      results.push({ ...r, reason: `${service.name}: ${r.reason}` });
    }
    return combine(results);
  }

  async function run(d: DeploymentRow): Promise<void> {
    const log = p.log.child({ deployment: d.id });
    while (!stopped) {
      let result: RolloutAssessment;
      try {
        result = await assess(d);
      } catch (err) {
        log.warn({ err: (err as Error).message }, "rollout check failed; retrying");
        await sleep(intervalMs * 4);
        continue;
      }
      if (result.phase !== "progressing") {
        await updateDeployment(p.db, d.id, { status: result.phase, reason: result.reason });
        log.info({ status: result.phase, reason: result.reason }, "deployment finished");
        return;
      }
      await sleep(intervalMs);
    }
  }

  return {
    follow(d) {
      if (active.has(d.id)) return;
      const done = run(d)
        .catch((err) => p.log.error({ err, deployment: d.id }, "rollout monitor crashed"))
        .finally(() => active.delete(d.id));
      active.set(d.id, done);
    },
    async resumeUnfinished() {
      const rows = await unfinishedDeployments(p.db);
      for (const d of rows) {
        // A deployment recorded but never applied (the process died in between) cannot be trusted.
        if (d.status === "pending") {
          await updateDeployment(p.db, d.id, {
            status: "failed",
            reason: "interrupted before it was applied",
          });
        } else this.follow(d);
      }
      return rows.length;
    },
    async stop() {
      stopped = true;
      await Promise.allSettled(active.values());
    },
  };
}

/** A stack converges when every service does; it fails when any does. */
export function combine(results: RolloutAssessment[]): RolloutAssessment {
  const running = results.reduce((n, r) => n + r.running, 0);
  const desired = results.reduce((n, r) => n + r.desired, 0);
  const pick = (phase: RolloutAssessment["phase"]) => results.filter((r) => r.phase === phase);
  for (const phase of ["failed", "rolled_back", "progressing"] as const) {
    const hit = pick(phase);
    if (hit.length) return { phase, running, desired, reason: hit.map((r) => r.reason).join("; ") };
  }
  return { phase: "succeeded", running, desired, reason: results.map((r) => r.reason).join("; ") };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
