import { describe, expect, it } from "vitest";
import { parseReplicas, replicaCount } from "./replicas.js";

describe("parseReplicas", () => {
  it.each([
    ["0", 0],
    ["3", 3],
    [" 7 ", 7],
    ["100", 100],
  ])("%s -> %s", (text, expected) => {
    expect(parseReplicas(text, "<replicas>")).toBe(expected);
  });

  it.each(["-1", "abc", "1.5", "101", "", "1e2", "0x10", "99999999999"])("refuses %j", (text) => {
    expect(() => parseReplicas(text, "<replicas>")).toThrow(
      `<replicas>: '${text}' must be a whole number from 0 to 100`,
    );
  });
});

describe("replicaCount", () => {
  it.each([[-1], [1.5], ["3"], [101], [null]])("refuses %j", (v) => {
    expect(replicaCount.safeParse(v).success).toBe(false);
  });
});
