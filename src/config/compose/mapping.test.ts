import { describe, expect, it } from "vitest";
import { mappingEntries } from "./mapping.js";

describe("mappingEntries", () => {
  it.each([
    { v: undefined, want: [] },
    {
      v: ["A=1", "B=", "C", "D=x=y"],
      want: [
        ["A", "1"],
        ["B", ""],
        ["C", null],
        ["D", "x=y"],
      ],
    },
    {
      v: { A: 1, B: "", C: null, D: true },
      want: [
        ["A", "1"],
        ["B", ""],
        ["C", null],
        ["D", "true"],
      ],
    },
  ])("reads $v", ({ v, want }) => {
    expect(mappingEntries(v)).toEqual(want);
  });
});
