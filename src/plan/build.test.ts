import { describe, expect, it } from "vitest";
import { parseBuildOptions } from "../config/build.js";
import { buildsToPrune, buildTag, describeBuild } from "./build.js";

describe("buildTag", () => {
  it("is the org, stack-service and the UTC second", () => {
    const now = new Date("2026-12-01T21:05:09.123Z");
    expect(buildTag({ org: "acme", stack: "web", service: "web", now })).toBe("acme/web-web:20261201210509");
  });
});

describe("buildsToPrune", () => {
  const img = (id: string, created: number, tags: string[] = []) => ({ id, created, tags });
  it.each([
    ["keeps the newest N", [img("a", 1), img("b", 2), img("c", 3)], 2, [], ["a"]],
    ["nothing beyond N", [img("a", 1)], 5, [], []],
    ["never one in use by id", [img("a", 1), img("b", 2), img("c", 3)], 1, ["a"], ["b"]],
    ["never one in use by tag", [img("a", 1, ["o/s-w:1"]), img("b", 2)], 0, ["o/s-w:1"], ["b"]],
    [
      "never one a service runs by its registry digest",
      [
        { ...img("a", 1, ["r:5000/o/s-w:1"]), digests: ["r:5000/o/s-w@sha256:aa"] },
        { ...img("b", 2, ["r:5000/o/s-w:2"]), digests: ["r:5000/o/s-w@sha256:bb"] },
      ],
      0,
      ["r:5000/o/s-w@sha256:aa", "r:5000/o/s-w"],
      ["b"],
    ],
    [
      "builds sharing an image id (the cache) by their tags' time",
      [
        img("x", 5, ["o/s-w:20260101000003"]),
        img("x", 5, ["o/s-w:20260101000001"]),
        img("x", 5, ["o/s-w:20260101000002"]),
      ],
      2,
      [],
      ["x"],
    ],
  ])("%s", (_name, images, keep, inUse, want) => {
    expect(buildsToPrune(images, keep, new Set(inUse)).map((i) => i.id)).toEqual(want);
  });
});

describe("parseBuildOptions", () => {
  it("defaults to ./Dockerfile and reads KEY=VALUE args", () => {
    expect(parseBuildOptions({ buildArg: ["A=1", "B=x=y", "C="] })).toEqual({
      dockerfile: "Dockerfile",
      buildArgs: { A: "1", B: "x=y", C: "" },
    });
    expect(
      parseBuildOptions({ dockerfile: "./docker/Dockerfile.prod", target: "run", buildArg: "A=1" }),
    ).toEqual({
      dockerfile: "docker/Dockerfile.prod",
      target: "run",
      buildArgs: { A: "1" },
    });
  });
  it.each([
    [{ buildArg: "NOEQUALS" }, "buildArg"],
    [{ buildArg: "1X=a" }, "buildArg"],
    [{ dockerfile: "../Dockerfile" }, "dockerfile"],
    [{ dockerfile: "/etc/Dockerfile" }, "dockerfile"],
    [{ target: "bad stage" }, "target"],
    [{ other: 1 }, "other"],
  ])("refuses %j naming %s", (input, field) => {
    expect(() => parseBuildOptions(input)).toThrow(field);
  });
});

describe("describeBuild", () => {
  it("names build args, never their values", () => {
    const line = describeBuild({
      tag: "o/s-w:1",
      dockerfile: "Dockerfile",
      buildArgs: { TOKEN: "s3cret", A: "1" },
    });
    expect(line).toBe("building o/s-w:1 from Dockerfile; build args A, TOKEN");
    expect(line).not.toContain("s3cret");
  });
});

describe("buildsToPrune with shared ids", () => {
  it("removes the oldest tag", () => {
    const imgs = ["o/s-w:20260101000003", "o/s-w:20260101000001", "o/s-w:20260101000002"].map((t) => ({
      id: "x",
      created: 5,
      tags: [t],
    }));
    expect(buildsToPrune(imgs, 2, new Set()).map((i) => i.tags[0])).toEqual(["o/s-w:20260101000001"]);
  });
});
