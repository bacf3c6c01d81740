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
  hostPorts: [],
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
      "3 tasks failed in 2 s; last: No such image: nope:1",
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
      "a rollback under way is Swarm's answer already",
      {
        since: "2026-01-01T00:00:10Z",
        service: {
          ...service,
          updateStatus: { state: "rollback_started", startedAt: "2026-01-01T00:00:10Z" },
        },
        tasks: [task({}), task({})],
      },
      "rolled_back",
      "Swarm rolled the update back",
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
    [
      // Swarm's rollback starts tasks of the previous spec after the change: running, but not ours.
      "tasks of the previous spec do not count, however new",
      {
        since: "2026-01-01T00:00:10Z",
        taskSpec: "new",
        service: { ...service, taskSpec: "new" },
        tasks: [task({ spec: "old" }), task({ spec: "old" }), task({ spec: "new" })],
      },
      "progressing",
      "1/2 tasks running",
    ],
    [
      // Returning to the spec a running task already has: Swarm keeps that task, it is not replaced.
      "an update back to the spec older tasks run converges on them",
      {
        since: "2026-01-01T00:00:10Z",
        taskSpec: "old",
        service: { ...service, replicas: 1, taskSpec: "old" },
        tasks: [
          task({ spec: "old", createdAt: "2026-01-01T00:00:01Z" }),
          task({ spec: "new", state: "shutdown", desiredState: "shutdown" }),
        ],
      },
      "succeeded",
      "1/1 tasks running",
    ],
    [
      "a service Swarm put back on its previous spec is rolled back, with why",
      {
        since: "2026-01-01T00:00:10Z",
        taskSpec: "new",
        service: {
          ...service,
          taskSpec: "old",
          updateStatus: { state: "rollback_started", startedAt: "2026-01-01T00:00:20Z" },
        },
        tasks: [
          task({ spec: "old" }),
          task({ spec: "old" }),
          task({
            spec: "new",
            state: "failed",
            error: "task: non-zero exit (137): dockerexec: unhealthy container",
            createdAt: "2026-01-01T00:00:12Z",
          }),
        ],
      },
      "rolled_back",
      "Swarm rolled the update back: 1 task failed; last: health check failed",
    ],
    [
      // An unhealthy container is stopped by Swarm: the task reads `complete`; its health says why.
      "an update whose task ended unhealthy says how its health check failed",
      {
        since: "2026-01-01T00:00:10Z",
        taskSpec: "new",
        service: {
          ...service,
          taskSpec: "old",
          updateStatus: { state: "rollback_completed", startedAt: "2026-01-01T00:00:20Z" },
        },
        tasks: [
          task({ spec: "old" }),
          task({
            spec: "new",
            state: "complete",
            message: "finished",
            health: { status: "unhealthy", failingStreak: 3, output: "connection refused" },
          }),
        ],
      },
      "rolled_back",
      "Swarm rolled the update back: 1 task failed; last: health check failed 3 times (connection refused)",
    ],
    [
      "a CMD-SHELL check in an image without /bin/sh says so",
      {
        since: "2026-01-01T00:00:10Z",
        taskSpec: "new",
        service: {
          ...service,
          taskSpec: "old",
          updateStatus: { state: "rollback_completed", startedAt: "2026-01-01T00:00:20Z" },
        },
        tasks: [
          task({ spec: "old" }),
          task({
            spec: "new",
            state: "complete",
            message: "finished",
            health: {
              status: "unhealthy",
              failingStreak: 3,
              output:
                'OCI runtime exec failed: exec failed: unable to start container process: exec: "/bin/sh": stat /bin/sh: no such file or directory: unknown',
            },
          }),
        ],
      },
      "rolled_back",
      "health check failed 3 times: the image has no /bin/sh to run it (give a check in exec form",
    ],
    [
      "a service changed behind the deployment's back fails it",
      { taskSpec: "new", service: { ...service, taskSpec: "other" }, tasks: [task({}), task({})] },
      "failed",
      "the service was changed by someone else meanwhile",
    ],
    [
      "a new service's tasks are watched for the monitor window",
      {
        settleMs: 5000,
        nowMs: Date.parse("2026-01-01T00:00:14Z"),
        tasks: [task({ stateSince: "2026-01-01T00:00:12Z" }), task({ stateSince: "2026-01-01T00:00:08Z" })],
      },
      "progressing",
      "2/2 tasks running; watching them for 5 s",
    ],
    [
      "a new service whose tasks kept running for the window has converged",
      {
        settleMs: 5000,
        nowMs: Date.parse("2026-01-01T00:00:20Z"),
        tasks: [task({ stateSince: "2026-01-01T00:00:12Z" }), task({ stateSince: "2026-01-01T00:00:08Z" })],
      },
      "succeeded",
      "2/2 tasks running",
    ],
    [
      "three crashes in a row fail a new service, with the time they took",
      {
        settleMs: 5000,
        nowMs: Date.parse("2026-01-01T00:00:40Z"),
        tasks: [
          task({ state: "failed", error: "task: non-zero exit (1)", createdAt: "2026-01-01T00:00:31Z" }),
          task({ state: "failed", error: "task: non-zero exit (1)", createdAt: "2026-01-01T00:00:21Z" }),
          task({ state: "failed", error: "task: non-zero exit (1)", createdAt: "2026-01-01T00:00:11Z" }),
          task({ stateSince: "2026-01-01T00:00:39Z" }),
        ],
      },
      "failed",
      "3 tasks failed in 20 s; last: task: non-zero exit (1)",
    ],
  ])("%s", (_name, over, phase, reason) => {
    const result = assessRollout({ ...base, ...over } as Parameters<typeof assessRollout>[0]);
    expect(result.phase).toBe(phase);
    expect(result.reason).toContain(reason);
  });
});
