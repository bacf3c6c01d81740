import { describe, expect, it } from "vitest";
import type { StackModel } from "../domain/stack.js";
import type { ObservedService } from "./observed.js";
import { planServiceSpec } from "./service-spec.js";
import { planStackDeploy, type StackObservation } from "./stack-deploy.js";

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
  network: "berth-org-acme",
  routingMesh: false,
  hostPortRange: { from: 30000, to: 30001 },
};

const observed = (over: Partial<ObservedService> = {}): ObservedService => ({
  id: "svc1",
  name: "acme-shop_web",
  version: 7,
  labels: {},
  image: "local/httpd:1",
  replicas: 1,
  publishedPorts: [30001],
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
      deploymentId: "d1",
      instance: "i1",
      networks: [{ Target: "berth-org-acme" }],
      routingMesh: false,
      hostPorts: [port],
    },
  );

const seen = (
  entries: [string, { observed: ObservedService; spec: unknown }][],
  used: number[],
): StackObservation => ({
  live: new Map(entries),
  usedHostPorts: new Set(used),
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
    const [step] = planStackDeploy(model, seen([["acme-shop_web", live]], [30000, 30001]), ctx).steps;
    expect(step).toMatchObject({ action: "none", id: "svc1" });
  });

  it("updates a changed service with the version it read", () => {
    const live = { observed: observed(), spec: liveSpec("local/httpd:0", 30001) };
    const [step] = planStackDeploy(model, seen([["acme-shop_web", live]], [30001]), ctx).steps;
    expect(step).toMatchObject({ action: "update", id: "svc1", version: 7 });
  });

  it.each([
    [
      "a requested port another service holds",
      { published: 30000 },
      [30000],
      "ports.0.published: host port 30000",
    ],
    ["a full range", {}, [30000, 30001], "no free host port left in the allowed range 30000-30001"],
  ])("refuses %s", (_name, portOver, used, message) => {
    const m = {
      ...model,
      services: [{ ...model.services[0]!, ports: [{ target: 8080, protocol: "tcp" as const, ...portOver }] }],
    };
    expect(() => planStackDeploy(m, seen([], used), ctx)).toThrow(message);
  });
});
