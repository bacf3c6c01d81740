import { describe, expect, it } from "vitest";
import { stackBuilds } from "./stack-build.js";

describe("stackBuilds", () => {
  it("reads each service's build: as docker does, relative to the compose file's directory", () => {
    const compose = {
      services: {
        web: {
          image: "app:1",
          build: {
            context: "web",
            dockerfile: "docker/Dockerfile",
            target: "prod",
            args: ["A=1", "FROM_SHELL", "UNSET"],
            cache_from: ["x"],
          },
        },
        worker: { build: "." },
        debug: { build: ".", profiles: ["debug"] },
        db: { image: "postgres:16" },
      },
    };
    const builds = stackBuilds("shop", compose, "/srv/app", { FROM_SHELL: "s" });
    expect(builds.map((b) => [b.service, b.dir, b.query.toString(), b.ignored])).toEqual([
      [
        "web",
        "/srv/app/web",
        "stack=shop&service=web&dockerfile=docker%2FDockerfile&target=prod&buildArg=A%3D1&buildArg=FROM_SHELL%3Ds",
        ["cache_from"],
      ],
      ["worker", "/srv/app", "stack=shop&service=worker&dockerfile=Dockerfile", []],
    ]);
  });

  it("names the field of a bad build option", () => {
    expect(() =>
      stackBuilds(
        "shop",
        { services: { web: { build: { context: ".", dockerfile: "../Dockerfile" } } } },
        "/srv",
        {},
      ),
    ).toThrow("services.web.build.dockerfile: must be a relative path inside the build context");
  });
});
