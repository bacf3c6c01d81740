import { describe, expect, it } from "vitest";
import type { StackModel } from "../domain/stack.js";
import type { ObservedService } from "./observed.js";
import { type DesiredStack, type LiveServiceView, planReconcile } from "./reconcile.js";
import { DEFAULT_UPDATE_MONITOR, planServiceSpec } from "./service-spec.js";

const model: StackModel = {
  org: "acme",
  name: "shop",
  services: [
    {
      name: "web",
      image: "local/httpd:1",
      env: {},
      ports: [{ target: 8080, protocol: "tcp" }],
      replicas: 2,
      resources: { cpus: 0.5, memoryBytes: 1 << 28 },
    },
  ],
};
const ctx = {
  instance: "i1",
  orgNetworks: new Map([["acme", "net1"]]),
  networkIds: new Map<string, string>(),
  routingMesh: false,
  hostPortRange: { from: 30000, to: 30010 },
  updateMonitor: DEFAULT_UPDATE_MONITOR,
  usedHostPorts: new Set(["30000/tcp"]),
};
const settled: DesiredStack = {
  org: "acme",
  name: "shop",
  namespace: "acme_shop",
  latestStatus: "succeeded",
  settled: { deploymentId: "d1", model },
};

function live(
  over: { replicas?: number; name?: string; labels?: Record<string, string> } = {},
): LiveServiceView {
  const spec = planServiceSpec(
    { ...model.services[0]!, replicas: over.replicas ?? 2 },
    {
      org: "acme",
      stack: "shop",
      namespace: "acme_shop",
      deploymentId: "d1",
      instance: "i1",
      networks: [{ Target: "net1" }],
      routingMesh: false,
      updateMonitor: DEFAULT_UPDATE_MONITOR,
      hostPorts: [30000],
    },
  );
  const labels = over.labels ?? spec.Labels;
  const name = over.name ?? spec.Name;
  const observed: ObservedService = {
    id: `id-${name}`,
    name,
    version: 3,
    labels,
    image: "local/httpd:1",
    replicas: over.replicas ?? 2,
    publishedPorts: [30000],
    hostPorts: ["30000/tcp"],
    updatedAt: "2026-01-01T00:00:00Z",
    updated: false,
  };
  return { observed, spec: { ...spec, Name: name, Labels: labels } };
}

describe("planReconcile", () => {
  it("finds nothing when Swarm runs what the last successful deployment asked for", () => {
    expect(planReconcile([settled], [live()], ctx)).toEqual({ drift: [], actions: [] });
  });

  it("recreates a missing service", () => {
    const { drift, actions } = planReconcile([settled], [], ctx);
    expect(drift).toEqual([{ kind: "missing", org: "acme", stack: "shop", service: "web" }]);
    expect(actions).toMatchObject([{ type: "create", spec: { Name: "acme_shop_web" } }]);
  });

  it("sets a changed service back, naming what changed", () => {
    const { drift, actions } = planReconcile([settled], [live({ replicas: 5 })], ctx);
    expect(drift).toEqual([
      { kind: "changed", org: "acme", stack: "shop", service: "web", fields: ["replicas"] },
    ]);
    expect(actions).toMatchObject([{ type: "update", id: "id-acme_shop_web", version: 3 }]);
  });

  it("leaves a restarted service alone, and keeps its restart when it sets it back", () => {
    const restarted = (replicas: number) => {
      const l = live({ replicas });
      (l.spec as any).TaskTemplate.ForceUpdate = 3;
      return l;
    };
    expect(planReconcile([settled], [restarted(2)], ctx)).toEqual({ drift: [], actions: [] });
    const { actions } = planReconcile([settled], [restarted(5)], ctx);
    expect(actions).toMatchObject([{ type: "update", spec: { TaskTemplate: { ForceUpdate: 3 } } }]);
  });

  it("removes a Berth service of this installation that no stack wants", () => {
    const orphan = live({
      name: "acme_gone_web",
      labels: {
        "berth.managed": "true",
        "berth.org": "acme",
        "berth.stack": "gone",
        "berth.service": "web",
        "berth.instance": "i1",
      },
    });
    const { drift, actions } = planReconcile([settled], [live(), orphan], ctx);
    expect(drift).toEqual([
      { kind: "orphan", org: "acme", stack: "gone", service: "web", swarmName: "acme_gone_web" },
    ]);
    expect(actions).toEqual([{ type: "remove", id: "id-acme_gone_web", name: "acme_gone_web" }]);
  });

  it("never touches another installation's services", () => {
    const foreign = live({ name: "x-y_z", labels: { "berth.managed": "true", "berth.instance": "other" } });
    expect(planReconcile([settled], [live(), foreign], ctx)).toEqual({ drift: [], actions: [] });
  });

  it.each([
    ["a deployment in flight", { latestStatus: "running" }],
    ["a stack that never succeeded", { latestStatus: "failed", settled: undefined }],
  ])("leaves alone %s, and does not call its services orphans", (_name, over) => {
    const stack = { ...settled, ...over } as DesiredStack;
    expect(planReconcile([stack], [live({ replicas: 7 })], ctx)).toEqual({ drift: [], actions: [] });
  });

  it("reports a stack it cannot repair instead of failing", () => {
    const pinned: StackModel = {
      ...model,
      services: [{ ...model.services[0]!, ports: [{ target: 8080, protocol: "tcp", published: 30000 }] }],
    };
    const { drift, actions } = planReconcile(
      [{ ...settled, settled: { deploymentId: "d1", model: pinned } }],
      [],
      ctx,
    );
    expect(drift).toMatchObject([{ kind: "blocked", stack: "shop" }]);
    expect(actions).toEqual([]);
  });

  it("reports a missing service that could not converge on the cluster as blocked, with why", () => {
    const cluster = {
      nodes: [
        {
          id: "n1",
          hostname: "vm",
          role: "manager",
          status: "ready",
          availability: "active",
          labels: {},
          engineLabels: {},
          platform: { os: "linux", arch: "x86_64" },
          resources: { nanoCpus: 2e9, memoryBytes: 8 * 1024 ** 3 },
        },
      ],
      images: new Map(),
    };
    // Two replicas publishing one host port, and the swarm is down to one node.
    const { drift, actions } = planReconcile([settled], [], { ...ctx, cluster });
    expect(drift).toEqual([
      {
        kind: "blocked",
        org: "acme",
        stack: "shop",
        reason:
          "services.web.replicas: 2 replicas cannot each publish host port 30001 (host mode) on 1 eligible node; use at most 1 replica, or run it on more nodes",
      },
    ]);
    expect(actions).toEqual([]);
    // What runs as planned is no drift, whatever the cluster.
    expect(planReconcile([settled], [live()], { ...ctx, cluster })).toEqual({ drift: [], actions: [] });
  });
});
