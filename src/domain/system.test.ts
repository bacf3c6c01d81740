import { describe, expect, it } from "vitest";
import { isReservedOrg, SYSTEM_ORG } from "./system.js";

describe("isReservedOrg", () => {
  it.each([
    [SYSTEM_ORG, true],
    ["berth-registry", true],
    ["berth", false],
    ["acme", false],
    ["my-berth-system", false],
  ])("%s -> %s", (slug, want) => {
    expect(isReservedOrg(slug)).toBe(want);
  });
});
