import { describe, expect, it } from "vitest";
import type { StackModel } from "../domain/stack.js";
import { quotaProblem, usageOf, volumeProblem, ZERO_USAGE } from "./quota.js";

const MIB = 1024 * 1024;
const model = (replicas: number, mode?: "global"): StackModel => ({
  org: "acme",
  name: "shop",
  services: [
    {
      name: "web",
      image: "x",
      env: {},
      ports: [],
      replicas,
      ...(mode ? { mode } : {}),
      resources: { cpus: 0.5, memoryBytes: 256 * MIB },
    },
  ],
});

describe("usageOf", () => {
  it.each([
    [3, undefined, 1, { cpus: 1.5, memoryBytes: 768 * MIB, services: 1, replicas: 3 }],
    [0, undefined, 1, { cpus: 0, memoryBytes: 0, services: 1, replicas: 0 }],
    [1, "global" as const, 3, { cpus: 1.5, memoryBytes: 768 * MIB, services: 1, replicas: 3 }],
  ])("replicas %i mode %s on %i nodes", (replicas, mode, nodes, expected) => {
    expect(usageOf(model(replicas, mode), nodes)).toEqual(expected);
  });
});

describe("quotaProblem", () => {
  it.each([
    [{}, ZERO_USAGE, 3, undefined],
    [{ memoryBytes: 1024 * MIB }, ZERO_USAGE, 3, undefined],
    [{ memoryBytes: 512 * MIB }, ZERO_USAGE, 3, "memory 0.8 GiB requested, 0.5 GiB left (quota 0.5 GiB)"],
    [
      { memoryBytes: 1024 * MIB },
      { ...ZERO_USAGE, memoryBytes: 900 * MIB },
      1,
      "memory 0.3 GiB requested, 0.1 GiB left (quota 1.0 GiB)",
    ],
    [{ cpus: 1 }, ZERO_USAGE, 3, "cpu 1.5 CPU requested, 1 CPU left (quota 1 CPU)"],
    [
      { services: 1 },
      { ...ZERO_USAGE, services: 1 },
      1,
      "services 1 services requested, 0 services left (quota 1 services)",
    ],
    [{ replicas: 2 }, ZERO_USAGE, 3, "replicas 3 replicas requested, 2 replicas left (quota 2 replicas)"],
    [{ memoryBytes: null, cpus: null }, ZERO_USAGE, 100, undefined],
  ])("quota %j, others %j, %i replicas", (quota, others, replicas, expected) => {
    expect(quotaProblem(quota, others, usageOf(model(replicas), 1))).toBe(expected);
  });
});

describe("volumeProblem", () => {
  it.each([
    [1024 * MIB, 0, undefined],
    [1024 * MIB, 1023 * MIB, undefined],
    [1024 * MIB, 1024 * MIB, "volumes 1.0 GiB used, quota 1.0 GiB: no room for more volume data"],
  ])("quota %i, used %i", (quota, used, expected) => {
    expect(volumeProblem(quota, used)).toBe(expected);
  });
});
