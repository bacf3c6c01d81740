import { describe, expect, it } from "vitest";
import { type Constraint, nodeMatches, parseConstraint } from "./constraints.js";
import type { ObservedNode } from "./observed.js";

const node: ObservedNode = {
  id: "n1abc",
  hostname: "vm",
  role: "manager",
  status: "ready",
  availability: "active",
  address: "10.0.0.5",
  labels: { gpu: "true", Zone: "east" },
  engineLabels: { storage: "ssd" },
  platform: { os: "linux", arch: "x86_64" },
  resources: { nanoCpus: 2e9, memoryBytes: 8 * 1024 ** 3 },
};

describe("parseConstraint", () => {
  it.each<[string, Constraint | string]>([
    ["node.role==manager", { key: "node.role", op: "==", value: "manager" }],
    ["node.role == manager", { key: "node.role", op: "==", value: "manager" }],
    ["node.labels.gpu!=true", { key: "node.labels.gpu", op: "!=", value: "true" }],
    // Swarm tries == first: the rest is the value.
    ["node.labels.a==b!=c", "'node.labels.a==b!=c': the value 'b!=c' is not valid"],
    ["node.role=manager", "'node.role=manager' has no operator (== or !=)"],
    ["node role==manager", "'node role==manager': the key 'node role' is not valid"],
    ["node.role==", "'node.role==': the value '' is not valid"],
    ["node.labels.x==a>b", "'node.labels.x==a>b': the value 'a>b' is not valid"],
  ])("%s", (text, expected) => {
    expect(parseConstraint(text)).toEqual(expected);
  });
});

describe("nodeMatches", () => {
  const parse = (text: string) => parseConstraint(text) as Constraint;
  it.each<[string, boolean]>([
    ["node.id==n1abc", true],
    ["node.id==n1", false],
    ["node.hostname==VM", true],
    ["node.hostname!=vm", false],
    ["node.role==manager", true],
    ["node.role==worker", false],
    ["node.role!=worker", true],
    ["node.platform.os==linux", true],
    ["node.platform.os==windows", false],
    ["node.platform.arch==x86_64", true],
    ["node.labels.gpu==true", true],
    ["node.labels.gpu==TRUE", true],
    ["node.labels.gpu!=true", false],
    // A missing label is the empty value.
    ["node.labels.nothing==here", false],
    ["node.labels.nothing!=here", true],
    // Label names keep their case; the prefix does not.
    ["node.labels.zone==east", false],
    ["node.labels.Zone==east", true],
    ["NODE.LABELS.Zone==east", true],
    ["engine.labels.storage==ssd", true],
    ["engine.labels.storage==disk", false],
    ["engine.labels.other!=x", true],
    ["node.ip==10.0.0.5", true],
    ["node.ip==10.0.0.0/24", true],
    ["node.ip!=10.0.0.0/24", false],
    ["node.ip==10.1.0.0/16", false],
    ["node.ip==not-an-address", false],
    ["node.ip!=not-an-address", false],
    // Swarm knows no other keys: they match no node.
    ["node.name==vm", false],
    ["node.labels.==x", false],
  ])("%s: %s", (text, expected) => {
    expect(nodeMatches([parse(text)], node)).toBe(expected);
  });

  it("needs every constraint", () => {
    expect(nodeMatches([parse("node.role==manager"), parse("node.labels.gpu==true")], node)).toBe(true);
    expect(nodeMatches([parse("node.role==manager"), parse("node.labels.gpu==false")], node)).toBe(false);
    expect(nodeMatches([], node)).toBe(true);
  });
});
