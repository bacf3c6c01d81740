import { describe, expect, it } from "vitest";
import { pickHostPort } from "./host-ports.js";

const range = { from: 30000, to: 30002 };

describe("pickHostPort", () => {
  it.each([
    ["requested wins, even if used", { requested: 30001, current: 30000, used: new Set([30001]) }, 30001],
    ["keeps the current port", { current: 30002, used: new Set([30002]) }, 30002],
    ["lowest free port", { used: new Set([30000]) }, 30001],
    ["first of the range", { used: new Set<number>() }, 30000],
    ["full range", { used: new Set([30000, 30001, 30002]) }, undefined],
  ])("%s", (_name, opts, expected) => {
    expect(pickHostPort({ ...opts, range })).toBe(expected);
  });
});
