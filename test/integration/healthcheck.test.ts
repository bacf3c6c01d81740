// Berth's default health check for the short form (plan/healthcheck.ts): its script in the shells
// images have (busybox ash, dash, bash) against real listeners, then on the real swarm: a service
// that does not listen on the port it names is rolled back, a healthy one succeeds, the image's own
// HEALTHCHECK is kept, and the check can be turned off or replaced.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portCheckScript } from "../../src/plan/healthcheck.js";
import { docker, servicesOfStacks, stackPrefix, startBerth, type TestBerth } from "../helpers/berth.js";

const exec = promisify(execFile);
const d = docker();
const prefix = stackPrefix("h");

/** Runs `script` with `shell` in a new container of `image` (as its user) once its command listens. */
async function checkIn(
  image: string,
  shell: string,
  script: string,
  run: string[] = [],
): Promise<{ code: number; out: string }> {
  const { stdout } = await exec("docker", [
    "run",
    "-d",
    "--rm",
    "--label",
    `berth.test=${prefix}`,
    image,
    ...run,
  ]);
  const id = stdout.trim();
  try {
    await new Promise((r) => setTimeout(r, 1500));
    try {
      const r = await exec("docker", ["exec", id, shell, "-c", script]);
      return { code: 0, out: r.stdout.trim() };
    } catch (err) {
      const e = err as { code: number; stdout: string };
      return { code: e.code, out: e.stdout.trim() };
    }
  } finally {
    await exec("docker", ["rm", "-f", id]).catch(() => {});
  }
}

describe("the port check's script, in the shells images have", () => {
  it.each([
    ["busybox ash", "local/httpd:1", "sh"],
    ["dash", "local/berth-demo:1", "sh"],
    ["bash", "local/berth-demo:1", "bash"],
  ])("%s: passes on the port the app listens on, fails on another", async (_n, image, shell) => {
    expect(await checkIn(image, shell, portCheckScript(8080))).toEqual({ code: 0, out: "" });
    expect(await checkIn(image, shell, portCheckScript(9090))).toEqual({
      code: 1,
      out: "nothing listens on port 9090",
    });
  });

  it("fails a port listened on loopback only, which other tasks cannot reach", async () => {
    const loopback = ["/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www"];
    expect(await checkIn("local/httpd:1", "sh", portCheckScript(8080), loopback)).toEqual({
      code: 1,
      out: "port 8080 listens on loopback only, out of reach of other tasks",
    });
  });
});

