import { describe, expect, it } from "vitest";
import { ConfigError } from "../domain/errors.js";
import type { ServiceModel, StackModel } from "../domain/stack.js";
import { type ClusterFacts, imagesToCheck, refuseInfeasible, serviceProblems } from "./feasibility.js";
import type { ObservedImage, ObservedNode, ObservedService } from "./observed.js";
import { DEFAULT_UPDATE_MONITOR, planServiceSpec } from "./service-spec.js";

const GIB = 1024 ** 3;

const node = (over: Partial<ObservedNode> = {}): ObservedNode => ({
  id: "n1",
  hostname: "vm",
  role: "manager",
  status: "ready",
  availability: "active",
  labels: {},
  engineLabels: {},
  platform: { os: "linux", arch: "x86_64" },
  resources: { nanoCpus: 2e9, memoryBytes: 23.5 * GIB },
  ...over,
});
const one = [node()];
const three = [
  node(),
  node({
    id: "n2",
    hostname: "b",
    role: "worker",
    labels: { gpu: "true" },
    resources: { nanoCpus: 4e9, memoryBytes: 8 * GIB },
  }),
  node({ id: "n3", hostname: "c", role: "worker", resources: { nanoCpus: 1e9, memoryBytes: 2 * GIB } }),
];

const web: ServiceModel = {
  name: "web",
  image: "local/httpd:1",
  env: {},
  ports: [{ target: 8080, protocol: "tcp" }],
  replicas: 1,
  resources: { cpus: 0.5, memoryBytes: 256 * 1024 ** 2 },
};

/** The service as planned, on host port 30001 when it has a port. */
function problems(
  over: Partial<ServiceModel>,
  nodes: ObservedNode[] = one,
  o: { routingMesh?: boolean; images?: Record<string, ObservedImage> } = {},
) {
  const service = { ...web, ...over };
  const spec = planServiceSpec(service, {
    org: "acme",
    stack: "shop",
    namespace: "acme_shop",
    deploymentId: "d1",
    instance: "i1",
    networks: [{ Target: "net" }],
    routingMesh: o.routingMesh ?? false,
    updateMonitor: DEFAULT_UPDATE_MONITOR,
    hostPorts: service.ports.map((p) => p.published ?? 30001),
  });
  const facts: ClusterFacts = { nodes, images: new Map(Object.entries(o.images ?? {})) };
  return serviceProblems("web", spec, facts);
}

