import { describe, expect, it } from "vitest";
import type { StackModel } from "../domain/stack.js";
import {
  instanceDatabases,
  instanceModel,
  isStopped,
  lifecycleProblem,
  ownVolumes,
  restoreSet,
  stoppedModel,
  upgradeProblem,
} from "./instance.js";

const model = {
  org: "default",
  name: "acme",
  services: [{ name: "web", image: "local/httpd:1", env: {}, ports: [], replicas: 2, resources: {} }],
  volumes: { data: {}, shared: { external: "x" } },
} as unknown as StackModel;

describe("lifecycleProblem", () => {
  it.each([
    ["running", "stop", undefined],
    ["stopped", "start", undefined],
    ["running", "suspend", undefined],
    ["stopped", "suspend", undefined],
    ["suspended", "resume", undefined],
    ["running", "upgrade", undefined],
    ["failed", "rm", undefined],
    ["stopped", "stop", "instance 'acme' is stopped; it cannot stop (start it first)"],
    ["suspended", "start", "is suspended; it cannot start (resume it first)"],
    ["running", "resume", "is running; it cannot resume"],
    ["removing", "rm", "is removing"],
    ["creating", "upgrade", "wait until its creation ends"],
  ] as const)("%s, %s", (state, action, problem) => {
    const got = lifecycleProblem({ name: "acme", state }, action);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got?.message).toContain(problem);
  });
});

describe("instance models", () => {
  it("labels every service with template, version and instance", () => {
    expect(
      instanceModel(model, { template: "app", version: 3, instance: "acme" }).services[0]!.labels,
    ).toEqual({
      "berth.template": "app",
      "berth.template.version": "3",
      "berth.template.instance": "acme",
    });
  });

  it("gives the template's database keys the instance's own databases, leaving others", () => {
    const withDb = {
      ...model,
      services: [{ ...model.services[0]!, databases: ["main", "shared"] }],
    } as StackModel;
    const got = instanceModel(withDb, { template: "app", version: 1, instance: "acme", databases: ["main"] });
    expect(got.services[0]!.databases).toEqual(["acme-main", "shared"]);
    expect(instanceDatabases("acme", { databases: ["main", "audit"] })).toEqual(["acme-main", "acme-audit"]);
    expect(instanceDatabases("acme", {})).toEqual([]);
  });

  it("scales to zero; a global service cannot be", () => {
    const stopped = stoppedModel(model);
    expect(stopped.services[0]!.replicas).toBe(0);
    expect(isStopped(stopped)).toBe(true);
    expect(isStopped(model)).toBe(false);
    const global = { ...model, services: [{ ...model.services[0]!, mode: "global" as const }] };
    expect(() => stoppedModel(global)).toThrow("service 'web' is global");
  });

  it("backs up the volumes it owns, not external ones", () => {
    expect(ownVolumes(model)).toEqual(["data"]);
  });

  it("upgrades only to another existing version", () => {
    expect(upgradeProblem({ instance: "acme", current: 1, to: 2, versions: [1, 2] })).toBeUndefined();
    expect(upgradeProblem({ instance: "acme", current: 1, to: 5, versions: [1, 2] })?.message).toBe(
      "the template has no version 5 (it has 1, 2)",
    );
    expect(upgradeProblem({ instance: "acme", current: 2, to: 2, versions: [1, 2] })?.message).toContain(
      "already runs",
    );
  });
});

describe("restoreSet", () => {
  const at = (m: number) => new Date(Date.UTC(2026, 11, 1, 0, m));
  const b = (
    id: string,
    jobId: string,
    kind: "volume" | "database",
    source: string,
    status = "succeeded",
    m = 0,
  ) => ({
    id,
    jobId,
    kind,
    source,
    status,
    createdAt: at(m),
  });
  const backups = [
    b("v1", "j1", "volume", "data", "succeeded", 1),
    b("d1", "j1", "database", "acme-main", "succeeded", 1),
    b("v2", "j2", "volume", "data", "succeeded", 2),
    b("d2", "j2", "database", "acme-main", "failed", 2),
    b("s1", "j1", "database", "shared", "succeeded", 1),
  ];

  it("takes the newest complete set, the instance's own databases by key", () => {
    expect(restoreSet("acme", backups)).toEqual({
      job: "j1",
      volumes: [{ id: "v1", key: "data" }],
      databases: [{ id: "d1", key: "main" }],
    });
  });

  it("takes the set of the backup named, refusing an incomplete one or another instance's", () => {
    expect(restoreSet("acme", backups, "d1").job).toBe("j1");
    expect(() => restoreSet("acme", backups, "v2")).toThrow("backup d2 (acme-main) of that set is failed");
    expect(() => restoreSet("acme", backups, "nope")).toThrow(
      "backup: backup nope is not one of instance 'acme''s",
    );
    expect(() => restoreSet("acme", [])).toThrow("instance 'acme' has no complete backup");
  });
});
