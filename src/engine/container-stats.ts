// Containers on the Engine's own node and their one-shot stats (the Engine's `stats?stream=false`),
// read into Berth's terms. A container's stats are only on the node that runs it: tasks elsewhere
// are not visible to this Engine.
import type Docker from "dockerode";
import { withContext } from "../domain/errors.js";
import type { ContainerSample } from "../plan/observed.js";

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

export async function listContainers(
  docker: Docker,
  labels: string[],
): Promise<{ id: string; state: string; labels: Record<string, string> }[]> {
  try {
    const raw = await docker.listContainers({ all: true, filters: { label: labels } });
    return raw.map((c) => ({ id: c.Id, state: c.State, labels: c.Labels ?? {} }));
  } catch (err) {
    throw withContext("list containers", err);
  }
}

export async function containerStats(docker: Docker, id: string): Promise<ContainerSample | undefined> {
  let raw: any;
  try {
    raw = await docker.getContainer(id).stats({ stream: false });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw withContext(`stats of container ${id}`, err);
  }
  const mem = raw.memory_stats ?? {};
  const st = mem.stats ?? {};
  return {
    read: typeof raw.read === "string" ? raw.read : new Date().toISOString(),
    cpu: {
      total: num(raw.cpu_stats?.cpu_usage?.total_usage),
      system: num(raw.cpu_stats?.system_cpu_usage),
      onlineCpus: num(raw.cpu_stats?.online_cpus) || (raw.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 0),
    },
    preCpu: {
      total: num(raw.precpu_stats?.cpu_usage?.total_usage),
      system: num(raw.precpu_stats?.system_cpu_usage),
    },
    memory: {
      usage: num(mem.usage),
      limit: num(mem.limit),
      // cgroup v2 names it inactive_file, v1 total_inactive_file; `docker stats` subtracts it.
      ...(st.inactive_file !== undefined ? { inactiveFile: num(st.inactive_file) } : {}),
      ...(st.inactive_file === undefined && st.total_inactive_file !== undefined
        ? { inactiveFile: num(st.total_inactive_file) }
        : {}),
      ...(st.cache !== undefined ? { cache: num(st.cache) } : {}),
    },
  };
}
