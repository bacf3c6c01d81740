import { describe, expect, it } from "vitest";
import type { ServiceModel, StackModel } from "../domain/stack.js";
import {
  changeBase,
  pickService,
  refuseWhileRollingOut,
  restartStep,
  restartTargets,
  scaleBase,
  scaledModel,
} from "./day2.js";

const svc = (name: string, over: Partial<ServiceModel> = {}): ServiceModel => ({
  name,
  image: "local/httpd:1",
  env: {},
  ports: [],
  replicas: 1,
  resources: { cpus: 0.5, memoryBytes: 1 << 28 },
  ...over,
});
const stack = (...services: ServiceModel[]): StackModel => ({ org: "acme", name: "shop", services });
const revs = (...statuses: string[]) => statuses.map((status, i) => ({ revision: i + 1, status }));

describe("scaleBase", () => {
  it.each<[string, string[], number]>([
    ["the only revision", ["succeeded"], 1],
    ["the newest that succeeded", ["succeeded", "succeeded"], 2],
    ["the live one when the newest failed", ["succeeded", "failed"], 1],
    ["the live one when the newest was rolled back", ["succeeded", "succeeded", "rolled_back"], 2],
    ["a rollback that succeeded", ["succeeded", "failed", "succeeded"], 3],
  ])("%s", (_name, statuses, expected) => {
    expect(scaleBase(revs(...statuses), "shop")).toBe(expected);
  });

  it.each<[string, string[], string]>([
    ["a revision pending", ["succeeded", "pending"], "stack 'shop' revision 2 is still pending; wait"],
    ["a revision running", ["succeeded", "running"], "revision 2 is still running"],
    ["none succeeded", ["failed"], "stack 'shop' has no live revision (none succeeded) to scale"],
    ["no revision", [], "no live revision"],
  ])("refuses with a conflict when %s", (_name, statuses, message) => {
    expect(() => scaleBase(revs(...statuses), "shop")).toThrow(message);
    try {
      scaleBase(revs(...statuses), "shop");
    } catch (err) {
      expect((err as { code: string }).code).toBe("conflict");
    }
  });
});

describe("refuseWhileRollingOut", () => {
  it("looks at the newest revision only, whatever the order given", () => {
    expect(() =>
      refuseWhileRollingOut(
        [
          { revision: 2, status: "failed" },
          { revision: 1, status: "pending" },
        ],
        "s",
      ),
    ).not.toThrow();
    expect(() =>
      refuseWhileRollingOut(
        [
          { revision: 1, status: "failed" },
          { revision: 2, status: "running" },
        ],
        "s",
      ),
    ).toThrow("revision 2 is still running");
  });
});

describe("pickService", () => {
  it.each<[string, string[], string | undefined, string]>([
    ["the only service", ["web"], undefined, "web"],
    ["the one named", ["web", "worker"], "worker", "worker"],
    ["the one named in a stack of one", ["web"], "web", "web"],
  ])("%s", (_name, services, service, expected) => {
    expect(pickService(services, { stack: "shop", ...(service ? { service } : {}) })).toBe(expected);
  });

  it("needs a name in a stack of several, naming them (400)", () => {
    expect(() => pickService(["worker", "web"], { stack: "shop" })).toThrow(
      "service: stack 'shop' has 2 services (web, worker); name one",
    );
  });

  it("does not find a service the stack does not have (404)", () => {
    expect(() => pickService(["web"], { stack: "shop", service: "db" })).toThrow(
      "service 'shop/db' not found",
    );
  });
});

describe("scaledModel", () => {
  it("changes the replicas of one service and nothing else", () => {
    const model = stack(svc("web", { env: { A: "1" } }), svc("worker"));
    expect(scaledModel(model, { service: "worker", replicas: 3 })).toEqual({
      model: stack(svc("web", { env: { A: "1" } }), svc("worker", { replicas: 3 })),
      service: "worker",
    });
    expect(model.services[1]!.replicas).toBe(1);
  });

  it("scales the only service without a name, to zero too", () => {
    const { model, service } = scaledModel(stack(svc("web")), { replicas: 0 });
    expect([service, model.services[0]!.replicas]).toEqual(["web", 0]);
  });

  it("refuses a global service", () => {
    expect(() => scaledModel(stack(svc("agent", { mode: "global" })), { replicas: 2 })).toThrow(
      "service: agent is a global service (one task per node); it has no replica count",
    );
  });
});

describe("restartTargets", () => {
  const live = [
    { service: "worker", spec: { TaskTemplate: { ForceUpdate: 2 } } },
    { service: "web", spec: { TaskTemplate: {} } },
  ];

  it("restarts every service, each with its next counter", () => {
    expect(restartTargets(live, { stack: "shop" })).toEqual([
      { service: "web", forceUpdate: 1 },
      { service: "worker", forceUpdate: 3 },
    ]);
  });

  it("restarts only the one named", () => {
    expect(restartTargets(live, { stack: "shop", service: "worker" })).toEqual([
      { service: "worker", forceUpdate: 3 },
    ]);
  });

  it("does not find a service the stack does not run", () => {
    expect(() => restartTargets(live, { stack: "shop", service: "db" })).toThrow(
      "service 'shop/db' not found",
    );
  });

  it("refuses a stack with no services", () => {
    expect(() => restartTargets([], { stack: "shop" })).toThrow(
      "stack 'shop' has no services running to restart",
    );
  });
});

describe("restartStep", () => {
  const spec = { Name: "acme_shop_web", Labels: { a: "b" }, TaskTemplate: { ContainerSpec: { Image: "x" } } };

  it("sets the counter and changes nothing else", () => {
    expect(restartStep(spec, 1)).toEqual({
      action: "update",
      spec: { ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: 1 } },
    });
    expect(spec.TaskTemplate).not.toHaveProperty("ForceUpdate");
  });

  it.each([
    [1, 1],
    [2, 1],
  ])("does nothing when the service already has counter %s (asked: %s)", (has, asked) => {
    expect(restartStep({ ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: has } }, asked)).toEqual(
      {
        action: "none",
      },
    );
  });
});

describe("changeBase", () => {
  it("is the live revision, and refuses another than the one the caller read", () => {
    expect(changeBase(revs("succeeded", "failed"), "shop")).toBe(1);
    expect(changeBase(revs("succeeded", "succeeded"), "shop", 2)).toBe(2);
    expect(() => changeBase(revs("succeeded", "succeeded"), "shop", 1)).toThrow(
      "stack 'shop' now runs revision 2, not 1; read it again and retry",
    );
    expect(() => changeBase(revs("succeeded", "running"), "shop", 1)).toThrow(/still running/);
  });
});
