import { describe, expect, it } from "vitest";
import type { ObservedService, ObservedTask } from "./observed.js";
import { assessRollout } from "./rollout.js";

const service: ObservedService = {
  id: "s1",
  name: "default-web_web",
  version: 12,
  labels: {},
  image: "local/httpd:1",
  replicas: 2,
  publishedPorts: [],
  updatedAt: "2026-01-01T00:00:10Z",
  updated: true,
};

const task = (over: Partial<ObservedTask>): ObservedTask => ({
  id: Math.random().toString(36).slice(2),
  serviceId: "s1",
  state: "running",
  desiredState: "running",
  message: "started",
  createdAt: "2026-01-01T00:00:11Z",
  ...over,
});

const base = { service, elapsedMs: 1000, timeoutMs: 60_000 };

describe("assessRollout", () => {
  it.each([
    ["all replicas running", { tasks: [task({}), task({})] }, "succeeded", "2/2 tasks running"],
    [
      "a global service with a task per node running",
      { service: { ...service, replicas: 0, global: true }, tasks: [task({}), task({}), task({})] },
      "succeeded",
      "3/3 tasks running",
    ],
    [
      "a global service still starting on one node",
      { service: { ...service, replicas: 0, global: true }, tasks: [task({}), task({ state: "starting" })] },
      "progressing",
      "1/2 tasks running",
    ],
    [
      "a global service with no task scheduled yet",
      { service: { ...service, replicas: 0, global: true }, tasks: [] },
      "progressing",
      "0/1 tasks running",
    ],
    [
      "one still starting",
      { tasks: [task({}), task({ state: "starting" })] },
      "progressing",
      "a task is starting",
    ],
    [
      "old tasks do not count after an update",
      {
        since: "2026-01-01T00:00:10Z",
        tasks: [task({ createdAt: "2026-01-01T00:00:01Z" }), task({ createdAt: "2026-01-01T00:00:02Z" })],
      },
      "progressing",
      "0/2 tasks running",
    ],
    [
      "a task created just after the change counts, however Docker trims the fraction",
      {
        since: "2026-01-01T00:00:10.123Z",
        service: { ...service, replicas: 1 },
        tasks: [task({ createdAt: "2026-01-01T00:00:10.1231Z" })],
      },
      "succeeded",
      "1/1 tasks running",
    ],
    [
      "three rejected attempts fail with Docker's error",
      {
        tasks: [
          task({ state: "rejected", error: "No such image: nope:1", createdAt: "2026-01-01T00:00:13Z" }),
          task({ state: "rejected", error: "older", createdAt: "2026-01-01T00:00:12Z" }),
          task({ state: "failed", error: "oldest", createdAt: "2026-01-01T00:00:11Z" }),
        ],
      },
      "failed",
      "3 tasks failed to start; last: No such image: nope:1",
    ],
    [
      "Swarm rolled our update back",
      {
        since: "2026-01-01T00:00:10Z",
        service: {
          ...service,
          updateStatus: { state: "rollback_completed", startedAt: "2026-01-01T00:00:10Z", message: "health" },
        },
        tasks: [task({}), task({})],
      },
      "rolled_back",
      "Swarm rolled the update back: health",
    ],
    [
      "a rollback under way is still progressing",
      {
        since: "2026-01-01T00:00:10Z",
        service: {
          ...service,
          updateStatus: { state: "rollback_started", startedAt: "2026-01-01T00:00:10Z" },
        },
        tasks: [task({}), task({})],
      },
      "progressing",
      "rolling back",
    ],
    [
      "a paused update fails",
      {
        since: "2026-01-01T00:00:10Z",
        service: {
          ...service,
          updateStatus: { state: "paused", startedAt: "2026-01-01T00:00:11Z", message: "x" },
        },
        tasks: [],
      },
      "failed",
      "update paused: x",
    ],
    [
      "an earlier rollback is not ours",
      {
        since: "2026-01-01T00:00:10Z",
        service: {
          ...service,
          updateStatus: { state: "rollback_completed", startedAt: "2025-12-31T00:00:00Z" },
        },
        tasks: [task({}), task({})],
      },
      "succeeded",
      "2/2 tasks running",
    ],
    [
      "still updating",
      {
        since: "2026-01-01T00:00:10Z",
        service: { ...service, updateStatus: { state: "updating", startedAt: "2026-01-01T00:00:10Z" } },
        tasks: [task({}), task({})],
      },
      "progressing",
      "2/2 tasks running",
    ],
    [
      "timeout names the last failure",
      { elapsedMs: 60_000, tasks: [task({}), task({ state: "failed", error: "exit 1" })] },
      "failed",
      "timed out after 60 s with 1/2 tasks running; last failure: exit 1",
    ],
    [
      "timeout says what the waiting task is doing",
      { elapsedMs: 60_000, tasks: [task({ state: "pending", error: "no suitable node" })] },
      "failed",
      "timed out after 60 s with 0/2 tasks running; a task is pending (no suitable node)",
    ],
    ["zero replicas", { service: { ...service, replicas: 0 }, tasks: [] }, "succeeded", "0/0 tasks running"],
  ])("%s", (_name, over, phase, reason) => {
    const result = assessRollout({ ...base, ...over } as Parameters<typeof assessRollout>[0]);
    expect(result.phase).toBe(phase);
    expect(result.reason).toContain(reason);
  });
});
