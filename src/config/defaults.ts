// Defaults an operator would expect when the user says nothing. Quotas (a later step) override them
// per organization.

export const DEFAULT_ORG = "default";

export const DEFAULT_LIMITS = { cpus: 0.5, memoryBytes: 256 * 1024 * 1024 } as const;

/** Host ports Berth may publish on, like Kubernetes' NodePort range. */
export const DEFAULT_HOST_PORT_RANGE = { from: 30000, to: 32767 } as const;

export const DEFAULT_API_PORT = 4780;

/** Seconds Swarm and Berth watch each new or updated task where a service sets no monitor. */
export const DEFAULT_UPDATE_MONITOR_SECONDS = 5;

/**
 * glibc's allocator settings for the server process. By default glibc hands freed memory at the top
 * of its heap back to the kernel once more than 128 KiB is free, so a stream that allocates and
 * frees a buffer per read (a volume's bytes from a pipe, a log, a build context) faults every page in
 * afresh: on a virtual machine that cost reading a pipe at ~200 MB/s instead of ~1.3 GB/s. Keeping
 * up to 64 MiB (and allocations up to 4 MiB) in the heap ends that. An operator's own
 * GLIBC_TUNABLES malloc settings win; other C libraries ignore the variable.
 */
const MALLOC_TUNABLES = [
  "glibc.malloc.trim_threshold=67108864",
  "glibc.malloc.top_pad=16777216",
  "glibc.malloc.mmap_threshold=4194304",
];

/** Whether `env` already carries allocator settings (Berth's or the operator's). */
export function hasMallocTunables(env: NodeJS.ProcessEnv): boolean {
  return (env.GLIBC_TUNABLES ?? "").includes("glibc.malloc.");
}

/** `env` with Berth's allocator settings added, unless it has malloc settings of its own. */
export function withMallocTunables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (hasMallocTunables(env)) return env;
  const own = env.GLIBC_TUNABLES ? [env.GLIBC_TUNABLES] : [];
  return { ...env, GLIBC_TUNABLES: [...own, ...MALLOC_TUNABLES].join(":") };
}
