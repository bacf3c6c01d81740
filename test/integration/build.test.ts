// `berth deploy --build` on the real Engine: the context honours .dockerignore, build args reach the
// build, the image is tagged and labelled, deployed, and answers; a failing build deploys nothing;
// another organization cannot see the build job; bad input is refused before anything is created.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  docker,
  removeImagesOf,
  removeStacks,
  servicesOfStacks,
  stackPrefix,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";

const d = docker();
const prefix = stackPrefix("bld");
let berth: TestBerth;
let work: string;

function context(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

async function stackNames(token = berth.token): Promise<string[]> {
  return ((await call(berth.url, "GET", "/api/v1/stacks", { token })).body.stacks ?? []).map(
    (s: { name: string }) => s.name,
  );
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "berth-build-"));
  berth = await startBerth({ BERTH_BUILD_KEEP: "1" });
}, 120_000);

afterAll(async () => {
  await berth?.stop();
  await removeStacks(d, prefix);
  if (berth) await removeImagesOf(d, berth.instance);
  rmSync(work, { recursive: true, force: true });
});

describe("berth deploy --build", () => {
  const name = `${prefix}-app`;
  let buildJob: string;
  let firstTag: string;

  it("builds the context without what .dockerignore excludes, deploys it, and the app answers", async () => {
    const dir = context("app", {
      Dockerfile: [
        "FROM local/httpd:1",
        "ARG GREETING=none",
        "COPY . /www/app/",
        'RUN ls -R /www/app > /www/files.txt && echo "$GREETING" > /www/greeting.txt',
      ].join("\n"),
      ".dockerignore": "secret.txt\nlogs/**\n!logs/keep.log\n",
      "kept.txt": "kept",
      "secret.txt": "do not send",
      "logs/drop.log": "x",
      "logs/keep.log": "y",
    });
    const r = await berth.cli([
      "deploy",
      "--build",
      dir,
      "--name",
      name,
      "--port",
      "8080",
      "--build-arg",
      "GREETING=hello-build",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.deployment).toMatchObject({ stack: name, revision: 1, status: "succeeded" });
    expect(out.build.image).toMatch(new RegExp(`^default/${name}-${name}:\\d{14}$`));
    expect(out.build.imageId).toMatch(/^sha256:/);
    buildJob = out.build.jobId;
    firstTag = out.build.image;

    const files = await until("the app to answer", async () => {
      const res = await fetch(`${out.urls[0]}files.txt`);
      return res.ok ? await res.text() : undefined;
    });
    expect(files).toContain("kept.txt");
    expect(files).toContain("keep.log");
    expect(files).not.toContain("secret.txt");
    expect(files).not.toContain("drop.log");
    expect((await (await fetch(`${out.urls[0]}greeting.txt`)).text()).trim()).toBe("hello-build");

    // The image carries Berth's labels; the deployment records the image id.
    const img = await d.getImage(out.build.image).inspect();
    expect(img.Id).toBe(out.build.imageId);
    expect(img.Config.Labels).toMatchObject({
      "berth.instance": berth.instance,
      "berth.build": `default/${name}/${name}`,
    });
    const dep = await berth.api("GET", `/api/v1/deployments/${out.deployment.id}`);
    expect(dep.body.deployment.builds).toEqual([
      { service: name, tag: out.build.image, imageId: out.build.imageId, jobId: buildJob },
    ]);
    // The job log shows the build's output and build argument names, never their values.
    const job = await berth.api("GET", `/api/v1/jobs/${buildJob}`);
    const log = job.body.logs.map((l: { message: string }) => l.message).join("\n");
    expect(log).toContain("build args GREETING");
    expect(log).toMatch(/Step \d\/\d|COPY/);
    expect(log).not.toContain("hello-build");
  }, 240_000);

  it("keeps the newest BERTH_BUILD_KEEP builds of the service and those a service runs", async () => {
    const dir = join(work, "app");
    const tags: string[] = [];
    const jobs: string[] = [];
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 1100)); // a new UTC second, so a new tag
      const r = await berth.cli(["deploy", "--build", dir, "--name", name, "--port", "8080", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      tags.push(JSON.parse(r.stdout).build.image);
      jobs.push(JSON.parse(r.stdout).build.jobId);
    }
    const left = (
      await d.listImages({ filters: { label: [`berth.build=default/${name}/${name}`] } })
    ).flatMap((i) => i.RepoTags ?? []);
    // The newest build stays (kept, and the service runs it). Whether the one before it is still
    // there depends on whether its successor's deploy had reached Swarm when the pruning ran (a build
    // a service runs is never removed): plan/build.test.ts covers that decision.
    expect(left).toContain(tags[1]);
    const svc = (await servicesOfStacks(d, name)).find((s) => s.Spec.Labels["berth.stack"] === name);
    expect(svc?.Spec?.TaskTemplate?.ContainerSpec?.Image?.split("@")[0]).toBe(tags[1]);
    const log = (await berth.api("GET", `/api/v1/jobs/${jobs[1]}`)).body.logs.map((l: any) => l.message);
    // The first build is removed only once no container uses it: Swarm keeps the exited containers of
    // replaced tasks (task history), and the Engine refuses to remove an image they reference.
    expect(log.join("\n")).not.toContain("old builds were not removed");
    void firstTag;
  }, 240_000);

  it("fails a build that fails with the build's error line, and deploys nothing", async () => {
    const failing = `${prefix}-bad`;
    const dir = context("bad", { Dockerfile: "FROM local/httpd:1\nRUN false\n" });
    const r = await berth.cli(["deploy", "--build", dir, "--name", failing, "--port", "8080"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/build failed: .*false.*non-zero code/);
    expect(await stackNames()).not.toContain(failing);
  }, 120_000);

  it("another organization cannot see the build job", async () => {
    const other = `${prefix}o`.replace(/-/g, "");
    expect((await berth.api("POST", "/api/v1/orgs", { slug: other })).status).toBe(201);
    const t = await berth.api("POST", `/api/v1/orgs/${other}/tokens`, { name: "o", role: "owner" });
    const res = await call(berth.url, "GET", `/api/v1/jobs/${buildJob}`, { token: t.body.token });
    expect(res.status).toBe(404);
  });

  it.each([
    [["--image", "local/httpd:1"], "--build"],
    [["--build-arg", "NOEQUALS"], "--build-arg"],
    [["--dockerfile", "Missing.Dockerfile"], "--dockerfile"],
    [["--dockerfile", "../Dockerfile"], "--dockerfile"],
  ])("refuses %j naming %s (exit 2), creating nothing", async (extra, field) => {
    const dir = context("ok", { Dockerfile: "FROM local/httpd:1\n" });
    const bad = `${prefix}-refused`;
    const r = await berth.cli(["deploy", "--build", dir, "--name", bad, "--port", "8080", ...extra]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(field);
    expect(await stackNames()).not.toContain(bad);
  });

  it("the API refuses a context without its Dockerfile, and JSON on the build route (400, naming the field)", async () => {
    const deployment = encodeURIComponent(JSON.stringify({ name: `${prefix}-api`, port: 8080 }));
    // An empty tar: two 512-byte zero blocks.
    const res = await fetch(`${berth.url}/api/v1/builds?deployment=${deployment}`, {
      method: "POST",
      headers: { authorization: `Bearer ${berth.token}`, "content-type": "application/x-tar" },
      body: new Uint8Array(1024),
    });
    const body = await res.json();
    expect(res.status).toBe(400);
    expect(body.error.message).toContain("dockerfile");
    const json = await call(berth.url, "POST", `/api/v1/builds?deployment=${deployment}`, {
      token: berth.token,
      body: {},
    });
    expect(json.status).toBe(400);
    expect(json.body.error.message).toContain("content-type");
    const both = await fetch(
      `${berth.url}/api/v1/builds?deployment=${encodeURIComponent(JSON.stringify({ name: "x", port: 80, image: "a:1" }))}`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${berth.token}`, "content-type": "application/x-tar" },
        body: new Uint8Array(1024),
      },
    );
    expect(both.status).toBe(400);
    expect((await both.json()).error.message).toContain("image");
  });
});
