import { describe, expect, it } from "vitest";
import { parseAssignments, parseNames } from "./env-name.js";

describe("parseAssignments", () => {
  it("reads KEY=VALUE, the value as is (may hold '=' or be empty)", () => {
    expect(parseAssignments(["A=1", "B=x=y", "C=", "a.b-c=2"], "<KEY=VALUE>")).toEqual({
      A: "1",
      B: "x=y",
      C: "",
      "a.b-c": "2",
    });
  });
  it.each<[string, string[], RegExp]>([
    ["nothing", [], /at least one KEY=VALUE/],
    ["no '='", ["A"], /'A' must be KEY=VALUE/],
    ["an empty name", ["=1"], /'' must start with a letter/],
    ["a name with a space", ["MY VAR=1"], /'MY VAR' must start/],
    ["a name starting with a digit", ["1A=1"], /'1A' must start/],
  ])("refuses %s, naming the argument", (_name, pairs, message) => {
    expect(() => parseAssignments(pairs, "<KEY=VALUE>")).toThrow(message);
  });
});

describe("parseNames", () => {
  it("keeps each name once", () => expect(parseNames(["A", "B", "A"], "<KEY>")).toEqual(["A", "B"]));
  it("refuses a bad name and none at all", () => {
    expect(() => parseNames(["A=1"], "<KEY>")).toThrow(/'A=1' must start/);
    expect(() => parseNames([], "<KEY>")).toThrow(/at least one/);
  });
});
