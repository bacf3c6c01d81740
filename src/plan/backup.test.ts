import { describe, expect, it } from "vitest";
import type { StackModel } from "../domain/stack.js";
import {
  archiveFile,
  backupsToPrune,
  backupTargets,
  type MountingService,
  notRestorable,
  progressLine,
  restorePlan,
  restoreTarget,
  sizeProblem,
  withReplicas,
} from "./backup.js";

const model = {
  org: "acme",
  name: "shop",
  services: [],
  volumes: { data: {}, cache: { driver: "local" }, shared: { external: "nfs-share" } },
} as unknown as StackModel;

describe("backupTargets", () => {
  it("takes every own volume by default, sorted, never external ones", () => {
    expect(backupTargets(model, "acme_shop").volumes).toEqual([
      { key: "cache", name: "acme_shop_cache" },
      { key: "data", name: "acme_shop_data" },
    ]);
  });

  it("takes the databases the services use, unless volumes are named", () => {
    const withDb = {
      ...model,
      services: [
        { name: "web", databases: ["main", "ledger"] },
        { name: "jobs", databases: ["main"] },
      ],
    } as unknown as StackModel;
    expect(backupTargets(withDb, "acme_shop").databases).toEqual(["ledger", "main"]);
    expect(backupTargets(withDb, "acme_shop", ["data"]).databases).toEqual([]);
    expect(backupTargets({ ...withDb, volumes: {} }, "acme_shop")).toEqual({
      volumes: [],
      databases: ["ledger", "main"],
    });
  });

  it("takes the volumes asked for, once each", () => {
    expect(backupTargets(model, "acme_shop", ["data", "data"])).toEqual({
      volumes: [{ key: "data", name: "acme_shop_data" }],
      databases: [],
    });
  });

  it.each([
    [["data", "nope"], "volumes.1: stack 'shop' has no volume 'nope' (it has: cache, data)"],
    [
      ["shared"],
      "volumes.0: volume 'shared' is external ('nfs-share'); only a stack's own volumes are backed up",
    ],
  ])("refuses %j naming the field", (req, message) => {
    expect(() => backupTargets(model, "acme_shop", req)).toThrow(message);
  });

  it("refuses a stack without volumes or databases", () => {
    expect(() => backupTargets({ ...model, volumes: {} }, "acme_shop")).toThrow(
      /stack: .* has no volumes or databases/,
    );
  });
});

describe("restoreTarget", () => {
  it("maps the key into the target stack's namespace", () => {
    expect(restoreTarget(model, "acme_copy", "data")).toEqual({ key: "data", name: "acme_copy_data" });
  });
  it("refuses a stack without that volume", () => {
    expect(() => restoreTarget(model, "acme_shop", "logs")).toThrow(
      /into: stack 'shop' has no volume 'logs'/,
    );
  });
});

const svc = (
  name: string,
  mounts: string[],
  mode: object = { Replicated: { Replicas: 2 } },
): MountingService => ({
  id: `id-${name}`,
  name,
  version: 7,
  spec: {
    Name: name,
    Mode: mode,
    TaskTemplate: { ContainerSpec: { Mounts: mounts.map((Source) => ({ Type: "volume", Source })) } },
  },
});

describe("restorePlan", () => {
  it("stops the services that mount the volume, remembering their replicas, sorted", () => {
    expect(
      restorePlan(
        [svc("web", ["v"]), svc("api", ["v", "w"], { Replicated: { Replicas: 0 } }), svc("other", ["w"])],
        "v",
      ),
    ).toEqual([
      { id: "id-api", name: "api", replicas: 0 },
      { id: "id-web", name: "web", replicas: 2 },
    ]);
  });
  it("ignores bind mounts of the same path and finds nothing to stop when none mounts it", () => {
    const bind: MountingService = {
      ...svc("b", []),
      spec: { TaskTemplate: { ContainerSpec: { Mounts: [{ Type: "bind", Source: "v" }] } } },
    };
    expect(restorePlan([bind], "v")).toEqual([]);
  });
  it("refuses a global service (it cannot be scaled to 0)", () => {
    expect(() => restorePlan([svc("agent", ["v"], { Global: {} })], "v")).toThrow(/global mode/);
  });
});

