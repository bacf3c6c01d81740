import { describe, expect, it } from "vitest";
import { ConfigError, Conflict } from "../domain/errors.js";
import { LABEL, ownerLabels } from "../domain/labels.js";
import type { StackModel } from "../domain/stack.js";
import type { ObservedImage, ObservedNode, ObservedService } from "./observed.js";
import { DEFAULT_UPDATE_MONITOR, planServiceSpec } from "./service-spec.js";
import { planStackDeploy, removedServices, type StackObservation } from "./stack-deploy.js";

const model: StackModel = {
  org: "acme",
  name: "shop",
  services: [
    {
      name: "web",
      image: "local/httpd:1",
      env: {},
      ports: [{ target: 8080, protocol: "tcp" }],
      replicas: 1,
      resources: { cpus: 0.5, memoryBytes: 1 << 28 },
    },
  ],
};
const ctx = {
  deploymentId: "d2",
  instance: "i1",
  namespace: "acme_shop",
  network: "berth-org-acme",
  routingMesh: false,
  hostPortRange: { from: 30000, to: 30001 },
  updateMonitor: DEFAULT_UPDATE_MONITOR,
};

const observed = (over: Partial<ObservedService> = {}): ObservedService => ({
  id: "svc1",
  name: "acme_shop_web",
  version: 7,
  labels: { ...ownerLabels({ org: "acme", stack: "shop", service: "web" }), [LABEL.instance]: "i1" },
  image: "local/httpd:1",
  replicas: 1,
  publishedPorts: [30001],
  hostPorts: ["30001/tcp"],
  updatedAt: "2026-01-01T00:00:00Z",
  updated: false,
  ...over,
});

const liveSpec = (image: string, port: number) =>
  planServiceSpec(
    { ...model.services[0]!, image },
    {
      org: "acme",
      stack: "shop",
      namespace: "acme_shop",
      deploymentId: "d1",
      instance: "i1",
      networks: [{ Target: "berth-org-acme" }],
      routingMesh: false,
      updateMonitor: DEFAULT_UPDATE_MONITOR,
      hostPorts: [port],
    },
  );

const seen = (
  entries: [string, { observed: ObservedService; spec: unknown }][],
  used: (number | string)[],
): StackObservation => ({
  live: new Map(entries),
  // A bare number is a TCP port.
  usedHostPorts: new Set(used.map((p) => (typeof p === "number" ? `${p}/tcp` : p))),
});

