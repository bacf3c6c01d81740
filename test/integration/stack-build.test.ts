// `berth stack deploy --build` on the real Engine: each service with `build:` is built from its context
// (build args reach the build), tagged and labelled as `berth deploy --build` tags, and the stack is
// deployed with those tags (an `image:` beside `build:` is replaced by what was built; a service with
// `build:` alone deploys too); a missing Dockerfile is refused naming the field, before anything is
// built or created.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  docker,
  removeImagesOf,
  removeStacks,
  stackPrefix,
  startBerth,
  type TestBerth,
} from "../helpers/berth.js";

const d = docker();
const prefix = stackPrefix("sb");
let berth: TestBerth;
let work: string;

function write(files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(work, path, ".."), { recursive: true });
    writeFileSync(join(work, path), content);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "berth-stack-build-"));
  berth = await startBerth();
}, 120_000);

afterAll(async () => {
  await berth?.stop();
  await removeStacks(d, prefix);
  if (berth) await removeImagesOf(d, berth.instance);
  rmSync(work, { recursive: true, force: true });
});

describe("berth stack deploy --build", () => {
  it("builds each service with build:, then deploys the stack with the tags it built", async () => {
    const name = `${prefix}-app`;
    write({
      "web/Dockerfile": "FROM local/httpd:1\nARG GREETING=none\nLABEL greeting=$GREETING\n",
      "worker/Dockerfile": "FROM local/httpd:1\nLABEL role=worker\n",
      "stack.yml": [
        "services:",
        "  web:",
        "    image: example/not-built:1",
        "    build:",
        "      context: ./web",
        "      args: { GREETING: hello-stack }",
        "    depends_on:",
        "      worker: { condition: service_started }",
        "  worker:",
        "    build: ./worker",
        "",
      ].join("\n"),
    });
    const r = await berth.cli([
      "stack",
      "deploy",
      "-c",
      join(work, "stack.yml"),
      "--name",
      name,
      "--build",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.deployment).toMatchObject({ stack: name, revision: 1, status: "succeeded" });
    expect(out.warnings.join("\n")).toContain(
      "Service web: depends_on worker (service_started) is not enforced",
    );
    expect(out.warnings.join("\n")).not.toContain("build is not run");
    for (const [service, label] of [
      ["web", { greeting: "hello-stack" }],
      ["worker", { role: "worker" }],
    ] as const) {
      const spec = (await d.getService(`default_${name}_${service}`).inspect()).Spec;
      const image = spec.TaskTemplate.ContainerSpec.Image.split("@")[0];
      expect(image).toMatch(new RegExp(`^default/${name}-${service}:\\d{14}$`));
      const img = await d.getImage(image).inspect();
      expect(img.Config.Labels).toMatchObject({
        ...label,
        "berth.instance": berth.instance,
        "berth.build": `default/${name}/${service}`,
      });
    }
  }, 240_000);

  it("refuses a service whose context has no Dockerfile, naming the field, before building anything", async () => {
    const name = `${prefix}-bad`;
    write({
      "empty/README": "no Dockerfile here\n",
      "bad.yml": "services:\n  web:\n    build: ./empty\n",
    });
    const before = (await d.listImages({ filters: { label: [`berth.instance=${berth.instance}`] } })).length;
    const r = await berth.cli(["stack", "deploy", "-c", join(work, "bad.yml"), "--name", name, "--build"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("services.web.build.dockerfile");
    expect((await d.listImages({ filters: { label: [`berth.instance=${berth.instance}`] } })).length).toBe(
      before,
    );
    expect((await berth.api("GET", `/api/v1/stacks/${name}`)).status).toBe(404);
  }, 60_000);
});