describe("serviceProblems", () => {
  it.each<[string, Partial<ServiceModel>, ObservedNode[], { routingMesh?: boolean }?]>([
    ["one replica with a host port on one node", {}, one],
    ["replicas without a published port share a node", { replicas: 5, ports: [] }, one],
    ["replicas of an ingress port on a routing mesh", { replicas: 5 }, one, { routingMesh: true }],
    ["one replica per node with a host port", { replicas: 3 }, three],
    ["a global service with a host port", { mode: "global" }, three],
    [
      "zero replicas, whatever the constraints",
      { replicas: 0, placement: { constraints: ["node.labels.x==y"] } },
      one,
    ],
    ["a constraint some node satisfies", { placement: { constraints: ["node.labels.gpu==true"] } }, three],
    ["max_replicas_per_node with enough nodes", { replicas: 3, ports: [], maxReplicasPerNode: 1 }, three],
    [
      "a reservation that fits the largest node",
      { reservations: { memoryBytes: 20 * GIB, cpus: 2 }, resources: { cpus: 2, memoryBytes: 20 * GIB } },
      three,
    ],
    [
      "replicas whose reservations fit together",
      {
        replicas: 4,
        ports: [],
        reservations: { memoryBytes: 2 * GIB },
        resources: { cpus: 0.5, memoryBytes: 2 * GIB },
      },
      three,
    ],
  ])("accepts %s", (_name, over, nodes, o = {}) => {
    expect(problems(over, nodes, o)).toEqual([]);
  });

  it.each<[string, Partial<ServiceModel>, ObservedNode[], string, string]>([
    [
      "two replicas publishing one host port on one node",
      { replicas: 2 },
      one,
      "services.web.replicas",
      "2 replicas cannot each publish host port 30001 (host mode) on 1 eligible node; use at most 1 replica, or run it on more nodes",
    ],
    [
      "more replicas with a host port than eligible nodes",
      { replicas: 3, placement: { constraints: ["node.role==worker"] } },
      [...three, node({ id: "n4", availability: "drain", role: "worker" })],
      "services.web.replicas",
      "3 replicas cannot each publish host port 30001 (host mode) on 2 eligible nodes; use at most 2 replicas, or run it on more nodes",
    ],
    [
      "more replicas than max_replicas_per_node allows",
      { replicas: 5, ports: [], maxReplicasPerNode: 2 },
      one,
      "services.web.replicas",
      "5 replicas with max_replicas_per_node 2 need 3 eligible nodes, there is 1",
    ],
    [
      "a constraint no node satisfies",
      { placement: { constraints: ["node.labels.nothing == here"] } },
      three,
      "services.web.deploy.placement.constraints",
      "no node satisfies node.labels.nothing == here (3 nodes)",
    ],
    [
      "constraints no node satisfies together",
      { placement: { constraints: ["node.labels.gpu==true", "node.hostname==c"] } },
      [...three, node({ id: "n4", status: "down" })],
      "services.web.deploy.placement.constraints",
      "no node satisfies node.labels.gpu==true and node.hostname==c (3 ready nodes of 4)",
    ],
    [
      "a constraint Swarm cannot read",
      { placement: { constraints: ["node.role=manager"] } },
      one,
      "services.web.deploy.placement.constraints",
      "'node.role=manager' has no operator (== or !=)",
    ],
    [
      "no node ready and active",
      {},
      [node({ availability: "drain" }), node({ id: "n2", status: "down" })],
      "services.web",
      "no node is ready and active (2 nodes)",
    ],
    [
      "a memory reservation larger than any node",
      { reservations: { memoryBytes: 1000 * GIB }, resources: { cpus: 0.5, memoryBytes: 1000 * GIB } },
      three,
      "services.web.deploy.resources.reservations.memory",
      "1000 GiB reserved, the largest node has 23.5 GiB",
    ],
    [
      "a CPU reservation larger than any eligible node",
      { reservations: { cpus: 3 }, placement: { constraints: ["node.hostname!=b"] } },
      three,
      "services.web.deploy.resources.reservations.cpus",
      "3 CPUs reserved, the largest node that satisfies its constraints has 2 CPUs",
    ],
    [
      "a memory reservation above the memory limit",
      { reservations: { memoryBytes: 512 * 1024 ** 2 } },
      one,
      "services.web.deploy.resources.reservations.memory",
      "512 MiB reserved is more than the memory limit of 256 MiB",
    ],
    [
      "replicas whose reservations do not fit together",
      {
        replicas: 3,
        ports: [],
        reservations: { memoryBytes: 10 * GIB },
        resources: { cpus: 0.5, memoryBytes: 10 * GIB },
      },
      one,
      "services.web.replicas",
      "3 replicas reserving 10 GiB each do not fit: at most 2 fit on 1 eligible node",
    ],
    [
      "a global service with a reservation some eligible node lacks",
      {
        mode: "global",
        reservations: { memoryBytes: 4 * GIB },
        resources: { cpus: 0.5, memoryBytes: 4 * GIB },
      },
      three,
      "services.web.deploy.resources.reservations.memory",
      "4 GiB reserved on each of 3 eligible nodes (global), but 1 of them has less (the smallest 2 GiB)",
    ],
  ])("refuses %s", (_name, over, nodes, path, message) => {
    expect(problems(over, nodes)).toEqual([{ path, message }]);
  });

  it("refuses an image that is not on the node and cannot be pulled, with the registry's reason", () => {
    const images = { "local/httpd:1": { state: "unavailable", reason: "no such host" } as const };
    expect(problems({}, one, { images })).toEqual([
      {
        path: "services.web.image",
        message: "local/httpd:1 is not on the node and cannot be pulled (no such host)",
      },
    ]);
  });

  it.each<ObservedImage>([{ state: "present" }, { state: "pullable" }])("accepts an image %j", (fact) => {
    expect(problems({}, one, { images: { "local/httpd:1": fact } })).toEqual([]);
  });

  it("lists every problem of a service", () => {
    const images = { "local/httpd:1": { state: "unavailable", reason: "x" } as const };
    expect(problems({ replicas: 2 }, one, { images }).map((p) => p.path)).toEqual([
      "services.web.image",
      "services.web.replicas",
    ]);
  });
});

describe("imagesToCheck", () => {
  const model: StackModel = {
    org: "acme",
    name: "shop",
    services: [
      { ...web, name: "new", image: "local/b:1" },
      { ...web, name: "same", image: "local/a:1" },
      { ...web, name: "pinned", image: "nginx:1" },
      { ...web, name: "changed", image: "local/a:2" },
      { ...web, name: "twin", image: "local/b:1" },
    ],
  };
  const live = (name: string, image: string) =>
    [`acme_shop_${name}`, { observed: { image } as ObservedService }] as const;

  it("checks the images of services created or whose image changes, each once", () => {
    const seen = new Map([
      live("same", "local/a:1"),
      live("pinned", "nginx:1@sha256:0123"),
      live("changed", "local/a:1"),
    ]);
    expect(imagesToCheck(model, "acme_shop", seen)).toEqual(["local/a:2", "local/b:1"]);
  });
});

describe("refuseInfeasible", () => {
  it("does nothing without problems", () => {
    expect(() => refuseInfeasible([])).not.toThrow();
  });

  it("throws a ConfigError naming the first path and listing every problem", () => {
    const problems = [
      { path: "services.web.replicas", message: "a" },
      { path: "services.db.image", message: "b" },
    ];
    let err: unknown;
    try {
      refuseInfeasible(problems);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe("services.web.replicas: a; services.db.image: b");
    expect((err as ConfigError).details).toEqual({ path: "services.web.replicas", problems });
  });
});
