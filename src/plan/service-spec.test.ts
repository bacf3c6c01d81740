import { describe, expect, it } from "vitest";
import type { ServiceModel } from "../domain/stack.js";
import { portCheckScript } from "./healthcheck.js";
import {
  DEFAULT_UPDATE_MONITOR,
  planServiceSpec,
  specNeedsUpdate,
  updateReplacesTasks,
} from "./service-spec.js";

const web: ServiceModel = {
  name: "web",
  image: "local/httpd:1",
  env: { ZED: "1", ALPHA: "2" },
  ports: [{ target: 8080, protocol: "tcp" }],
  replicas: 2,
  resources: { cpus: 0.5, memoryBytes: 268435456 },
};
const ctx = {
  org: "acme",
  stack: "shop",
  namespace: "acme_shop",
  deploymentId: "d1",
  instance: "i1",
  networks: [{ Target: "berth-org-acme" }],
  routingMesh: false,
  updateMonitor: DEFAULT_UPDATE_MONITOR,
  hostPorts: [30000],
};

describe("planServiceSpec", () => {
  it("runs Berth's port check as a shell command with its timings", () => {
    const spec = planServiceSpec({ ...web, healthcheck: { port: 8080, retries: 5 } }, ctx);
    expect(spec.TaskTemplate.ContainerSpec.Healthcheck).toEqual({
      Test: ["CMD-SHELL", portCheckScript(8080)],
      Interval: 5e9,
      Timeout: 3e9,
      Retries: 5,
      StartPeriod: 30e9,
    });
  });

  it("builds the whole spec for a host-mode cluster", () => {
    expect(planServiceSpec(web, ctx)).toEqual({
      Name: "acme_shop_web",
      Labels: {
        "berth.deployment": "d1",
        "com.docker.stack.image": "local/httpd:1",
        "com.docker.stack.namespace": "acme_shop",
        "berth.instance": "i1",
        "berth.managed": "true",
        "berth.org": "acme",
        "berth.service": "web",
        "berth.stack": "shop",
      },
      TaskTemplate: {
        ContainerSpec: {
          Image: "local/httpd:1",
          Labels: {
            "berth.managed": "true",
            "berth.org": "acme",
            "berth.service": "web",
            "berth.stack": "shop",
            "com.docker.stack.namespace": "acme_shop",
          },
          Env: ["ALPHA=2", "ZED=1"],
          Privileges: { CredentialSpec: null, SELinuxContext: null },
        },
        Resources: { Limits: { NanoCPUs: 500000000, MemoryBytes: 268435456 } },
        RestartPolicy: { Condition: "any", Delay: 5e9, MaxAttempts: 0 },
        Placement: {},
        Networks: [{ Target: "berth-org-acme" }],
      },
      Mode: { Replicated: { Replicas: 2 } },
      UpdateConfig: {
        Parallelism: 1,
        Delay: 0,
        FailureAction: "rollback",
        Monitor: 5e9,
        MaxFailureRatio: 0,
        Order: "stop-first",
      },
      RollbackConfig: {
        Parallelism: 1,
        Delay: 0,
        FailureAction: "pause",
        Monitor: 5e9,
        MaxFailureRatio: 0,
        Order: "stop-first",
      },
      EndpointSpec: {
        Mode: "dnsrr",
        Ports: [{ Protocol: "tcp", TargetPort: 8080, PublishedPort: 30000, PublishMode: "host" }],
      },
    });
  });

  it.each([
    ["routing mesh: VIP, ingress, start-first", { routingMesh: true }, "vip", "ingress", "start-first"],
    ["no mesh: dnsrr, host ports, stop-first", { routingMesh: false }, "dnsrr", "host", "stop-first"],
  ])("%s", (_name, over, mode, publish, order) => {
    const spec = planServiceSpec(web, { ...ctx, ...over });
    expect(spec.EndpointSpec.Mode).toBe(mode);
    expect(spec.EndpointSpec.Ports[0]!.PublishMode).toBe(publish);
    expect(spec.UpdateConfig.Order).toBe(order);
  });

  it("updates start-first when nothing is published", () => {
    const spec = planServiceSpec({ ...web, ports: [] }, { ...ctx, hostPorts: [] });
    expect(spec.UpdateConfig.Order).toBe("start-first");
    expect(spec.EndpointSpec.Ports).toEqual([]);
  });

  it("watches updated tasks for the installation's monitor where the service gives none", () => {
    const spec = planServiceSpec(web, { ...ctx, updateMonitor: 2e9 });
    expect(spec.UpdateConfig.Monitor).toBe(2e9);
    expect(spec.RollbackConfig.Monitor).toBe(2e9);
    const own = planServiceSpec(
      { ...web, update: { defaults: "berth", monitor: 1e9 } },
      { ...ctx, updateMonitor: 2e9 },
    );
    expect(own.UpdateConfig.Monitor).toBe(1e9);
  });

  it("fills an update policy given in Berth's terms from Berth's defaults, the order from the ports", () => {
    const update = { defaults: "berth" as const, monitor: 1e9, parallelism: 2 };
    const meshed = planServiceSpec({ ...web, update }, { ...ctx, routingMesh: true });
    expect(meshed.UpdateConfig).toEqual({
      Parallelism: 2,
      Delay: 0,
      FailureAction: "rollback",
      Monitor: 1e9,
      MaxFailureRatio: 0,
      Order: "start-first",
    });
    const hostPort = planServiceSpec({ ...web, update }, { ...ctx, routingMesh: false });
    expect(hostPort.UpdateConfig.Order).toBe("stop-first");
    // Compose's (Swarm's defaults, as docker writes them): only what was given.
    const compose = planServiceSpec({ ...web, update: { monitor: 1e9 } }, ctx);
    expect(compose.UpdateConfig).toEqual({ Parallelism: 1, Monitor: 1e9 });
  });

  it("is deterministic regardless of env insertion order", () => {
    const a = planServiceSpec({ ...web, env: { A: "1", B: "2" } }, ctx);
    const b = planServiceSpec({ ...web, env: { B: "2", A: "1" } }, ctx);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe("specNeedsUpdate", () => {
  const desired = planServiceSpec(web, ctx);
  // What the Engine returns: defaults filled in, zero values omitted, another deployment label.
  const live = JSON.parse(JSON.stringify(desired));
  live.Labels["berth.deployment"] = "d0";
  delete live.UpdateConfig.Delay;
  delete live.UpdateConfig.MaxFailureRatio;
  delete live.TaskTemplate.RestartPolicy.MaxAttempts;
  live.TaskTemplate.ContainerSpec.Isolation = "default";
  live.TaskTemplate.ForceUpdate = 0;

  it.each([
    ["identical apart from defaults and the deployment label", (_l: any): unknown => undefined, false],
    ["image changed", (l: any) => (l.TaskTemplate.ContainerSpec.Image = "local/httpd:2"), true],
    ["env changed", (l: any) => (l.TaskTemplate.ContainerSpec.Env = ["ALPHA=2"]), true],
    ["replicas changed", (l: any) => (l.Mode.Replicated.Replicas = 1), true],
    ["extra label on the live service", (l: any) => (l.Labels.extra = "x"), true],
    ["published port changed", (l: any) => (l.EndpointSpec.Ports[0].PublishedPort = 30001), true],
    ["no live spec", (_l: any) => "none" as const, true],
  ] as [string, (l: any) => unknown, boolean][])("%s -> %s", (_name, mutate, expected) => {
    const l = structuredClone(live);
    const result = mutate(l) === "none" ? undefined : l;
    expect(specNeedsUpdate(desired, result)).toBe(expected);
  });
});

describe("updateReplacesTasks", () => {
  const desired = planServiceSpec(web, ctx);
  it.each([
    ["replica count only", (l: any) => (l.Mode.Replicated.Replicas = 5), false],
    ["service labels only", (l: any) => (l.Labels.extra = "x"), false],
    ["update settings only", (l: any) => (l.UpdateConfig.Parallelism = 2), false],
    ["the image", (l: any) => (l.TaskTemplate.ContainerSpec.Image = "other:1"), true],
    ["a published port", (l: any) => (l.EndpointSpec.Ports[0].PublishedPort = 30009), true],
  ] as [string, (l: any) => unknown, boolean][])("%s -> %s", (_name, mutate, expected) => {
    const live = structuredClone(desired) as any;
    mutate(live);
    expect(updateReplacesTasks(desired, live)).toBe(expected);
  });
});
