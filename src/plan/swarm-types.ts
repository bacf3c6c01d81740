// The subset of the Docker Engine API's Swarm types (API 1.41) that Berth plans. Kept here so plan
// code has precise types without importing the Docker client.

export interface SwarmPort {
  Protocol: "tcp" | "udp";
  TargetPort: number;
  PublishedPort?: number;
  PublishMode: "ingress" | "host";
}

export interface SwarmUpdateConfig {
  Parallelism: number;
  Delay: number;
  FailureAction: "pause" | "continue" | "rollback";
  Monitor: number;
  MaxFailureRatio: number;
  Order: "stop-first" | "start-first";
}

export interface SwarmServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Labels: Record<string, string>;
      Args?: string[];
      Env: string[];
    };
    Resources: { Limits: { NanoCPUs: number; MemoryBytes: number } };
    RestartPolicy: { Condition: "none" | "on-failure" | "any"; Delay: number; MaxAttempts: number };
    Networks: { Target: string }[];
  };
  Mode: { Replicated: { Replicas: number } };
  UpdateConfig: SwarmUpdateConfig;
  RollbackConfig: SwarmUpdateConfig;
  EndpointSpec: { Mode: "vip" | "dnsrr"; Ports: SwarmPort[] };
}

export interface SwarmNetworkSpec {
  Name: string;
  Driver: "overlay";
  Attachable: boolean;
  CheckDuplicate: boolean;
  Labels: Record<string, string>;
  Options?: Record<string, string>;
  IPAM?: { Driver: "default"; Config: { Subnet: string }[] };
}