describe("planStackDeploy", () => {
  it("creates a new service on the lowest free host port", () => {
    const [step] = planStackDeploy(model, seen([], [30000]), ctx).steps;
    expect(step!.action).toBe("create");
    expect(step!.spec.EndpointSpec.Ports[0]!.PublishedPort).toBe(30001);
    expect(step!.spec.Labels["berth.deployment"]).toBe("d2");
  });

  it("leaves an unchanged service alone and keeps its port", () => {
    const live = { observed: observed(), spec: liveSpec("local/httpd:1", 30001) };
    const [step] = planStackDeploy(model, seen([["acme_shop_web", live]], [30000, 30001]), ctx).steps;
    expect(step).toMatchObject({ action: "none", id: "svc1" });
  });

  it("updates a changed service with the version it read", () => {
    const live = { observed: observed(), spec: liveSpec("local/httpd:0", 30001) };
    const [step] = planStackDeploy(model, seen([["acme_shop_web", live]], [30001]), ctx).steps;
    expect(step).toMatchObject({ action: "update", id: "svc1", version: 7 });
  });

  it.each([
    [
      "a requested port another service holds",
      { published: 30000 },
      [30000],
      "ports.0.published: host port 30000/tcp is already published by another service",
    ],
    [
      "a requested UDP port another service holds",
      { published: 30000, protocol: "udp" as const },
      ["30000/udp"],
      "ports.0.published: host port 30000/udp",
    ],
    ["a full range", {}, [30000, 30001], "no free host port left in the allowed range 30000-30001"],
  ])("refuses %s", (_name, portOver, used, message) => {
    const m = {
      ...model,
      services: [{ ...model.services[0]!, ports: [{ target: 8080, protocol: "tcp" as const, ...portOver }] }],
    };
    expect(() => planStackDeploy(m, seen([], used), ctx)).toThrow(message);
  });

  it("publishes one host port for TCP and UDP, as docker does, next to another service's TCP port", () => {
    const m: StackModel = {
      ...model,
      services: [
        {
          ...model.services[0]!,
          ports: [
            { target: 5000, published: 30000, protocol: "tcp", mode: "ingress" },
            { target: 5000, published: 30000, protocol: "udp", mode: "ingress" },
            { target: 53, published: 30001, protocol: "udp", mode: "ingress" },
          ],
        },
      ],
    };
    const [step] = planStackDeploy(m, seen([], [30001]), ctx).steps;
    expect(step!.hostPorts).toEqual([30000, 30000, 30001]);
  });

  it("refuses the same port and protocol twice in one service", () => {
    const port = { target: 5000, published: 30000, protocol: "tcp" as const, mode: "ingress" as const };
    const m: StackModel = {
      ...model,
      services: [{ ...model.services[0]!, ports: [port, { ...port, target: 5001 }] }],
    };
    expect(() => planStackDeploy(m, seen([], []), ctx)).toThrow("ports.1.published: host port 30000/tcp");
  });

  it("picks a free host port per protocol", () => {
    const m: StackModel = {
      ...model,
      services: [{ ...model.services[0]!, ports: [{ target: 53, protocol: "udp" }] }],
    };
    const [step] = planStackDeploy(m, seen([], [30000]), ctx).steps;
    expect(step!.hostPorts).toEqual([30000]);
  });

  // Whatever its name, a service is only this stack's when its labels say so: another organization's,
  // another installation's, or one Berth did not make is never updated (or read into the plan).
  it.each([
    ["another organization's", { [LABEL.org]: "acme-x" }],
    ["another stack's", { [LABEL.stack]: "other" }],
    ["another installation's", { [LABEL.instance]: "i2" }],
    ["another service's", { [LABEL.service]: "api" }],
    ["not Berth's", { [LABEL.managed]: "false" }],
  ])("refuses to take over %s service of the same name, without naming its owner", (_n, labels) => {
    const foreign = observed({ labels: { ...observed().labels, ...labels } });
    const live = { observed: foreign, spec: liveSpec("local/httpd:0", 30001) };
    const plan = () => planStackDeploy(model, seen([["acme_shop_web", live]], [30001]), ctx);
    expect(plan).toThrow(Conflict);
    expect(plan).toThrow(
      "a service named 'acme_shop_web' already exists on the swarm and is not this stack's",
    );
    expect(plan).not.toThrow(/acme-x|\bi2\b|stack: other/);
  });

  it.each(["network", "volume", "secret", "config"] as const)(
    "refuses a %s under the stack's name that is not the stack's",
    (kind) => {
      const m: StackModel = {
        ...model,
        networks: { default: {} },
        volumes: { data: {} },
        secrets: { key: { data: "", digest: "abc" } },
        configs: { conf: { data: "", digest: "def" } },
      };
      const names = {
        network: "acme_shop_default",
        volume: "acme_shop_data",
        secret: "acme_shop_key-abc",
        config: "acme_shop_conf-def",
      };
      const ours = { ...ownerLabels({ org: "acme", stack: "shop" }), [LABEL.instance]: "i1" };
      const at = (labels: Record<string, string>): StackObservation => ({
        ...seen([], []),
        objects: [{ kind, name: names[kind], labels }],
      });
      expect(() => planStackDeploy(m, at(ours), ctx)).not.toThrow();
      expect(() => planStackDeploy(m, at({ ...ours, [LABEL.org]: "acme-shop" }), ctx)).toThrow(
        `a ${kind} named '${names[kind]}' already exists on the swarm and is not this stack's`,
      );
      expect(() => planStackDeploy(m, at({}), ctx)).toThrow(Conflict);
    },
  );
});

