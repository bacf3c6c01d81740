// Day-2 commands on the real swarm: scale (a new revision from the live one's input), bad replica
// counts refused by the CLI and by the API with nothing changed, restart (new tasks, same revision,
// and no drift: the reconciler does not take a restart for a change), status while a restart rolls
// out, logs, and another organization that cannot scale the stack.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, stackPrefix, startBerth, type TestBerth, until } from "../helpers/berth.js";

const d = docker();
const app = `${stackPrefix("2")}-app`;
let b: TestBerth;

beforeAll(async () => {
  b = await startBerth();
});

afterAll(async () => {
  await b?.stop();
});

/** The service's Swarm object, found by Berth's labels. */
async function service(): Promise<any> {
  const all: any[] = await (d.listServices as any)({
    filters: { label: [`berth.instance=${b.instance}`, `berth.stack=${app}`] },
  });
  expect(all).toHaveLength(1);
  return all[0];
}

async function runningTasks(): Promise<string[]> {
  const { ID } = await service();
  const tasks: any[] = await d.listTasks({ filters: { service: [ID], "desired-state": ["running"] } });
  return tasks
    .filter((t) => t.Status.State === "running")
    .map((t) => t.ID)
    .sort();
}

async function revisions(): Promise<number[]> {
  const h = JSON.parse((await b.cli(["history", app, "--json"])).stdout);
  return h.revisions.map((r: any) => r.revision);
}

