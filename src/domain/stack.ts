// The stack model: what a user asked for, in Berth's terms. Both the short form (`berth deploy
// --image`) and compose files normalize into it; plan code translates it into Swarm specs. Optional
// fields are left unset when the user did not give them, so that the planner can tell "not asked"
// from "asked for the zero value", as `docker stack deploy` does. Durations are in nanoseconds.

export interface PortModel {
  /** Port the container listens on. */
  target: number;
  /** Host port, when the user asked for a fixed one. */
  published?: number;
  protocol: "tcp" | "udp" | "sctp";
  /**
   * How the port is published, when the user said (compose). Unset: Berth decides from the
   * cluster's routing mesh and picks a host port from its range (short form).
   */
  mode?: "ingress" | "host";
}

export interface ResourcesModel {
  /** CPU limit in whole cores (0.5 = half a core). */
  cpus: number;
  memoryBytes: number;
  pids?: number;
}

export interface ReservationsModel {
  cpus?: number;
  memoryBytes?: number;
}

export interface UpdateModel {
  parallelism?: number;
  delay?: number;
  failureAction?: "pause" | "continue" | "rollback";
  monitor?: number;
  maxFailureRatio?: number;
  order?: "stop-first" | "start-first";
  /**
   * What fills the fields left out: Swarm's defaults (compose, as `docker stack deploy` does), or
   * Berth's (the short form: plan/service-spec.ts `defaultUpdateConfig`).
   */
  defaults?: "swarm" | "berth";
}

export interface RestartModel {
  condition?: "none" | "on-failure" | "any";
  delay?: number;
  maxAttempts?: number;
  window?: number;
}

export interface HealthcheckModel {
  /** Docker's form: `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`; unset: the image's command. */
  test?: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
  /**
   * Berth's port check (the short form's default, plan/healthcheck.ts): passes once something listens
   * on this TCP port. Stands for `test` when that is unset; the plan turns it into a command.
   */
  port?: number;
}

export type MountModel =
  | {
      type: "volume";
      /** Stack volume key, or an external volume's name; unset for an anonymous volume. */
      source?: string;
      target: string;
      readOnly?: boolean;
      noCopy?: boolean;
    }
  | { type: "bind"; source: string; target: string; readOnly?: boolean; propagation?: string }
  | { type: "tmpfs"; target: string; readOnly?: boolean; sizeBytes?: number; mode?: number };

export interface FileRefModel {
  /** Key under the stack's `secrets:` or `configs:`. */
  source: string;
  target: string;
  uid: string;
  gid: string;
  mode: number;
}

export interface NetworkRefModel {
  /** Key under the stack's `networks:`. */
  name: string;
  aliases: string[];
}

/**
 * A host name (and path prefix) the proxy routes to a port of this service, created, changed and
 * removed with the stack's deployments. The port needs no host port: the proxy reaches the tasks
 * over the organization's network.
 */
export interface ServiceDomainModel {
  /** Normalized (config/hostname.ts). */
  host: string;
  /** Path prefix without a trailing slash, "" for the whole host. */
  path: string;
  port: number;
  tls: "acme" | "internal" | "off" | "upload";
  httpsRedirect: boolean;
}

export interface ServiceModel {
  name: string;
  image: string;
  /** Replaces the image's entrypoint (Swarm's Command). */
  entrypoint?: string[];
  /** Arguments (Swarm's Args). */
  command?: string[];
  /** A null value is a bare name (`FOO`): the container gets it unset, as docker sends it. */
  env: Record<string, string | null>;
  ports: PortModel[];
  /** Replicas of a replicated service; ignored for a global one. */
  replicas: number;
  mode?: "replicated" | "global";
  maxReplicasPerNode?: number;
  /** Limits; the planner always sets them (quota defaults when the user gave none). */
  resources: ResourcesModel;
  reservations?: ReservationsModel;
  /** Labels on the service (compose `deploy.labels`). */
  labels?: Record<string, string>;
  /** Labels on the containers (compose `labels`). */
  containerLabels?: Record<string, string>;
  hostname?: string;
  user?: string;
  workingDir?: string;
  groups?: string[];
  stopGracePeriod?: number;
  stopSignal?: string;
  tty?: boolean;
  stdinOpen?: boolean;
  readOnly?: boolean;
  init?: boolean;
  sysctls?: Record<string, string>;
  /** Capabilities added and dropped, as docker normalizes them (`CAP_` names, `ALL`), sorted. */
  capabilityAdd?: string[];
  capabilityDrop?: string[];
  ulimits?: Record<string, { soft: number; hard: number }>;
  healthcheck?: HealthcheckModel | { disable: true };
  logging?: { driver?: string; options?: Record<string, string> };
  dns?: { nameservers?: string[]; search?: string[]; options?: string[] };
  /** `host:ip` pairs as compose writes them. */
  extraHosts?: string[];
  isolation?: string;
  mounts?: MountModel[];
  secrets?: FileRefModel[];
  configs?: FileRefModel[];
  /** Stack networks the service joins; unset means the stack's default network. */
  networks?: NetworkRefModel[];
  endpointMode?: "vip" | "dnsrr";
  restart?: RestartModel;
  update?: UpdateModel;
  rollback?: UpdateModel;
  placement?: { constraints?: string[]; preferences?: string[] };
  /**
   * Host access the file asked for (compose keys Swarm ignores or that give a container power over
   * its host). Kept so the tenant policy can refuse them by name rather than drop them silently.
   */
  /** Routes through the proxy to this service (not part of its Swarm spec). */
  domains?: ServiceDomainModel[];
  /**
   * Managed databases of the organization this service uses (`--db`, `x-berth-databases`): each
   * becomes a Docker secret with its URL and PG* env (not part of the input's Swarm spec).
   */
  databases?: string[];
  hostAccess?: {
    privileged?: boolean;
    capAdd?: string[];
    devices?: string[];
    /** `network_mode`, `pid`, `ipc`, `userns_mode` set to `host`. */
    hostNamespaces?: string[];
    securityOpt?: string[];
  };
}

export interface StackNetworkModel {
  /** Name of an existing network the stack uses, when external. */
  external?: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels?: Record<string, string>;
  attachable?: boolean;
  internal?: boolean;
  ipam?: { driver?: string; config: { subnet?: string; gateway?: string; ipRange?: string }[] };
}

export interface StackVolumeModel {
  external?: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface StackFileModel {
  external?: string;
  labels?: Record<string, string>;
  /**
   * The content, base64. For secrets it is sealed (encrypted with the installation's master key)
   * before the model is stored; configs are not secret.
   */
  data?: string;
  /** Short digest of the content: part of the Swarm object's name, since their content cannot change. */
  digest?: string;
  templateDriver?: string;
}

export interface StackModel {
  org: string;
  name: string;
  services: ServiceModel[];
  networks?: Record<string, StackNetworkModel>;
  volumes?: Record<string, StackVolumeModel>;
  secrets?: Record<string, StackFileModel>;
  configs?: Record<string, StackFileModel>;
}
