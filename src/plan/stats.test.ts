import { describe, expect, it } from "vitest";
import type { ContainerSample } from "./observed.js";
import { cpuPercent, memoryUsed, type StatsTask, statsTargets } from "./stats.js";

const sample = (over: {
  total?: number;
  system?: number;
  cpus?: number;
  preTotal?: number;
  preSystem?: number;
  memory?: ContainerSample["memory"];
}): ContainerSample => ({
  read: "2026-01-01T00:00:00Z",
  cpu: { total: over.total ?? 0, system: over.system ?? 0, onlineCpus: over.cpus ?? 2 },
  preCpu: { total: over.preTotal ?? 0, system: over.preSystem ?? 0 },
  memory: over.memory ?? { usage: 0, limit: 0 },
});

describe("cpuPercent", () => {
  it.each<[string, Parameters<typeof sample>[0], number]>([
    // 50 ms of the container's CPU time in 1 s of host time over 2 CPUs: 10 % of one core.
    [
      "a share of the host times its CPUs",
      { preTotal: 1e9, total: 1.05e9, preSystem: 10e9, system: 11e9, cpus: 2 },
      10,
    ],
    ["two cores busy on a four-core host", { total: 2e9, system: 4e9, cpus: 4 }, 200],
    ["a first sample (no previous counters)", { total: 5e8, system: 0, preTotal: 0, preSystem: 0 }, 0],
    ["counters that went back (a restarted container)", { preTotal: 9e9, total: 1e9, system: 2e9 }, 0],
    ["no CPUs reported", { total: 1e9, system: 2e9, cpus: 0 }, 0],
    ["rounded to two decimals", { total: 1, system: 3, cpus: 1 }, 33.33],
  ])("%s", (_name, over, want) => {
    expect(cpuPercent(sample(over))).toBe(want);
  });
});

describe("memoryUsed", () => {
  it.each<[string, ContainerSample["memory"], number]>([
    ["usage less the inactive file cache (cgroup v2)", { usage: 100, limit: 1000, inactiveFile: 30 }, 70],
    ["usage less the cache (cgroup v1 without inactive_file)", { usage: 100, limit: 1000, cache: 40 }, 60],
    ["inactive_file preferred over cache", { usage: 100, limit: 1000, inactiveFile: 10, cache: 40 }, 90],
    ["a cache larger than usage is ignored", { usage: 100, limit: 1000, inactiveFile: 300 }, 100],
    ["nothing to subtract", { usage: 100, limit: 1000 }, 100],
  ])("%s", (_name, memory, want) => {
    expect(memoryUsed(sample({ memory }))).toBe(want);
  });
});

describe("statsTargets", () => {
  const task = (id: string, over: Partial<StatsTask> = {}): StatsTask => ({
    id,
    service: "web",
    slot: 1,
    node: "n1",
    state: "running",
    desired: "running",
    ...over,
  });
  const owned = (id: string, taskId: string, over: Record<string, string> = {}) => ({
    id,
    state: "running",
    labels: { "berth.org": "acme", "berth.stack": "shop", "com.docker.swarm.task.id": taskId, ...over },
  });
  const o = { localNode: "n1", org: "acme", stack: "shop" };

  it("reads running tasks on this node from their labelled container; others say why not", () => {
    const got = statsTargets(
      [
        task("t1"),
        task("t2", { slot: 2, node: "n2" }),
        task("t3", { slot: 3 }),
        task("t4", { slot: 4, state: "shutdown", desired: "shutdown" }),
        task("t5", { service: "db", slot: 1 }),
      ],
      {
        ...o,
        containers: [
          owned("c1", "t1"),
          // Another organization's container claiming the task: not read.
          owned("cx", "t3", { "berth.org": "other" }),
          { ...owned("c5", "t5"), state: "exited" },
        ],
      },
    );
    expect(got.map((t) => [t.task.id, t.available ? t.containerId : t.reason])).toEqual([
      ["t5", "its container is exited"],
      ["t1", "c1"],
      ["t2", "runs on another node (n2); only that node's Engine has its stats"],
      ["t3", "no container with the stack's labels on this node"],
    ]);
  });
});
