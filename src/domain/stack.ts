// The stack model: what a user asked for, in Berth's terms. Both the short form (`berth deploy
// --image`) and compose files normalize into it; plan code translates it into Swarm specs.

export interface PortModel {
  /** Port the container listens on. */
  target: number;
  /** Host port, when the user asked for a fixed one. */
  published?: number;
  protocol: "tcp" | "udp";
}

export interface ResourcesModel {
  /** CPU limit in whole cores (0.5 = half a core). */
  cpus: number;
  memoryBytes: number;
}

export interface ServiceModel {
  name: string;
  image: string;
  command?: string[];
  env: Record<string, string>;
  ports: PortModel[];
  replicas: number;
  resources: ResourcesModel;
}

export interface StackModel {
  org: string;
  name: string;
  services: ServiceModel[];
}
