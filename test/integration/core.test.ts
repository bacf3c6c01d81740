// The control-plane core on the real swarm: jobs (logs, listing, cancel), the observer keeping the
// database current from Docker events, drift reports and repairs, metrics and correlation ids.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deployHttpd,
  docker,
  removeStacks,
  servicesOfStacks,
  stackPrefix,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";

const d = docker();
const prefix = stackPrefix("k");
let berth: TestBerth;
const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  berth.api(method, path, body, headers);
const stackOf = async (name: string) =>
  (await api("GET", "/api/v1/stacks")).body.stacks.find((s: any) => s.name === name);

beforeAll(async () => {
  berth = await startBerth({ BERTH_AUTO_REPAIR: "off" });
});

afterAll(async () => {
  await berth?.stop();
  await removeStacks(d, prefix);
  for (const s of (await d.listServices()) as any[]) {
    if (s.Spec.Name.startsWith(`${prefix}-foreign`)) await d.getService(s.ID).remove();
  }
});

describe("jobs", () => {
  const name = `${prefix}-app`;
  let jobId: string;

  it("run a deploy as a job with progress and log lines, carrying the request's correlation id", async () => {
    const res = await api(
      "POST",
      "/api/v1/deployments",
      { name, image: "local/httpd:1", port: 8080 },
      { "x-request-id": `${prefix}-corr` },
    );
    expect(res.status).toBe(202);
    jobId = res.body.jobId;
    const job = await until("the job to end", async () => {
      const j = (await api("GET", `/api/v1/jobs/${jobId}`)).body;
      return ["succeeded", "failed"].includes(j.job.status) ? j : undefined;
    });
    expect(job.job).toMatchObject({
      type: "deploy",
      target: name,
      status: "succeeded",
      progress: 100,
      attempts: 1,
      correlationId: `${prefix}-corr`,
    });
    const lines = job.logs.map((l: any) => l.message);
    expect(lines.slice(0, 3)).toEqual([
      `deploying ${name} revision 1 (1 services)`,
      `${name}: created`,
      "waiting for Swarm to run the new revision",
    ]);
    expect(lines.at(-1)).toMatch(/^succeeded: .*1\/1 tasks running/);
    const log = readFileSync(`${berth.dataDir}/berth.log`, "utf8");
    expect(log).toMatch(new RegExp(`"correlationId":"${prefix}-corr".*"msg":"${name}: created"`));
  });

  it("stream their log lines and status as server-sent events until they end", async () => {
    const res = await fetch(`${berth.url}/api/v1/jobs/${jobId}/events`, {
      headers: { authorization: `Bearer ${berth.token}` },
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text(); // the stream ends with the job
    const events = [...text.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => [m[1], JSON.parse(m[2]!)]);
    expect(events.filter(([e]) => e === "log").length).toBeGreaterThanOrEqual(4);
    expect(events.at(-1)).toEqual([
      "job",
      expect.objectContaining({ id: jobId, status: "succeeded", progress: 100 }),
    ]);
  });

  it("are listed newest first with a cursor", async () => {
    const page = (await api("GET", "/api/v1/jobs?limit=1")).body;
    expect(page.jobs).toHaveLength(1);
    expect(page.jobs[0].id).toBe(jobId);
    const bad = await api("GET", "/api/v1/jobs?limit=5000");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("limit: must be a whole number from 1 to 200");
  });

  it("can be cancelled while they wait for Swarm", async () => {
    // The demo app listening on another port never passes its health check, so the rollout waits.
    const res = await api("POST", "/api/v1/deployments", {
      name: `${prefix}-stuck`,
      image: "local/berth-demo:1",
      port: 8080,
      env: { PORT: "9999" },
    });
    expect(res.status).toBe(202);
    await until("the job to wait for Swarm", async () => {
      const j = (await api("GET", `/api/v1/jobs/${res.body.jobId}`)).body.job;
      return j.status === "running" && j.progress >= 50;
    });
    expect((await api("POST", `/api/v1/jobs/${res.body.jobId}/cancel`)).status).toBe(202);
    const job = await until("the job to end", async () => {
      const j = (await api("GET", `/api/v1/jobs/${res.body.jobId}`)).body.job;
      return ["cancelled", "succeeded", "failed"].includes(j.status) ? j : undefined;
    });
    expect(job.status).toBe("cancelled");
    const dep = (await api("GET", `/api/v1/deployments/${res.body.deployment.id}`)).body.deployment;
    expect(dep).toMatchObject({
      status: "failed",
      reason: "cancelled while Swarm was rolling it out; no earlier revision succeeded, so it stays",
    });
  });

  it("answer 404 for a job that does not exist, 400 for a malformed id", async () => {
    expect((await api("GET", "/api/v1/jobs/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await api("GET", "/api/v1/jobs/nope")).status).toBe(400);
  });
});

describe("idempotency keys", () => {
  it("make concurrent requests with one key create one deployment", async () => {
    const name = `${prefix}-idem`;
    const body = { name, services: [{ name: "web", image: "local/httpd:1" }] };
    const headers = { "idempotency-key": `${prefix}-same` };
    const answers = await Promise.all([1, 2, 3].map(() => api("POST", "/api/v1/deployments", body, headers)));
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect(new Set(answers.map((a) => a.body.deployment.id)).size).toBe(1);
    const history = await api("GET", `/api/v1/stacks/${name}/history`);
    expect(history.body.revisions.map((r: any) => r.revision)).toEqual([1]);
  });
});

describe("the observer", () => {
  const name = `${prefix}-obs`;

  it("reflects a change made behind Berth's back within a second or two", async () => {
    const r = await berth.cli(["deploy", "--image", "local/httpd:1", "--name", name, "--port", "8080"]);
    expect(r.code).toBe(0);
    const [svc] = await servicesOfStacks(d, name);
    const spec = svc.Spec;
    spec.Mode.Replicated.Replicas = 0;
    const started = Date.now();
    await d.getService(svc.ID).update({ version: svc.Version.Index, ...spec });
    await until("ps to show 0 replicas", async () => (await stackOf(name)).services[0].replicas === 0, 5000);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("drift", () => {
  const name = `${prefix}-drift`;

  beforeAll(async () => {
    const r = await deployHttpd(berth, name, { replicas: 1 });
    expect(r.code).toBe(0);
  });

  const myDrift = async () =>
    (await api("GET", "/api/v1/drift")).body.drift.filter(
      (x: any) => x.stack === name || x.stack?.startsWith(`${prefix}-orphan`),
    );

  it("reports nothing while Swarm runs what was deployed", async () => {
    expect(await myDrift()).toEqual([]);
  });

  it("reports a changed service and sets it back on repair", async () => {
    const [svc] = await servicesOfStacks(d, name);
    const spec = svc.Spec;
    spec.Mode.Replicated.Replicas = 3;
    await d.getService(svc.ID).update({ version: svc.Version.Index, ...spec });
    expect(await myDrift()).toEqual([
      { kind: "changed", org: "default", stack: name, service: name, fields: ["replicas"] },
    ]);
    const r = await berth.cli(["drift", "--repair"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`set back default_${name}_${name}`);
    const [after] = await servicesOfStacks(d, name);
    expect(after.Spec.Mode.Replicated.Replicas).toBe(1);
    expect(await myDrift()).toEqual([]);
  });

  it("reports a removed service as missing and recreates it", async () => {
    const [svc] = await servicesOfStacks(d, name);
    await d.getService(svc.ID).remove();
    expect(await myDrift()).toEqual([{ kind: "missing", org: "default", stack: name, service: name }]);
    const human = await berth.cli(["drift"]);
    expect(human.stdout).toMatch(new RegExp(`missing\\s+${name}\\s+${name}`));
    expect((await berth.cli(["drift", "--repair"])).code).toBe(0);
    expect(await servicesOfStacks(d, name)).toHaveLength(1);
    expect(await myDrift()).toEqual([]);
  });

  it("recreates a removed service whose config was removed too, and the config with it", async () => {
    const stack = `${prefix}-cfg`;
    const dir = mkdtempSync(join(tmpdir(), "berth-core-"));
    writeFileSync(join(dir, "motd.txt"), "hello\n");
    writeFileSync(
      join(dir, "stack.yml"),
      [
        "services:",
        "  web:",
        "    image: local/httpd:1",
        "    configs: [{ source: motd, target: /etc/motd }]",
        "configs:",
        "  motd: { file: ./motd.txt }",
        "",
      ].join("\n"),
    );
    const dep = await berth.cli(["stack", "deploy", "-c", join(dir, "stack.yml"), "--name", stack]);
    expect(dep.code, dep.stderr).toBe(0);
    const [svc] = await servicesOfStacks(d, stack);
    const configs = svc.Spec.TaskTemplate.ContainerSpec.Configs as { ConfigName: string }[];
    await d.getService(svc.ID).remove();
    await until("the config free to remove", async () => {
      await d.getConfig(configs[0]!.ConfigName).remove();
      return true;
    });
    const r = await berth.cli(["drift", "--repair"]);
    expect(r.code, r.stderr).toBe(0);
    const [again] = await servicesOfStacks(d, stack);
    expect(again.Spec.TaskTemplate.ContainerSpec.Configs.map((c: any) => c.ConfigName)).toEqual(
      configs.map((c) => c.ConfigName),
    );
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("removes an orphan of this installation but never a service it does not own", async () => {
    const [svc] = await servicesOfStacks(d, name);
    const instance = svc.Spec.Labels["berth.instance"];
    const orphan = `default_${prefix}-orphan_x`;
    const labels = {
      "berth.managed": "true",
      "berth.org": "default",
      "berth.stack": `${prefix}-orphan`,
      "berth.service": "x",
      "berth.instance": instance,
    };
    await d.createService({
      Name: orphan,
      Labels: labels,
      TaskTemplate: { ContainerSpec: { Image: "local/httpd:1" } },
      Mode: { Replicated: { Replicas: 0 } },
    } as any);
    await d.createService({
      Name: `${prefix}-foreign`,
      Labels: { team: "other" },
      TaskTemplate: { ContainerSpec: { Image: "local/httpd:1" } },
      Mode: { Replicated: { Replicas: 0 } },
    } as any);
    expect(await myDrift()).toEqual([
      { kind: "orphan", org: "default", stack: `${prefix}-orphan`, service: "x", swarmName: orphan },
    ]);
    expect((await berth.cli(["drift", "--repair"])).code).toBe(0);
    const names = ((await d.listServices()) as any[]).map((s) => s.Spec.Name);
    expect(names).not.toContain(orphan);
    expect(names).toContain(`${prefix}-foreign`);
  });
});

describe("metrics", () => {
  it("exposes job, API, event-lag and reconcile figures for Prometheus", async () => {
    const text = await (await fetch(`${berth.url}/metrics`)).text();
    expect(text).toMatch(/berth_jobs_total\{type="deploy",outcome="succeeded"\} [1-9]/);
    expect(text).toMatch(
      /berth_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/deployments",status="202"\} [1-9]/,
    );
    expect(text).toMatch(/berth_event_lag_seconds\{quantile="0.99"\}/);
    expect(text).toMatch(/berth_reconcile_lag_seconds \d/);
    expect(text).toContain("berth_process_resident_memory_bytes");
  });
});
