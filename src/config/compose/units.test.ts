import { describe, expect, it } from "vitest";
import { parseBytes, parseCpus, parseDuration } from "./units.js";

const S = 1e9;

describe("parseDuration", () => {
  it.each<[unknown, number]>([
    ["10s", 10 * S],
    ["1m30s", 90 * S],
    ["1.5s", 1.5 * S],
    ["300ms", 300e6],
    ["1h", 3600 * S],
    ["1h2m3.5s", 3723.5 * S],
    ["0", 0],
    ["  10s  ", 10 * S],
    ["250us", 250e3],
    ["250µs", 250e3],
    ["42ns", 42],
    [".5s", 0.5 * S],
    [5, 5 * S],
    [0, 0],
    [0.25, 0.25 * S],
  ])("parses %j", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each<[unknown]>([
    ["10"],
    ["abc"],
    ["1x"],
    [""],
    ["s"],
    ["10s junk"],
    ["-1s"],
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [null],
    [undefined],
    [true],
  ])("refuses %j", (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe("parseBytes", () => {
  it.each<[unknown, number]>([
    ["512", 512],
    ["64k", 64 * 1024],
    ["1.5g", Math.floor(1.5 * 1024 ** 3)],
    ["256MiB", 256 * 1024 ** 2],
    ["1gb", 1024 ** 3],
    ["100M", 100 * 1024 ** 2],
    ["2T", 2 * 1024 ** 4],
    ["1p", 1024 ** 5],
    ["10b", 10],
    ["64 k", 64 * 1024],
    [" 64k ", 64 * 1024],
    [1024, 1024],
    [0, 0],
  ])("parses %j", (input, expected) => {
    expect(parseBytes(input)).toBe(expected);
  });

  it.each<[unknown]>([["12q"], ["abc"], [""], ["-1k"], ["1.k"], [1.5], [-1], [null], [undefined]])(
    "refuses %j",
    (input) => {
      expect(parseBytes(input)).toBeUndefined();
    },
  );
});

describe("parseCpus", () => {
  it.each<[unknown, number]>([
    ["0.5", 0.5],
    ["2", 2],
    [" 1.25 ", 1.25],
    [2, 2],
    [0.1, 0.1],
  ])("parses %j", (input, expected) => {
    expect(parseCpus(input)).toBe(expected);
  });

  it.each<[unknown]>([
    ["0"],
    ["x"],
    [""],
    ["  "],
    [0],
    [-1],
    ["-0.5"],
    [Number.NaN],
    ["Infinity"],
    [null],
    ["0x10"],
    ["1e1"],
  ])("refuses %j", (input) => {
    expect(parseCpus(input)).toBeUndefined();
  });
});
