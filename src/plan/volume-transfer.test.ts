import { describe, expect, it } from "vitest";
import type { ObservedTask } from "./observed.js";
import {
  IMPORT_MIN_BYTES_PER_S,
  isRemote,
  transferOverdue,
  transferSpec,
  volumeNode,
} from "./volume-transfer.js";

const task = (o: Partial<ObservedTask>): ObservedTask => ({
  id: "t",
  serviceId: "s",
  state: "running",
  desiredState: "running",
  message: "",
  createdAt: "2026-12-01T00:00:00Z",
  ...o,
});

describe("volumeNode", () => {
  it("takes the node of a running task", () => {
    const got = volumeNode([
      task({ nodeId: "n2", state: "shutdown", desiredState: "shutdown", createdAt: "2026-12-02T00:00:00Z" }),
      task({ nodeId: "n1" }),
    ]);
    expect(got).toEqual({ node: "n1", nodes: ["n1", "n2"] });
  });

  it("takes the newest task's node when none runs (a stopped instance)", () => {
    const got = volumeNode([
      task({ nodeId: "n1", state: "shutdown", desiredState: "shutdown", createdAt: "2026-12-01T00:00:00Z" }),
      task({ nodeId: "n3", state: "shutdown", desiredState: "shutdown", createdAt: "2026-12-02T00:00:00Z" }),
    ]);
    expect(got.node).toBe("n3");
  });

  it("knows no node when no task was ever placed", () => {
    expect(volumeNode([task({ state: "pending" })])).toEqual({ nodes: [] });
    expect(isRemote(undefined, "n1")).toBe(false);
    expect(isRemote("n1", "n1")).toBe(false);
    expect(isRemote("n2", "n1")).toBe(true);
  });
});

describe("transferSpec", () => {
  const base = {
    name: "berth-transfer-x",
    node: "n2",
    volume: "acme_shop_data",
    image: "busybox:1.36",
    dir: "/srv/backups/.transfer",
    file: "/srv/backups/.transfer/j1.tar",
    labels: { "berth.instance": "i1" },
  };

  it("exports read-only on the volume's node, once, without a network", () => {
    const s = transferSpec({ ...base, way: "export" });
    expect(s.TaskTemplate.ContainerSpec.Command).toEqual([
      "tar",
      "-c",
      "-f",
      "/srv/backups/.transfer/j1.tar",
      "-C",
      "/",
      "data",
    ]);
    expect(s.TaskTemplate.ContainerSpec.Mounts).toEqual([
      expect.objectContaining({ Type: "volume", Source: "acme_shop_data", Target: "/data", ReadOnly: true }),
      { Type: "bind", Source: base.dir, Target: base.dir, ReadOnly: false },
    ]);
    expect(s.TaskTemplate.Placement?.Constraints).toEqual(["node.id==n2"]);
    expect(s.TaskTemplate.RestartPolicy.Condition).toBe("none");
    expect(s.TaskTemplate.Networks).toEqual([]);
  });

  it("imports by emptying the volume then extracting, the file passed as an argument", () => {
    const s = transferSpec({ ...base, way: "import" });
    const cmd = s.TaskTemplate.ContainerSpec.Command!;
    expect(cmd.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(cmd[2]).not.toContain(base.file);
    expect(cmd.slice(3)).toEqual(["sh", base.file]);
    expect(s.TaskTemplate.ContainerSpec.Mounts?.[0]?.ReadOnly).toBe(false);
    expect(s.TaskTemplate.ContainerSpec.Mounts?.[1]?.ReadOnly).toBe(true);
  });
});

describe("transferOverdue", () => {
  const limits = { startMs: 180_000, stallMs: 180_000 };

  it("gives a task that never starts its start-up time, then names it", () => {
    const w = { way: "export" as const, createdAt: 0, bytes: 0 };
    expect(transferOverdue(w, 180_000, limits)).toBeUndefined();
    expect(transferOverdue(w, 180_001, limits)).toBe("did not start within 180 s");
  });

  it("lets an export run as long as its file grows, however long that is", () => {
    const w = { way: "export" as const, createdAt: 0, runningAt: 5_000, bytes: 1.2e9, grewAt: 3_600_000 };
    expect(transferOverdue(w, 3_700_000, limits)).toBeUndefined();
    expect(transferOverdue(w, 3_780_001, limits)).toBe("wrote nothing for 180 s (1200000000 bytes written)");
  });

  it("counts an export that never wrote from when it started running", () => {
    const w = { way: "export" as const, createdAt: 0, runningAt: 100_000, bytes: 0 };
    expect(transferOverdue(w, 280_000, limits)).toBeUndefined();
    expect(transferOverdue(w, 280_001, limits)).toMatch(/^wrote nothing for 180 s \(0 bytes/);
  });

  it("gives an import its stall time plus its file at the slowest pace", () => {
    const bytes = 600 * IMPORT_MIN_BYTES_PER_S;
    const w = { way: "import" as const, createdAt: 0, runningAt: 10_000, bytes };
    expect(transferOverdue(w, 10_000 + 780_000, limits)).toBeUndefined();
    expect(transferOverdue(w, 10_000 + 780_001, limits)).toBe(
      `did not finish reading ${bytes} bytes within 780 s of starting`,
    );
  });
});
