// Honest deploy status on the real swarm: a revision counts as succeeded only when its own tasks run
// (Swarm's rolled-back tasks do not count), and a revision that does not converge is put back on the
// last good one by Berth itself, at once, with the reason, whatever made it fail.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  docker,
  servicesOfStacks,
  stackPrefix,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";

const d = docker();
const name = `${stackPrefix("v")}-demo`;
let b: TestBerth;

const deploy = (...env: string[]) =>
  b.cli([
    "deploy",
    ...["--image", "local/berth-demo:1", "--name", name, "--port", "8080"],
    ...env.flatMap((e) => ["-e", e]),
    "--json",
  ]);

async function liveService() {
  const [svc] = await servicesOfStacks(d, name);
  return svc;
}

async function answers(url: string): Promise<string> {
  return until(`${url} to answer`, async () => {
    const res = await fetch(url);
    return res.ok ? res.text() : undefined;
  });
}

beforeAll(async () => {
  b = await startBerth();
});

afterAll(async () => {
  await b?.cli(["rm", name]);
  await b?.stop();
});

describe("a revision that does not converge", () => {
  let first: any;

  it("deploys a good first revision", async () => {
    const r = await deploy("APP_VERSION=1");
    expect(r.code, r.stderr).toBe(0);
    first = JSON.parse(r.stdout);
    expect(first.deployment).toMatchObject({ revision: 1, status: "succeeded" });
    expect(await answers(first.urls[0])).toContain('"version":"1"');
  });

  it.each([
    ["whose health check never passes", ["APP_VERSION=2", "PORT=9999"], /health check failed/],
    ["that crashes at start", ["APP_VERSION=3", "PORT=not-a-port"], /non-zero exit/],
  ])("%s is rolled back by Berth to the last good revision, with why", async (_n, env, cause) => {
    const r = await deploy(...env);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(/rolled back: .*Swarm rolled the update back/);
    expect(r.stderr).toMatch(cause);
    expect(r.stderr).toContain("revision 1 is live");

    // The failed revision never reads as a success, and revision 1's spec is what runs.
    const deployments = await call(b.url, "GET", "/api/v1/stacks", { token: b.token });
    const stack = deployments.body.stacks.find((s: any) => s.name === name);
    expect(stack.status).toBe("rolled_back");
    expect(stack.liveRevision).toBe(1);
    expect((await b.cli(["ps"])).stdout).toMatch(
      new RegExp(`${name}\\s+${name}\\s+\\d+ \\(1 live\\)\\s+rolled_back`),
    );
    expect(stack.reason).toContain("revision 1 is live");
    const svc = await liveService();
    expect(svc.Spec.Labels["berth.deployment"]).toBe(first.deployment.id);
    expect(svc.Spec.TaskTemplate.ContainerSpec.Env).toEqual(["APP_VERSION=1"]);
    expect(await answers(first.urls[0])).toContain('"version":"1"');
  });

  it("the next good revision deploys as usual after a rollback", async () => {
    const r = await deploy("APP_VERSION=4");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.deployment).toMatchObject({ revision: 4, status: "succeeded" });
    expect(await answers(first.urls[0])).toContain('"version":"4"');
    // Succeeded only once Swarm finished the update, its monitor window included.
    const [svc] = (await (d.listServices as any)({
      filters: { label: [`berth.instance=${b.instance}`, `berth.stack=${name}`] },
    })) as any[];
    expect(svc.UpdateStatus?.State).toBe("completed");
  });
});

describe("a deployment cancelled while Swarm rolls it out", () => {
  const stack = `${name}-c`;
  const api = (method: string, path: string, body?: unknown) => b.api(method, path, body);
  const revision = (interval: string, exit: number) => ({
    name: stack,
    compose: {
      services: {
        app: {
          image: "local/berth-demo:1",
          healthcheck: { test: ["CMD", "node", "-e", `process.exit(${exit})`], interval, retries: 3 },
        },
      },
    },
  });
  const jobEnd = (jobId: string) =>
    until(
      `job ${jobId} to end`,
      async () => {
        const j = (await api("GET", `/api/v1/jobs/${jobId}`)).body.job;
        return ["succeeded", "failed", "cancelled"].includes(j.status) ? j : undefined;
      },
      120_000,
    );

  afterAll(async () => {
    await b?.cli(["stack", "rm", stack]);
  });

  it("puts the last good revision back at once", async () => {
    const first = await api("POST", "/api/v1/stacks/deploy", revision("1s", 0));
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect((await jobEnd(first.body.jobId)).status).toBe("succeeded");
    // Its first health check comes after a minute: the rollout waits, and is cancelled meanwhile.
    const second = await api("POST", "/api/v1/stacks/deploy", revision("60s", 1));
    expect(second.status, JSON.stringify(second.body)).toBe(202);
    await until("the job to wait for Swarm", async () => {
      const j = (await api("GET", `/api/v1/jobs/${second.body.jobId}`)).body.job;
      return j.status === "running" && j.progress >= 50;
    });
    expect((await api("POST", `/api/v1/jobs/${second.body.jobId}/cancel`)).status).toBe(202);
    expect((await jobEnd(second.body.jobId)).status).toBe("cancelled");
    const dep = (await api("GET", `/api/v1/deployments/${second.body.deployment.id}`)).body.deployment;
    expect(dep).toMatchObject({
      status: "rolled_back",
      reason: "cancelled while Swarm was rolling it out; revision 1 is live",
    });
    const [svc] = await servicesOfStacks(d, stack);
    expect(svc.Spec.TaskTemplate.ContainerSpec.Healthcheck.Interval).toBe(1_000_000_000);
    expect(svc.Spec.Labels["berth.deployment"]).toBe(first.body.deployment.id);
  });
});