describe("day-2 commands", () => {
  it("deploys a one-service stack without a published port", async () => {
    // The demo app logs a line at start, and its health check makes each task take a few seconds.
    const r = await b.api("POST", "/api/v1/deployments", {
      name: app,
      services: [{ name: "web", image: "local/berth-demo:1" }],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const done = await until("the first deployment to end", async () => {
      const s = (await b.api("GET", `/api/v1/deployments/${r.body.deployment.id}`)).body.deployment;
      return ["pending", "running"].includes(s.status) ? undefined : s;
    });
    expect(done.status).toBe("succeeded");
  });

  it("scales to 3 as a new revision from the live one's input", async () => {
    const r = await b.cli(["scale", app, "3", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      deployment: { stack: app, revision: 2, status: "succeeded" },
      service: "web",
      replicas: 3,
      base: 1,
    });
    expect((await service()).Spec.Mode.Replicated.Replicas).toBe(3);
    expect(await runningTasks()).toHaveLength(3);
    const h = JSON.parse((await b.cli(["history", app, "--json"])).stdout);
    expect(h).toMatchObject({ live: 2, revisions: [{ revision: 2, live: true }, { revision: 1 }] });
    const diff = await b.cli(["diff", app, "1", "2", "--json"]);
    expect(JSON.parse(diff.stdout).services).toEqual([
      { service: "web", change: "changed", fields: [{ field: "replicas", from: "1", to: "3" }] },
    ]);
  });

  it("refuses bad replica counts at the CLI (exit 2) and at the API (400), changing nothing", async () => {
    for (const bad of ["-1", "abc", "101"]) {
      const r = await b.cli(["scale", app, bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain(`<replicas>: '${bad}' must be a whole number from 0 to 100`);
    }
    for (const body of [{ replicas: -1 }, { replicas: "abc" }, { replicas: 2, force: true }, {}]) {
      const res = await b.api("POST", `/api/v1/stacks/${app}/scale`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_input");
    }
    expect((await b.api("POST", `/api/v1/stacks/${app}/scale`, { replicas: -1 })).body.error.message).toBe(
      "replicas: must be a whole number from 0 to 100",
    );
    const unknown = await b.cli(["scale", app, "2", "--service", "db"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain(`service '${app}/db' not found`);
    expect(await revisions()).toEqual([2, 1]);
    expect((await service()).Spec.Mode.Replicated.Replicas).toBe(3);
  });

  it("restarts: new tasks, the same revision, ForceUpdate raised, and no drift afterwards", async () => {
    const before = await runningTasks();
    const r = await b.cli(["restart", app, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ services: ["web"], job: { type: "restart", status: "succeeded" } });
    const after = await runningTasks();
    expect(after).toHaveLength(3);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
    const svc = await service();
    expect(svc.Spec.TaskTemplate.ForceUpdate).toBe(1);
    expect(await revisions()).toEqual([2, 1]);
    const drift = await b.cli(["drift", "--json"]);
    expect(drift.code, drift.stderr).toBe(0);
    expect(JSON.parse(drift.stdout)).toEqual({ drift: [] });
    // A repair would not set it back either: the service keeps its counter and its tasks.
    const repair = await b.cli(["drift", "--repair"]);
    expect(repair.code, repair.stderr).toBe(0);
    expect((await service()).Spec.TaskTemplate.ForceUpdate).toBe(1);
    expect(await runningTasks()).toEqual(after);
  });

  it("shows the status of a restart in progress, and refuses a scale meanwhile (409)", async () => {
    const queued = await b.api("POST", `/api/v1/stacks/${app}/restart`, { service: "web" });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const busy = await b.api("POST", `/api/v1/stacks/${app}/scale`, { replicas: 2 });
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toContain(`stack '${app}' is being restarted`);

    const r = await b.cli(["status", app, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      stack: app,
      deployment: { revision: 2, status: "succeeded" },
      live: 2,
      job: { id: queued.body.jobId, type: "restart", status: expect.stringMatching(/^(queued|running)$/) },
    });
    expect(s.job.progress).toBeGreaterThanOrEqual(0);
    expect(s.services).toEqual([
      { name: "web", image: "local/berth-demo:1", desired: 3, running: expect.any(Number) },
    ]);

    await until(
      "the restart to end",
      async () => {
        const st = JSON.parse((await b.cli(["status", app, "--json"])).stdout);
        return st.job === null ? st : undefined;
      },
      120_000,
    );
    const job = (await b.api("GET", `/api/v1/jobs/${queued.body.jobId}`)).body.job;
    expect(job).toMatchObject({ status: "succeeded", progress: 100 });
    // What runs as the observer saw it, once the replaced tasks have stopped.
    const human = await until("status to show 3/3", async () => {
      const h = await b.cli(["status", app]);
      return h.code === 0 && /\nweb\s+3\/3\s+local\/berth-demo:1\n/.test(h.stdout) ? h.stdout : undefined;
    });
    expect(human.split("\n")[0]).toBe(`${app} revision 2 succeeded (live): web: 3/3 tasks running`);
  }, 180_000);

  it("keeps the restart on a later scale: its tasks stay, its counter too", async () => {
    const before = await runningTasks();
    const r = await b.cli(["scale", app, "2", "--service", "web"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${app} revision 3 (web scaled to 2, from revision 2) succeeded\n`);
    const after = await until("the third task to stop", async () => {
      const ids = await runningTasks();
      return ids.length === 2 ? ids : undefined;
    });
    expect(after.every((id) => before.includes(id))).toBe(true);
    expect((await service()).Spec.TaskTemplate.ForceUpdate).toBe(2);
    expect(JSON.parse((await b.cli(["drift", "--json"])).stdout)).toEqual({ drift: [] });
  });

  it("shows the stack's logs", async () => {
    const logs = await until("a log line", async () => {
      const l = await b.cli(["logs", app, "--tail", "5"]);
      return l.code === 0 && l.stdout.includes("listening") ? l.stdout : undefined;
    });
    expect(logs).toContain(`${app}_web | berth-demo v1 listening on :8080`);
  });

  it("is not found for another organization", async () => {
    const other = `o${Date.now().toString(36).slice(-6)}`;
    expect((await b.api("POST", "/api/v1/orgs", { slug: other })).status).toBe(201);
    const t = await b.api("POST", `/api/v1/orgs/${other}/tokens`, { name: "ci", role: "owner" });
    expect(t.status).toBe(201);
    const as = { BERTH_TOKEN: t.body.token, BERTH_ORG: other };
    const scale = await b.cli(["scale", app, "1"], as);
    expect(scale.code).toBe(3);
    expect(scale.stderr).toContain(`stack '${app}' not found`);
    expect((await b.cli(["restart", app], as)).code).toBe(3);
    expect((await b.cli(["status", app], as)).code).toBe(3);
    expect(await revisions()).toEqual([3, 2, 1]);
    expect((await service()).Spec.Mode.Replicated.Replicas).toBe(2);
  });
});
