// The subset of the Docker Engine API's Swarm types (API 1.41) that Berth plans. Kept here so plan
// code has precise types without importing the Docker client. Field names are the Engine's.

export interface SwarmPort {
  Protocol: "tcp" | "udp" | "sctp";
  TargetPort: number;
  PublishedPort?: number;
  PublishMode: "ingress" | "host";
}

export interface SwarmUpdateConfig {
  Parallelism: number;
  Delay?: number;
  FailureAction?: "" | "pause" | "continue" | "rollback";
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: "" | "stop-first" | "start-first";
}

export interface SwarmMount {
  Type: "volume" | "bind" | "tmpfs";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface SwarmFileRef {
  File: { Name: string; UID: string; GID: string; Mode: number };
  /** Filled with the object's id by the applier; the planner knows names only. */
  SecretID?: string;
  SecretName?: string;
  ConfigID?: string;
  ConfigName?: string;
}

export interface SwarmContainerSpec {
  Image: string;
  Labels: Record<string, string>;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: SwarmMount[];
  StopSignal?: string;
  StopGracePeriod?: number;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    Retries?: number;
    StartPeriod?: number;
  };
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: SwarmFileRef[];
  Configs?: SwarmFileRef[];
  Isolation?: string;
  Init?: boolean;
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  Privileges?: { CredentialSpec: null; SELinuxContext: null };
}

export interface SwarmServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: SwarmContainerSpec;
    Resources: {
      Limits: { NanoCPUs: number; MemoryBytes: number; Pids?: number };
      Reservations?: { NanoCPUs?: number; MemoryBytes?: number };
    };
    RestartPolicy: {
      Condition?: "none" | "on-failure" | "any";
      Delay?: number;
      MaxAttempts?: number;
      Window?: number;
    };
    Placement?: {
      Constraints?: string[];
      Preferences?: { Spread: { SpreadDescriptor: string } }[];
      MaxReplicas?: number;
    };
    LogDriver?: { Name?: string; Options?: Record<string, string> };
    Networks: { Target: string; Aliases?: string[] }[];
    /** A counter whose change replaces every task (a restart); planned specs carry the live one. */
    ForceUpdate?: number;
  };
  Mode: { Replicated: { Replicas: number } } | { Global: Record<string, never> };
  UpdateConfig: SwarmUpdateConfig;
  RollbackConfig: SwarmUpdateConfig;
  EndpointSpec: { Mode: "vip" | "dnsrr"; Ports: SwarmPort[] };
}

export interface SwarmNetworkSpec {
  Name: string;
  Driver: string;
  Attachable: boolean;
  Internal?: boolean;
  CheckDuplicate: boolean;
  Labels: Record<string, string>;
  Options?: Record<string, string>;
  IPAM?: { Driver: string; Config: { Subnet?: string; Gateway?: string; IPRange?: string }[] };
}

export interface SwarmVolumeSpec {
  Name: string;
  Driver: string;
  DriverOpts: Record<string, string>;
  Labels: Record<string, string>;
}

/** Body of a secret or config create call. `Data` is base64. */
export interface SwarmFileSpec {
  Name: string;
  Labels: Record<string, string>;
  Data: string;
  Templating?: { Name: string };
}
