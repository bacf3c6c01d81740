// What Berth observes of Swarm, in its own terms. The engine adapter fills these from the Engine API;
// plan code reads them.

export type TaskState =
  | "new"
  | "allocated"
  | "pending"
  | "assigned"
  | "accepted"
  | "preparing"
  | "ready"
  | "starting"
  | "running"
  | "complete"
  | "shutdown"
  | "failed"
  | "rejected"
  | "remove"
  | "orphaned";

export interface ObservedTask {
  id: string;
  serviceId: string;
  slot?: number;
  nodeId?: string;
  state: TaskState;
  desiredState: string;
  message: string;
  error?: string;
  /** RFC 3339 timestamp from Docker's clock. */
  createdAt: string;
  /** When the task entered its current state (Docker's clock). */
  stateSince?: string;
  /** Digest of the task's spec: equal to its service's `taskSpec` when it runs the service's current spec. */
  spec?: string;
  /** The task's container, once it has one. */
  containerId?: string;
  /** The container's health checks, when Berth looked (only after the task ended; see rollout). */
  health?: { status: string; failingStreak: number; output?: string };
  /** The task's addresses (CIDR) on each network it is attached to, by network id. */
  addresses?: Record<string, string[]>;
  exitCode?: number;
}

export interface ObservedService {
  id: string;
  name: string;
  version: number;
  labels: Record<string, string>;
  image: string;
  replicas: number;
  /** A global service runs one task per eligible node; `replicas` does not apply. */
  global?: boolean;
  publishedPorts: number[];
  /** The same as `hostPortKey`s (`30000/tcp`): what the service holds, by protocol. */
  hostPorts: string[];
  /** RFC 3339 timestamp from Docker's clock of the last spec change. */
  updatedAt: string;
  /** Whether Swarm keeps a previous spec, i.e. the service was updated since it was created. */
  updated: boolean;
  updateStatus?: { state: string; startedAt?: string; message?: string };
  /** Digest of the service's task template, comparable with its tasks' `spec`. */
  taskSpec?: string;
  /** How long Swarm watches each updated task for failure (the update config's monitor), in ms. */
  monitorMs?: number;
}

export interface ObservedNode {
  id: string;
  hostname: string;
  role: string;
  status: string;
  availability: string;
  address?: string;
  /** The node's labels (`node.labels.<key>` in placement constraints). */
  labels: Record<string, string>;
  /** The node's Engine labels (`engine.labels.<key>`). */
  engineLabels: Record<string, string>;
  /** The node's Docker Engine version, when it reports one. */
  engineVersion?: string;
  /** As the Engine reports it: `linux`, `x86_64` (`node.platform.os`, `node.platform.arch`). */
  platform: { os: string; arch: string };
  /** What the node has in all, whatever runs on it (reservations are placed against this). */
  resources: { nanoCpus: number; memoryBytes: number };
}

/** Whether an image can run, as the Engine's own node sees it. */
export type ObservedImage =
  | {
      state: "present";
      /** The image declares its own HEALTHCHECK (other than NONE). */
      healthcheck?: boolean;
    }
  /** Not on the node; its registry knows it, so Swarm pulls it. */
  | { state: "pullable" }
  /** Not on the node and cannot be pulled: why (the registry's own words). */
  | { state: "unavailable"; reason: string };

/** An entry of the Engine's event stream. */
export interface EngineEvent {
  type: string;
  action: string;
  actorId: string;
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch, as the Engine reports it. */
  timeNano: bigint;
}

/**
 * The counters of one stats sample as the Engine reports them (cgroup v1 or v2 alike), with the
 * previous sample's CPU counters; plan/stats.ts turns them into a CPU % and memory used.
 */
export interface ContainerSample {
  read: string;
  cpu: { total: number; system: number; onlineCpus: number };
  preCpu: { total: number; system: number };
  memory: { usage: number; limit: number; inactiveFile?: number; cache?: number };
}
