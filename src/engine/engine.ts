// The engine interface: everything Berth asks of the container orchestrator. Swarm specifics live
// behind it (swarm.ts) so another backend can follow.
import type {
  ContainerSample,
  EngineEvent,
  ObservedImage,
  ObservedNode,
  ObservedService,
  ObservedTask,
} from "../plan/observed.js";
import type { SubnetClaim } from "../plan/subnets.js";
import type { SwarmFileSpec, SwarmNetworkSpec, SwarmServiceSpec } from "../plan/swarm-types.js";

export type FileKind = "secret" | "config";

export interface NamedObject {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface LogOptions {
  follow: boolean;
  /** Seconds since the epoch. */
  since?: number;
  tail?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface LiveService {
  observed: ObservedService;
  /** The spec as the Engine stores it (defaults filled in), for comparison with a planned one. */
  spec: unknown;
}

export interface ClusterInfo {
  nodeId: string;
  /** True when this call initialized the swarm. */
  initialized: boolean;
  /** Whether the ingress routing mesh can carry traffic (needs IPVS in the kernel). */
  routingMesh: boolean;
}

export interface Engine {
  /** Fails with Unavailable, naming what to do, when the Engine cannot be reached. */
  ping(): Promise<void>;
  ensureCluster(opts: { advertiseAddr?: string }): Promise<ClusterInfo>;
  /** The id of the network with exactly this name, if there is one. */
  findNetwork(name: string): Promise<string | undefined>;
  /** The subnets of every network the Engine knows, with their networks (to allocate non-overlapping ones). */
  subnetClaims(): Promise<SubnetClaim[]>;
  /** Creates the overlay network unless one by that name exists; returns its id. */
  ensureNetwork(spec: SwarmNetworkSpec): Promise<string>;
  /** The service with exactly this name, whoever owns it (callers check its labels). */
  findService(name: string): Promise<LiveService | undefined>;
  createService(spec: SwarmServiceSpec): Promise<string>;
  updateService(id: string, version: number, spec: SwarmServiceSpec): Promise<void>;
  removeService(id: string): Promise<void>;
  /** Like listServices, with each service's stored spec. */
  listLive(labels: string[]): Promise<LiveService[]>;
  /** Services that carry all of `labels` (`key=value` strings). */
  listServices(labels: string[]): Promise<ObservedService[]>;
  /** Every task of the swarm. */
  listTasks(): Promise<ObservedTask[]>;
  /** Tasks of these services (removed ones included), in one call. */
  tasksOf(serviceIds: string[]): Promise<ObservedTask[]>;
  /** These services (Berth's or not) as they are now, in one call; missing ones are left out. */
  servicesById(ids: string[]): Promise<ObservedService[]>;
  listNodes(): Promise<ObservedNode[]>;
  /**
   * Whether the image is on the Engine's own node, else whether its registry knows it (asked with a
   * timeout of a few seconds; a registry that cannot be reached makes it unavailable, with why).
   */
  imageAvailability(ref: string): Promise<ObservedImage>;
  /** A container's health-check state, when it is on this Engine's node and has a health check. */
  containerHealth(id: string): Promise<ObservedTask["health"] | undefined>;
  /**
   * The Engine's event stream for services, containers, nodes and networks, from `since` (seconds
   * since the epoch, fractions allowed). Ends when the connection ends or `signal` aborts.
   */
  events(opts: { since?: string; signal: AbortSignal }): AsyncIterable<EngineEvent>;
  /** Host ports published by any service on the cluster, as `hostPortKey`s (`30000/tcp`). */
  usedHostPorts(): Promise<Set<string>>;
  /** Objects of `kind` with exactly one of these names, whoever owns them (callers check their labels). */
  objectsNamed(kind: "network" | "volume" | FileKind, names: string[]): Promise<NamedObject[]>;
  /** Networks that carry all of `labels`. */
  listNetworks(labels: string[]): Promise<NamedObject[]>;
  removeNetwork(id: string): Promise<void>;
  /** Creates the secret or config unless one by that name exists; returns its id. */
  ensureFile(kind: FileKind, spec: SwarmFileSpec): Promise<string>;
  listFiles(kind: FileKind, labels: string[]): Promise<NamedObject[]>;
  /** Removes it; false when a service still uses it. */
  removeFile(kind: FileKind, id: string): Promise<boolean>;
  /** Volumes on the Engine's own node that carry all of `labels`. */
  listVolumes(labels: string[]): Promise<NamedObject[]>;
  removeVolume(name: string): Promise<void>;
  /** Bytes used by volumes carrying all of `labels`, on the Engine's own node. */
  volumeBytes(labels: string[]): Promise<number>;
  /** A service's log lines (both streams, demultiplexed), oldest first. */
  serviceLogs(id: string, opts: LogOptions): AsyncIterable<{ stream: "stdout" | "stderr"; line: string }>;
  /** Containers on the Engine's own node carrying all of `labels` (running or not), with their labels. */
  listContainers(labels: string[]): Promise<{ id: string; state: string; labels: Record<string, string> }[]>;
  /** One stats sample of a container (the Engine's one-shot stats); undefined when it is gone. */
  containerStats(id: string): Promise<ContainerSample | undefined>;
}
