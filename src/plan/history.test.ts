import { describe, expect, it } from "vitest";
import { Conflict, NotFound } from "../domain/errors.js";
import { liveRevision, type RevisionState, revisionsToPrune, rollbackTarget } from "./history.js";

/** Revisions 1..n from a compact status list: s succeeded, f failed, r rolled_back, p pending, u running. */
const revs = (statuses: string): RevisionState[] => {
  const name: Record<string, string> = {
    s: "succeeded",
    f: "failed",
    r: "rolled_back",
    p: "pending",
    u: "running",
  };
  return [...statuses].map((c, i) => ({ revision: i + 1, status: name[c]! }));
};

describe("liveRevision", () => {
  it.each<[string, number | undefined]>([
    ["", undefined],
    ["f", undefined],
    ["s", 1],
    ["ssf", 2],
    ["ssp", 2],
    ["sfsr", 3],
  ])("%s -> %s", (statuses, live) => {
    expect(liveRevision(revs(statuses))).toBe(live);
  });
});

describe("rollbackTarget", () => {
  it.each<[string, number | undefined, number]>([
    ["ss", undefined, 1],
    ["sfs", undefined, 1],
    ["ssf", undefined, 1],
    ["sss", undefined, 2],
    ["sfss", undefined, 3],
    ["sss", 1, 1],
    ["sfs", 2, 2],
    ["sss", 3, 3],
  ])("%s, to %s -> %s", (statuses, to, target) => {
    expect(rollbackTarget(revs(statuses), { stack: "web", ...(to === undefined ? {} : { to }) })).toBe(
      target,
    );
  });

  it.each<[string, number | undefined, typeof Conflict | typeof NotFound, string]>([
    ["s", undefined, Conflict, "stack 'web' has no succeeded revision before the live one (1)"],
    ["fs", undefined, Conflict, "no succeeded revision before the live one (2)"],
    ["ff", undefined, Conflict, "stack 'web' has no live revision"],
    ["ss", 99, NotFound, "revision 'web 99' not found"],
    ["ssp", 3, Conflict, "revision 3 of stack 'web' is still pending"],
  ])("%s, to %s: refused", (statuses, to, kind, message) => {
    const call = () => rollbackTarget(revs(statuses), { stack: "web", ...(to === undefined ? {} : { to }) });
    expect(call).toThrow(kind);
    expect(call).toThrow(message);
  });
});

describe("revisionsToPrune", () => {
  it.each<[string, number, number[]]>([
    ["sss", 5, []],
    ["sss", 3, []],
    ["ssss", 2, [1, 2]],
    // The live one stays however old; so do unfinished ones.
    ["sffff", 2, [2, 3]],
    ["supff", 2, []],
    ["ssupff", 2, [1]],
    ["pusss", 1, [3, 4]],
    ["rfs", 1, [1, 2]],
  ])("%s keeping %s -> %j", (statuses, keep, pruned) => {
    expect(revisionsToPrune(revs(statuses), keep)).toEqual(pruned);
  });
});
