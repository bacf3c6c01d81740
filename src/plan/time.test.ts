import { describe, expect, it } from "vitest";
import { compareTime, timeNanos } from "./time.js";

describe("compareTime", () => {
  it.each([
    ["2026-11-22T14:35:01.12Z", "2026-11-22T14:35:01.123Z", -1],
    ["2026-11-22T14:35:01.5Z", "2026-11-22T14:35:01.123456789Z", 1],
    ["2026-11-22T14:35:01Z", "2026-11-22T14:35:01.000000001Z", -1],
    ["2026-11-22T14:35:02Z", "2026-11-22T14:35:01.999999999Z", 1],
    ["2026-11-22T14:35:01.1Z", "2026-11-22T14:35:01.100Z", 0],
    ["2026-11-22T15:35:01.1+01:00", "2026-11-22T14:35:01.1Z", 0],
  ])("%s vs %s -> %i", (a, b, expected) => {
    expect(compareTime(a, b)).toBe(expected);
  });

  it("keeps nanoseconds", () => {
    expect(timeNanos("1970-01-01T00:00:01.000000042Z")).toBe(1_000_000_042n);
  });
});
