// Per-container CPU and memory of a stack's running tasks, as this control plane's Engine sees them
// (its own node only), and the swarm's nodes for platform admins.
import { NotFound } from "../domain/errors.js";
import { LABEL } from "../domain/labels.js";
import type { ObservedNode } from "../plan/observed.js";
import { cpuPercent, memoryUsed, type StatsTask, statsTargets } from "../plan/stats.js";
import type { Platform } from "./platform.js";
import { viewStacks } from "./stacks.js";

export type ContainerUsage = {
  service: string;
  task: string;
  slot: number | null;
  node: string | null;
  nodeName: string | null;
} & (
  | {
      available: true;
      containerId: string;
      cpuPercent: number;
      memoryBytes: number;
      memoryLimitBytes: number;
    }
  | { available: false; reason: string }
);

export async function stackStats(
  p: Platform,
  org: string,
  stack: string,
): Promise<{ at: string; containers: ContainerUsage[] }> {
  const [view] = await viewStacks(p, org, stack);
  if (!view) throw new NotFound("stack", stack);
  const names = new Map<string, string>();
  const tasks: StatsTask[] = view.services.flatMap((s) =>
    s.tasks.map((t) => {
      if (t.node && t.nodeName) names.set(t.node, t.nodeName);
      return {
        id: t.id,
        service: s.name,
        state: t.state,
        desired: t.desired,
        ...(t.slot === undefined ? {} : { slot: t.slot }),
        ...(t.node === undefined ? {} : { node: t.node }),
      };
    }),
  );
  const containers = await p.engine.listContainers([
    `${LABEL.managed}=true`,
    `${LABEL.org}=${org}`,
    `${LABEL.stack}=${stack}`,
  ]);
  const targets = statsTargets(tasks, { localNode: p.cluster.nodeId, org, stack, containers });
  const usage = await Promise.all(
    targets.map(async (t): Promise<ContainerUsage> => {
      const where = {
        service: t.task.service,
        task: t.task.id,
        slot: t.task.slot ?? null,
        node: t.task.node ?? null,
        nodeName: (t.task.node && names.get(t.task.node)) || null,
      };
      if (!t.available) return { ...where, available: false, reason: t.reason };
      const sample = await p.engine.containerStats(t.containerId);
      if (!sample) return { ...where, available: false, reason: "its container is gone" };
      return {
        ...where,
        available: true,
        containerId: t.containerId,
        cpuPercent: cpuPercent(sample),
        memoryBytes: memoryUsed(sample),
        memoryLimitBytes: sample.memory.limit,
      };
    }),
  );
  return { at: new Date().toISOString(), containers: usage };
}

/** The swarm's nodes as the Engine reports them now. */
export async function clusterNodes(p: Platform): Promise<ObservedNode[]> {
  const nodes = await p.engine.listNodes();
  return nodes.sort((a, b) => a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
}
