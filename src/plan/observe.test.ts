import { describe, expect, it } from "vitest";
import { eventEffect, rolloutSignal, summarizeService, tasksSettled } from "./observe.js";
import type { EngineEvent, ObservedService, ObservedTask } from "./observed.js";

const ev = (over: Partial<EngineEvent>): EngineEvent => ({
  type: "container",
  action: "start",
  actorId: "c1",
  attributes: {},
  timeNano: 1n,
  ...over,
});

describe("eventEffect", () => {
  it.each([
    ["a service event", ev({ type: "service", actorId: "s1" }), { kind: "service", serviceId: "s1" }],
    [
      "a Berth container",
      ev({ attributes: { "berth.managed": "true", "com.docker.swarm.service.id": "s2" } }),
      { kind: "service", serviceId: "s2" },
    ],
    [
      "someone else's container",
      ev({ attributes: { "com.docker.swarm.service.id": "s3" } }),
      { kind: "none" },
    ],
    ["a plain Berth container", ev({ attributes: { "berth.managed": "true" } }), { kind: "none" }],
    ["a node event", ev({ type: "node", action: "update" }), { kind: "nodes" }],
    ["a network event", ev({ type: "network", action: "create" }), { kind: "none" }],
  ])("%s", (_name, e, expected) => {
    expect(eventEffect(e)).toEqual(expected);
  });
});

describe("rolloutSignal", () => {
  const task = { "com.docker.swarm.service.id": "s2" };
  it.each([
    ["a service's update", ev({ type: "service", action: "update", actorId: "s1" }), "s1"],
    ["a task's container starting", ev({ attributes: task }), "s2"],
    ["a task's container dying", ev({ action: "die", attributes: task }), "s2"],
    ["a task's health", ev({ action: "health_status: unhealthy", attributes: task }), "s2"],
    ["a health check's exec", ev({ action: "exec_start: /bin/sh -c true", attributes: task }), undefined],
    ["a container of no service", ev({}), undefined],
    ["a network event", ev({ type: "network", action: "connect" }), undefined],
  ])("%s", (_name, e, expected) => {
    expect(rolloutSignal(e)).toBe(expected);
  });
});

describe("summarizeService", () => {
  const svc = { id: "s", replicas: 2 } as ObservedService;
  const t = (over: Partial<ObservedTask>): ObservedTask => ({
    id: "t",
    serviceId: "s",
    state: "running",
    desiredState: "running",
    message: "",
    createdAt: "2026-01-01T00:00:00Z",
    ...over,
  });

  it("keeps current tasks by slot and the latest failure", () => {
    const state = summarizeService(svc, [
      t({ id: "b", slot: 2, state: "starting" }),
      t({ id: "a", slot: 1, nodeId: "n1" }),
      t({ id: "old", slot: 1, state: "shutdown", desiredState: "shutdown" }),
      t({
        id: "f1",
        state: "failed",
        desiredState: "shutdown",
        error: "older",
        createdAt: "2026-01-01T00:00:01Z",
      }),
      t({
        id: "f2",
        state: "rejected",
        desiredState: "shutdown",
        error: "newer",
        createdAt: "2026-01-01T00:00:02Z",
      }),
    ]);
    expect(state.running).toBe(1);
    expect(state.tasks.map((x) => x.id)).toEqual(["a", "b", "f2"]);
    expect(state.tasks[0]).toEqual({ id: "a", slot: 1, node: "n1", state: "running", desired: "running" });
    expect(state.tasks[2]!.error).toBe("newer");
  });
});

describe("tasksSettled", () => {
  const t = (state: string, desiredState: string) => ({ state, desiredState }) as ObservedTask;
  it.each([
    ["all running", [t("running", "running")], true],
    ["one starting", [t("running", "running"), t("starting", "running")], false],
    ["a failed one waits for its replacement", [t("failed", "running")], true],
    ["one still running after shutdown was asked", [t("running", "shutdown")], false],
    ["shut down", [t("shutdown", "shutdown"), t("complete", "shutdown")], true],
    ["nothing", [], true],
  ])("%s -> %s", (_name, tasks, expected) => {
    expect(tasksSettled(tasks)).toBe(expected);
  });
});
