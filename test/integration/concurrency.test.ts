// Deploys on the real swarm run side by side for different stacks and one at a time, in order, for
// one stack; a deploy waiting its turn says which revision it waits for; a cancel, queued or rolling
// out, leaves the last good revision running.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  docker,
  servicesOfStacks,
  stackPrefix,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";

const d = docker();
const prefix = stackPrefix("q");
let b: TestBerth;

const body = (name: string, message: string, extra: object = {}) => ({
  name,
  image: "local/httpd:1",
  port: 8080,
  env: { MESSAGE: message },
  ...extra,
});
/** A revision whose rollout waits a minute for its first health check: long enough to queue behind it. */
const slow = (name: string, message: string) =>
  body(name, message, { healthcheck: { test: "exit 0", interval: "60s" } });

async function deploy(payload: object) {
  const r = await b.api("POST", "/api/v1/deployments", payload);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body as {
    deployment: { id: string; revision: number; queuedBehind: number | null };
    jobId: string;
  };
}
const job = async (id: string, org?: string) =>
  (await b.api("GET", `/api/v1/jobs/${id}`, undefined, org ? { "x-berth-org": org } : {})).body.job;
const deployment = async (id: string) => (await b.api("GET", `/api/v1/deployments/${id}`)).body.deployment;
const ended = (id: string, org?: string) =>
  until(
    `job ${id} to end`,
    async () => {
      const j = await job(id, org);
      return ["succeeded", "failed", "cancelled"].includes(j.status) ? j : undefined;
    },
    150_000,
  );

beforeAll(async () => {
  b = await startBerth();
});

afterAll(async () => {
  for (const s of ["a", "b", "c"]) await b?.cli(["rm", `${prefix}-${s}`]);
  await b?.stop();
});

describe("deploy concurrency", () => {
  it("runs deploys of different stacks side by side", async () => {
    const [x, y] = await Promise.all([deploy(body(`${prefix}-a`, "a1")), deploy(body(`${prefix}-b`, "b1"))]);
    const [jx, jy] = await Promise.all([ended(x.jobId), ended(y.jobId)]);
    expect([jx.status, jy.status], `${jx.error} / ${jy.error}`).toEqual(["succeeded", "succeeded"]);
    // Each started before the other ended.
    expect(Date.parse(jx.startedAt)).toBeLessThan(Date.parse(jy.finishedAt));
    expect(Date.parse(jy.startedAt)).toBeLessThan(Date.parse(jx.finishedAt));
  });

  it("queues a second deploy of a stack behind the first, says so, and runs it after", async () => {
    const name = `${prefix}-a`;
    const first = await deploy(body(name, "a2"));
    const second = await deploy(body(name, "a3"));
    expect(second.deployment.queuedBehind).toBe(first.deployment.revision);
    const waiting = await job(second.jobId);
    expect(waiting).toMatchObject({ status: "queued", queuedBehind: first.deployment.revision });
    // The CLI says it too, while it waits.
    const third = await b.cli([
      "deploy",
      "--image",
      "local/httpd:1",
      "--name",
      name,
      "--port",
      "8080",
      "-e",
      "MESSAGE=a4",
    ]);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toContain(
      `${name} revision ${second.deployment.revision + 1}: queued behind revision`,
    );
    const [j1, j2] = [await ended(first.jobId), await ended(second.jobId)];
    expect([j1.status, j2.status]).toEqual(["succeeded", "succeeded"]);
    expect(Date.parse(j2.startedAt)).toBeGreaterThanOrEqual(Date.parse(j1.finishedAt));
    const [svc] = await servicesOfStacks(d, name);
    expect(svc.Spec.TaskTemplate.ContainerSpec.Env).toEqual(["MESSAGE=a4"]);
  });

  it("a cancel, queued or rolling out, leaves the last good revision running", async () => {
    const name = `${prefix}-c`;
    const good = await deploy(body(name, "good"));
    expect((await ended(good.jobId)).status).toBe("succeeded");
    const rolling = await deploy(slow(name, "slow"));
    const queued = await deploy(body(name, "queued"));
    expect(queued.deployment.queuedBehind).toBe(rolling.deployment.revision);

    // Cancelled while queued: it never runs.
    expect((await b.api("POST", `/api/v1/jobs/${queued.jobId}/cancel`)).status).toBe(202);
    expect(await deployment(queued.deployment.id)).toMatchObject({
      status: "cancelled",
      reason: `cancelled before it started; revision ${good.deployment.revision} is live`,
    });
    expect((await job(queued.jobId)).status).toBe("cancelled");

    // Cancelled while Swarm rolls it out: the good revision is put back.
    await until("the slow revision to roll out", async () => {
      const j = await job(rolling.jobId);
      return j.status === "running" && j.progress >= 50;
    });
    expect((await b.api("POST", `/api/v1/jobs/${rolling.jobId}/cancel`)).status).toBe(202);
    expect((await ended(rolling.jobId)).status).toBe("cancelled");
    expect(await deployment(rolling.deployment.id)).toMatchObject({
      status: "rolled_back",
      reason: `cancelled while Swarm was rolling it out; revision ${good.deployment.revision} is live`,
    });
    const [svc] = await servicesOfStacks(d, name);
    expect(svc.Spec.Labels["berth.deployment"]).toBe(good.deployment.id);
    expect(svc.Spec.TaskTemplate.ContainerSpec.Env).toEqual(["MESSAGE=good"]);

    // The next deploy of the stack runs as usual.
    const next = await deploy(body(name, "next"));
    expect(next.deployment.queuedBehind).toBeNull();
    expect((await ended(next.jobId)).status).toBe("succeeded");
  });

  it("gives the first deploys of several organizations at once a subnet each, and runs them all", async () => {
    // Swarm accepts a network whose subnet overlaps another's but never allocates it: a task on it
    // stays new forever. Four organizations' networks are chosen and created side by side here.
    const orgs = ["a", "b", "c", "d"].map((s) => `${prefix}-o${s}`);
    for (const org of orgs) expect((await b.api("POST", "/api/v1/orgs", { slug: org })).status).toBe(201);
    const jobs = await Promise.all(
      orgs.map(async (org) => {
        const r = await b.api("POST", "/api/v1/deployments", body("web", org), { "x-berth-org": org });
        expect(r.status, JSON.stringify(r.body)).toBe(202);
        return ended(r.body.jobId, org);
      }),
    );
    expect(jobs.map((j) => [j.status, j.error ?? null])).toEqual(orgs.map(() => ["succeeded", null]));
    const nets: any[] = await d.listNetworks({ filters: { label: [`berth.instance=${b.instance}`] } });
    const subnets = orgs.map((org) => {
      const mine = nets.filter((n) => n.Labels["berth.org"] === org && !n.Labels["berth.stack"]);
      expect(mine, org).toHaveLength(1);
      return mine[0].IPAM.Config[0].Subnet as string;
    });
    expect(new Set(subnets).size).toBe(orgs.length);
  });
});
