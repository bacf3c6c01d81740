import { describe, expect, it } from "vitest";
import type { DeployOptions } from "./apps.js";
import { sourceOf } from "./build.js";

const opts = (o: Partial<DeployOptions>) =>
  ({ dockerfile: "Dockerfile", buildArg: [], domain: [], env: [], ...o }) as DeployOptions;

describe("sourceOf (--image or --build)", () => {
  it("takes an image, or a directory with its build options", () => {
    expect(sourceOf(opts({ image: "a:1" }))).toEqual({ kind: "image", image: "a:1" });
    expect(sourceOf(opts({ build: "app", buildArg: ["A=1"], target: "run" }))).toEqual({
      kind: "build",
      dir: "app",
      options: { dockerfile: "Dockerfile", target: "run", buildArgs: { A: "1" } },
    });
  });

  it.each([
    [{ image: "a:1", build: "app" }, "--build: give either --image or --build, not both"],
    [{}, "--image: give an image"],
    [{ image: "a:1", buildArg: ["A=1"] }, "--build: --dockerfile, --build-arg and --target go with --build"],
    [{ build: "app", buildArg: ["1=x"] }, "--build-arg: '1' must be KEY=VALUE"],
    [{ build: "app", dockerfile: "../Dockerfile" }, "--dockerfile: must be a relative path"],
    [{ build: "app", target: "a b" }, "--target: must be a stage name"],
    [{ build: "app", dryRun: true }, "--dry-run"],
  ])("refuses %j: %s", (o, message) => {
    expect(() => sourceOf(opts(o as Partial<DeployOptions>))).toThrow(message);
  });
});