describe("small decisions", () => {
  it("withReplicas keeps the rest of the spec", () => {
    const spec = { Name: "x", Labels: { a: "1" }, Mode: { Replicated: { Replicas: 3 } } };
    expect(withReplicas(spec, 0)).toEqual({
      Name: "x",
      Labels: { a: "1" },
      Mode: { Replicated: { Replicas: 0 } },
    });
    expect(spec.Mode.Replicated.Replicas).toBe(3);
  });
  it("archiveFile keeps one folder per organization", () => {
    expect(archiveFile({ org: "acme", id: "u1", encrypted: true })).toBe("acme/u1.tar.enc");
    expect(archiveFile({ org: "acme", id: "u1", encrypted: false })).toBe("acme/u1.tar");
  });
  it("sizeProblem", () => {
    expect(sizeProblem(10, 10)).toBeUndefined();
    expect(sizeProblem(10, undefined)).toMatch(/missing/);
    expect(sizeProblem(10, 11)).toBe("its archive is 11 bytes, 10 were recorded");
  });
  it("notRestorable", () => {
    expect(notRestorable({ id: "x", status: "succeeded", reason: null })).toBeUndefined();
    expect(notRestorable({ id: "x", status: "corrupt", reason: "bad" })?.message).toBe(
      "backup x is corrupt: bad",
    );
    expect(notRestorable({ id: "x", status: "running", reason: null })?.message).toMatch(/not found/);
  });
  it("progressLine caps below 100 until the end", () => {
    expect(progressLine("data", 512, undefined)).toEqual({ line: "data: 512 B", percent: 0 });
    expect(progressLine("data", 3 * 1024 * 1024, 4 * 1024 * 1024)).toEqual({
      line: "data: 3.0 MiB of 4.0 MiB (75%)",
      percent: 75,
    });
    expect(progressLine("data", 5000, 4000).percent).toBe(99);
  });
});

describe("backupsToPrune", () => {
  const at = (n: number) => new Date(Date.UTC(2026, 0, n));
  const row = (id: string, volume: string, day: number, status = "succeeded") => ({
    id,
    stack: "shop",
    volume,
    status,
    createdAt: at(day),
  });
  it("keeps the newest N good archives per stack and volume; failed ones do not count", () => {
    const all = [
      row("a1", "data", 1),
      row("a2", "data", 2),
      row("a3", "data", 3),
      row("f", "data", 4, "failed"),
      row("c1", "cache", 1),
    ];
    expect(backupsToPrune(all, { keepLast: 2 }).map((b) => b.id)).toEqual(["a1"]);
    expect(backupsToPrune(all, { keepLast: 1 }).map((b) => b.id)).toEqual(["a1", "a2"]);
  });

  it("also keeps the newest archive of each of the last N days and ISO weeks", () => {
    // Two archives a day for 21 days of December 2026 (1 December is a Tuesday).
    const all = Array.from({ length: 42 }, (_, i) => ({
      id: `d${Math.floor(i / 2) + 1}-${i % 2 ? "pm" : "am"}`,
      stack: "shop",
      volume: "data",
      status: "succeeded",
      createdAt: new Date(Date.UTC(2026, 11, Math.floor(i / 2) + 1, i % 2 ? 15 : 3)),
    }));
    const kept = (r: { keepLast: number; keepDaily?: number; keepWeekly?: number }) => {
      const gone = new Set(backupsToPrune(all, r).map((b) => b.id));
      return all.filter((b) => !gone.has(b.id)).map((b) => b.id);
    };
    expect(kept({ keepLast: 2 })).toEqual(["d21-am", "d21-pm"]);
    expect(kept({ keepLast: 1, keepDaily: 3 })).toEqual(["d19-pm", "d20-pm", "d21-pm"]);
    // ISO weeks: 21 Dec (Mon) starts W52; 14-20 Dec is W51, 7-13 Dec W50, 1-6 Dec W49.
    expect(kept({ keepLast: 1, keepWeekly: 3 })).toEqual(["d13-pm", "d20-pm", "d21-pm"]);
    expect(kept({ keepLast: 1, keepDaily: 2, keepWeekly: 4 })).toEqual([
      "d6-pm",
      "d13-pm",
      "d20-pm",
      "d21-pm",
    ]);
  });
});
