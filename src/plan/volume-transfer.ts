// Volumes on another node than the Engine Berth talks to: which node holds a volume, and the one-task
// Swarm service that moves its contents through the backup store (a path every node mounts at the
// same place). No I/O.
//
//   backup:  task on the volume's node: tar -c of the volume (read-only) -> <store>/.transfer/<id>.tar
//            -> Berth: sha256 (+ encryption) into the archive, the transfer file deleted
//   restore: Berth: the checked archive, decrypted -> <store>/.transfer/<id>.tar
//            -> task on the volume's node: empty the volume, tar -x into it; the file deleted
import type { ObservedTask } from "./observed.js";
import type { SwarmServiceSpec } from "./swarm-types.js";

/** Where the volume is mounted in a transfer task; archives hold its files under `data/`. */
export const TRANSFER_MOUNT = "/data";
/** The store's subdirectory transfer files pass through (0700, emptied by each job). */
export const TRANSFER_DIR = ".transfer";

/**
 * The node whose copy of a volume a backup or restore works on: that of a running task of the
 * services mounting it, else that of their newest task (a stopped instance's last one); undefined
 * when no task ever ran (no node has the volume yet). `nodes` lists each node seen, for a warning
 * when a node-local volume has copies on several nodes.
 */
export function volumeNode(tasks: ObservedTask[]): { node?: string; nodes: string[] } {
  const withNode = tasks.filter((t) => t.nodeId);
  const nodes = [...new Set(withNode.map((t) => t.nodeId!))].sort();
  const running = withNode
    .filter((t) => t.state === "running" && t.desiredState === "running")
    .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0));
  if (running[0]) return { node: running[0].nodeId!, nodes };
  const newest = [...withNode].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  return newest ? { node: newest.nodeId!, nodes } : { nodes };
}

/** Whether the volume is on a node the Engine Berth talks to cannot reach into. */
export function isRemote(node: string | undefined, localNode: string): node is string {
  return node !== undefined && node !== localNode;
}

/** The helper's command that writes the volume (at TRANSFER_MOUNT) to `file` as a tar of `data/`. */
export function exportCommand(file: string): string[] {
  return ["tar", "-c", "-f", file, "-C", "/", TRANSFER_MOUNT.slice(1)];
}

/** The helper's command that empties the volume (at TRANSFER_MOUNT), then extracts the tar `file`. */
export function importCommand(file: string): string[] {
  return [
    "sh",
    "-c",
    `find ${TRANSFER_MOUNT} -mindepth 1 -maxdepth 1 -exec rm -rf {} + && tar -x -f "$1" -C /`,
    "sh",
    file,
  ];
}

/**
 * The one-task service that exports a volume to `file` or imports `file` into it, on `node`. It
 * never restarts, has no network, and carries `labels` (owner, job, helper role).
 */
export function transferSpec(o: {
  name: string;
  way: "export" | "import";
  node: string;
  volume: string;
  image: string;
  /** The store's directory, mounted at the same path (read-write to export, read-only to import). */
  dir: string;
  file: string;
  labels: Record<string, string>;
}): SwarmServiceSpec {
  const command = o.way === "export" ? exportCommand(o.file) : importCommand(o.file);
  const once = { Parallelism: 1, FailureAction: "pause" as const, Monitor: 0, Order: "stop-first" as const };
  return {
    Name: o.name,
    Labels: o.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: o.image,
        Labels: o.labels,
        Command: command,
        Env: [],
        Mounts: [
          {
            Type: "volume",
            Source: o.volume,
            Target: TRANSFER_MOUNT,
            ReadOnly: o.way === "export",
            VolumeOptions: { NoCopy: true },
          },
          { Type: "bind", Source: o.dir, Target: o.dir, ReadOnly: o.way === "import" },
        ],
      },
      Resources: { Limits: { NanoCPUs: 0, MemoryBytes: 0 } },
      RestartPolicy: { Condition: "none" },
      Placement: { Constraints: [`node.id==${o.node}`] },
      Networks: [],
    },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: once,
    RollbackConfig: once,
    EndpointSpec: { Mode: "dnsrr", Ports: [] },
  };
}

/** The slowest pace an import is given, on top of its start-up time: 1 MiB/s. */
export const IMPORT_MIN_BYTES_PER_S = 1024 * 1024;

/** What a transfer's watcher has seen so far (times in ms since the epoch). */
export interface TransferWatch {
  way: "export" | "import";
  /** When its service was created. */
  createdAt: number;
  /** When its task was first seen running. */
  runningAt?: number;
  /** Bytes in the transfer file: written so far (export), or to be read (import). */
  bytes: number;
  /** When an export's file last grew. */
  grewAt?: number;
}

/**
 * Why a transfer that has not ended should be given up, or undefined while it may go on. The task
 * has `startMs` to start (scheduling, image); then an export may run as long as its file keeps
 * growing (no growth for `stallMs` gives up), and an import, whose reading cannot be seen from
 * here, gets `stallMs` plus its file at IMPORT_MIN_BYTES_PER_S. A big volume on a slow disk is
 * slow, not stuck.
 */
export function transferOverdue(
  w: TransferWatch,
  now: number,
  o: { startMs: number; stallMs: number },
): string | undefined {
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;
  if (w.runningAt === undefined)
    return now - w.createdAt > o.startMs ? `did not start within ${s(o.startMs)}` : undefined;
  if (w.way === "export") {
    const since = Math.max(w.runningAt, w.grewAt ?? 0);
    return now - since > o.stallMs
      ? `wrote nothing for ${s(now - since)} (${w.bytes} bytes written)`
      : undefined;
  }
  const allowed = o.stallMs + (w.bytes / IMPORT_MIN_BYTES_PER_S) * 1000;
  return now - w.runningAt > allowed
    ? `did not finish reading ${w.bytes} bytes within ${s(allowed)} of starting`
    : undefined;
}
