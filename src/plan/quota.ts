// Quota arithmetic, pure: what a stack model uses, and whether adding it to what the organization's
// other stacks use stays within its quota. The refusal names the resource and the numbers.
import type { StackModel } from "../domain/stack.js";

export interface Usage {
  cpus: number;
  memoryBytes: number;
  services: number;
  replicas: number;
}

export interface Quota {
  cpus?: number | null;
  memoryBytes?: number | null;
  services?: number | null;
  replicas?: number | null;
}

export const ZERO_USAGE: Usage = { cpus: 0, memoryBytes: 0, services: 0, replicas: 0 };

/** A global service counts one task per node. */
export function usageOf(model: StackModel, nodes: number): Usage {
  return model.services.reduce(
    (u, s) => {
      const tasks = s.mode === "global" ? nodes : s.replicas;
      return {
        cpus: u.cpus + s.resources.cpus * tasks,
        memoryBytes: u.memoryBytes + s.resources.memoryBytes * tasks,
        services: u.services + 1,
        replicas: u.replicas + tasks,
      };
    },
    { ...ZERO_USAGE },
  );
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    cpus: a.cpus + b.cpus,
    memoryBytes: a.memoryBytes + b.memoryBytes,
    services: a.services + b.services,
    replicas: a.replicas + b.replicas,
  };
}

const GIB = 1024 ** 3;
const fmt = {
  cpus: (v: number) => `${+v.toFixed(2)} CPU`,
  memoryBytes: (v: number) => `${(v / GIB).toFixed(1)} GiB`,
  services: (v: number) => `${v} services`,
  replicas: (v: number) => `${v} replicas`,
};
const NAMES = { cpus: "cpu", memoryBytes: "memory", services: "services", replicas: "replicas" } as const;

/** Why `requested` on top of `others` exceeds `quota`, or undefined when it fits. */
export function quotaProblem(quota: Quota, others: Usage, requested: Usage): string | undefined {
  for (const k of ["memoryBytes", "cpus", "services", "replicas"] as const) {
    const limit = quota[k];
    if (limit === null || limit === undefined) continue;
    const left = Math.max(0, limit - others[k]);
    if (requested[k] > left + 1e-9) {
      return `${NAMES[k]} ${fmt[k](requested[k])} requested, ${fmt[k](left)} left (quota ${fmt[k](limit)})`;
    }
  }
  return undefined;
}

/** Why a new stack with volumes is refused when the organization's volumes already fill the quota. */
export function volumeProblem(quotaBytes: number, usedBytes: number): string | undefined {
  if (usedBytes < quotaBytes) return undefined;
  return `volumes ${(usedBytes / GIB).toFixed(1)} GiB used, quota ${(quotaBytes / GIB).toFixed(1)} GiB: no room for more volume data`;
}
