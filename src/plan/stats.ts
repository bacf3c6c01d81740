// Container usage, pure: CPU % and memory used from one Engine stats sample (as `docker stats`
// computes them), and which of a stack's tasks this control plane can read stats of: the running
// tasks on its own node whose container carries the stack's owner labels. No I/O.
import { LABEL } from "../domain/labels.js";
import type { ContainerSample } from "./observed.js";

/** Docker's task label on a Swarm task's container. */
export const TASK_ID_LABEL = "com.docker.swarm.task.id";

/**
 * CPU used since the previous sample, in % of one core (200 = two cores busy), as `docker stats`
 * shows it: the container's share of the host's CPU time times the online CPUs. 0 when either delta
 * is missing (the first sample of a new container).
 */
export function cpuPercent(s: ContainerSample): number {
  const cpuDelta = s.cpu.total - s.preCpu.total;
  const systemDelta = s.cpu.system - s.preCpu.system;
  if (cpuDelta <= 0 || systemDelta <= 0 || s.cpu.onlineCpus <= 0) return 0;
  return Math.round((cpuDelta / systemDelta) * s.cpu.onlineCpus * 100 * 100) / 100;
}

/** Memory in use, without the page cache the kernel can drop (`docker stats`' "MEM USAGE"). */
export function memoryUsed(s: ContainerSample): number {
  const reclaimable = s.memory.inactiveFile ?? s.memory.cache ?? 0;
  return Math.max(0, s.memory.usage - (reclaimable < s.memory.usage ? reclaimable : 0));
}

export interface StatsTask {
  id: string;
  service: string;
  slot?: number;
  node?: string;
  state: string;
  desired: string;
}

export interface VisibleContainer {
  id: string;
  state: string;
  labels: Record<string, string>;
}

export type StatsTarget =
  | { task: StatsTask; available: true; containerId: string }
  | { task: StatsTask; available: false; reason: string };

/**
 * For each task meant to run and running, the container to read stats from, or why there is none:
 * on another node (only that node's Engine has its stats), or no container with the stack's labels
 * here (not started yet, or not Berth's). Containers must carry the owner's org and stack labels.
 */
export function statsTargets(
  tasks: readonly StatsTask[],
  o: { localNode: string; org: string; stack: string; containers: readonly VisibleContainer[] },
): StatsTarget[] {
  const byTask = new Map<string, VisibleContainer>();
  for (const c of o.containers) {
    if (c.labels[LABEL.org] !== o.org || c.labels[LABEL.stack] !== o.stack) continue;
    const task = c.labels[TASK_ID_LABEL];
    if (task) byTask.set(task, c);
  }
  return tasks
    .filter((t) => t.state === "running" && t.desired === "running")
    .sort(
      (a, b) =>
        a.service.localeCompare(b.service) || (a.slot ?? 0) - (b.slot ?? 0) || a.id.localeCompare(b.id),
    )
    .map((task): StatsTarget => {
      if (task.node !== o.localNode) {
        return {
          task,
          available: false,
          reason: `runs on another node (${task.node ?? "unknown"}); only that node's Engine has its stats`,
        };
      }
      const c = byTask.get(task.id);
      if (!c) return { task, available: false, reason: "no container with the stack's labels on this node" };
      if (c.state !== "running") return { task, available: false, reason: `its container is ${c.state}` };
      return { task, available: true, containerId: c.id };
    });
}