describe("the default health check on the swarm", () => {
  let b: TestBerth;
  const name = `${prefix}-web`;
  const deploy = (...args: string[]) => b.cli(["deploy", "--name", name, "--json", ...args]);
  const live = async () => (await servicesOfStacks(d, name))[0];

  beforeAll(async () => {
    b = await startBerth();
  });

  afterAll(async () => {
    for (const s of [name, `${name}-d`, `${name}-s`]) await b?.cli(["rm", s]);
    await b?.stop();
    await exec("docker", ["image", "rm", "-f", `local/${prefix}-noshell:1`]).catch(() => {});
  });

  it("shows the check it would add in --dry-run, and deploys nothing", async () => {
    const r = await deploy("--image", "local/httpd:1", "--port", "8080", "--dry-run");
    expect(r.code, r.stderr).toBe(0);
    const [spec] = JSON.parse(r.stdout).services;
    expect(spec.TaskTemplate.ContainerSpec.Healthcheck).toEqual({
      Test: ["CMD-SHELL", portCheckScript(8080)],
      Interval: 5e9,
      Timeout: 3e9,
      Retries: 3,
      StartPeriod: 30e9,
    });
    expect((await b.api("GET", `/api/v1/stacks/${name}`)).status).toBe(404);
  });

  it("a service that listens on its port succeeds, checked on that port", async () => {
    const r = await deploy("--image", "local/httpd:1", "--port", "8080");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).deployment).toMatchObject({ revision: 1, status: "succeeded" });
    const svc = await live();
    expect(svc.Spec.TaskTemplate.ContainerSpec.Healthcheck.Test).toEqual([
      "CMD-SHELL",
      portCheckScript(8080),
    ]);
  });

  it("one that does not listen on the port it names is rolled back, saying so", async () => {
    // Berth's check with short timings: the check is what is tested, not how long it waits.
    const fast = ["--health-interval", "1s", "--health-start-period", "1s", "--health-retries", "2"];
    const r = await deploy("--image", "local/httpd:1", "--port", "9090", ...fast);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toContain("nothing listens on port 9090");
    expect(r.stderr).toContain("revision 1 is live");
    expect((await live()).Spec.TaskTemplate.ContainerSpec.Healthcheck.Test[1]).toContain("*:1F90)");
  });

  it("--no-healthcheck runs none; a user's --health-cmd replaces Berth's", async () => {
    const off = await deploy("--image", "local/httpd:1", "--port", "9090", "--no-healthcheck");
    expect(off.code, off.stderr).toBe(0);
    expect((await live()).Spec.TaskTemplate.ContainerSpec.Healthcheck).toEqual({ Test: ["NONE"] });
    const own = await deploy(
      ...[
        "--image",
        "local/httpd:1",
        "--port",
        "9090",
        "--health-cmd",
        "wget -q -O /dev/null http://127.0.0.1:8080/",
      ],
    );
    expect(own.code, own.stderr).toBe(0);
    expect((await live()).Spec.TaskTemplate.ContainerSpec.Healthcheck.Test).toEqual([
      "CMD-SHELL",
      "wget -q -O /dev/null http://127.0.0.1:8080/",
    ]);
    const diff = await b.cli(["diff", name, "3", "4"]);
    expect(diff.stdout).toContain("healthcheck none -> command");
    const diff2 = await b.cli(["diff", name, "1", "3"]);
    expect(diff2.stdout).toContain("healthcheck port 8080 -> none");
  });

  it("an image with its own HEALTHCHECK keeps it: the demo app on the wrong port is rolled back", async () => {
    const demo = `${name}-d`;
    const ok = await b.cli([
      "deploy",
      "--name",
      demo,
      "--image",
      "local/berth-demo:1",
      "--port",
      "8080",
      "--json",
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const job = await b.api("GET", `/api/v1/jobs/${JSON.parse(ok.stdout).deployment.jobId}`);
    expect(job.body.logs.map((l: { message: string }) => l.message)).toContain(
      `${demo}: the image's own HEALTHCHECK runs (not Berth's check of port 8080)`,
    );
    const [svc] = await servicesOfStacks(d, demo);
    expect(svc.Spec.TaskTemplate.ContainerSpec.Healthcheck).toBeUndefined();
    const wrong = await b.cli([
      ...["deploy", "--name", demo, "--image", "local/berth-demo:1", "--port", "8080", "-e", "PORT=9999"],
    ]);
    expect(wrong.code, wrong.stdout).toBe(1);
    expect(wrong.stderr).toMatch(/rolled back: .*health check failed/);
    expect(wrong.stderr).toContain("revision 1 is live");
  });

  it("an image without /bin/sh cannot run the check: the reason says so, and --no-healthcheck deploys it", async () => {
    const image = `local/${prefix}-noshell:1`;
    const dir = mkdtempSync(join(tmpdir(), "berth-noshell-"));
    writeFileSync(
      join(dir, "Dockerfile"),
      [
        "FROM local/httpd:1",
        'RUN ["/bin/busybox", "rm", "/bin/sh"]',
        'CMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]',
      ].join("\n"),
    );
    await exec("docker", ["build", "-q", "-t", image, dir]);
    rmSync(dir, { recursive: true, force: true });
    const stack = `${name}-s`;
    const fast = ["--health-interval", "1s", "--health-start-period", "1s", "--health-retries", "2"];
    const r = await b.cli(["deploy", "--name", stack, "--image", image, "--port", "8080", ...fast]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toContain("the image has no /bin/sh to run it");
    const off = await b.cli([
      "deploy",
      "--name",
      stack,
      "--image",
      image,
      "--port",
      "8080",
      "--no-healthcheck",
    ]);
    expect(off.code, off.stderr).toBe(0);
  });

  it("refuses --no-healthcheck with a --health-* option before sending anything", async () => {
    const r = await deploy(
      "--image",
      "local/httpd:1",
      "--port",
      "8080",
      "--no-healthcheck",
      "--health-retries",
      "2",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--no-healthcheck: cannot be combined with --health-* options");
  });
});