describe("planStackDeploy on the cluster as observed", () => {
  const node: ObservedNode = {
    id: "n1",
    hostname: "vm",
    role: "manager",
    status: "ready",
    availability: "active",
    labels: {},
    engineLabels: {},
    platform: { os: "linux", arch: "x86_64" },
    resources: { nanoCpus: 2e9, memoryBytes: 8 * 1024 ** 3 },
  };
  const cluster = (images: Record<string, ObservedImage> = {}) => ({
    nodes: [node],
    images: new Map(Object.entries(images)),
  });
  const two: StackModel = {
    ...model,
    services: [
      { ...model.services[0]!, replicas: 2 },
      { ...model.services[0]!, name: "db", image: "local/nope:1", ports: [] },
    ],
  };
  const unavailable = { "local/nope:1": { state: "unavailable", reason: "no such host" } as const };

  it("refuses what cannot converge with every problem, before anything is planned to run", () => {
    const plan = () => planStackDeploy(two, { ...seen([], []), cluster: cluster(unavailable) }, ctx);
    expect(plan).toThrow(ConfigError);
    expect(plan).toThrow(
      "services.web.replicas: 2 replicas cannot each publish host port 30000 (host mode) on 1 eligible node; use at most 1 replica, or run it on more nodes; services.db.image: local/nope:1 is not on the node and cannot be pulled (no such host)",
    );
  });

  it("does not check without observed nodes (render, benches)", () => {
    expect(planStackDeploy(two, seen([], []), ctx).steps).toHaveLength(2);
  });

  it("leaves a service it does not change alone, even one that could not converge now", () => {
    const live = { observed: observed(), spec: liveSpec("local/httpd:1", 30001) };
    const m = { ...model, services: [{ ...model.services[0]!, image: "local/httpd:1" }] };
    const at = { ...seen([["acme_shop_web", live]], [30001]), cluster: { ...cluster(), nodes: [] } };
    expect(planStackDeploy(m, at, ctx).steps[0]).toMatchObject({ action: "none" });
    const changed = { ...m, services: [{ ...m.services[0]!, env: { A: "1" } }] };
    expect(() => planStackDeploy(changed, at, ctx)).toThrow(
      "services.web: no node is ready and active (0 nodes)",
    );
  });
});

describe("removedServices", () => {
  it("picks the stack's live services the model no longer has, by their service label", () => {
    const live = [
      { name: "x", labels: { [LABEL.service]: "web" } },
      { name: "acme_shop_web", labels: { [LABEL.service]: "gone" } },
    ];
    expect(removedServices(model, live)).toEqual([live[1]]);
  });
});

describe("planStackDeploy after a restart (ForceUpdate)", () => {
  const restarted = (replicas: number) => {
    const spec = structuredClone(liveSpec("local/httpd:1", 30001)) as any;
    spec.TaskTemplate.ForceUpdate = 2;
    spec.Mode.Replicated.Replicas = replicas;
    return { observed: observed(), spec };
  };

  it("sees no change: the restart is not undone", () => {
    const [step] = planStackDeploy(model, seen([["acme_shop_web", restarted(1)]], [30001]), ctx).steps;
    expect(step!.action).toBe("none");
  });

  it("keeps the counter on an update, so a scale does not replace the tasks", () => {
    const scaled = { ...model, services: [{ ...model.services[0]!, replicas: 3 }] };
    const [step] = planStackDeploy(scaled, seen([["acme_shop_web", restarted(1)]], [30001]), ctx).steps;
    expect(step).toMatchObject({ action: "update", replacesTasks: false });
    expect(step!.spec.TaskTemplate.ForceUpdate).toBe(2);
  });

  it("creates a new service without a counter", () => {
    const [step] = planStackDeploy(model, seen([], []), ctx).steps;
    expect(step!.spec.TaskTemplate).not.toHaveProperty("ForceUpdate");
  });
});
