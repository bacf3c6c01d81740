// Names and ownership on the real swarm: organizations whose slugs and stack names overlap through
// '-' get separate services, and an object under a stack's name that is not the stack's own (another
// organization's, another installation's, or not Berth's) is never updated, mounted or removed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, docker, startBerth, type TestBerth, until } from "../helpers/berth.js";

const d = docker();
const tag = Date.now().toString(36).slice(-4);
const T = `t${tag}`;
const TX = `t${tag}-x`;
let b: TestBerth;
const squatters: { kind: "service" | "volume"; id: string }[] = [];

const deploy = (org: string, name: string, env: Record<string, string> = {}) =>
  call(b.url, "POST", "/api/v1/deployments", {
    token: b.token,
    headers: { "x-berth-org": org },
    body: { name, services: [{ name: "web", image: "local/httpd:1", env }] },
  });

async function waitJob(org: string, jobId: string): Promise<any> {
  return until(
    `job ${jobId}`,
    async () => {
      const r = await call(b.url, "GET", `/api/v1/jobs/${jobId}`, {
        token: b.token,
        headers: { "x-berth-org": org },
      });
      return ["succeeded", "failed", "cancelled"].includes(r.body.job?.status) ? r.body.job : undefined;
    },
    120_000,
  );
}

async function servicesNamed(name: string): Promise<any[]> {
  return ((await d.listServices({ filters: { name: [name] } })) as any[]).filter((s) => s.Spec.Name === name);
}

beforeAll(async () => {
  b = await startBerth();
  for (const org of [T, TX]) expect((await b.api("POST", "/api/v1/orgs", { slug: org })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  for (const s of squatters) {
    if (s.kind === "service")
      await d
        .getService(s.id)
        .remove()
        .catch(() => {});
  }
  await b?.stop();
  for (const s of squatters) {
    if (s.kind === "volume")
      await d
        .getVolume(s.id)
        .remove()
        .catch(() => {});
  }
});

describe("organizations whose names overlap", () => {
  it(`keeps ${T}/x-alpha and ${TX}/alpha apart: separate services, and removing one leaves the other`, async () => {
    const a = await deploy(T, "x-alpha", { OWNER: "A" });
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect((await waitJob(T, a.body.jobId)).status).toBe("succeeded");
    const diff = await call(b.url, "POST", "/api/v1/stacks/diff", {
      token: b.token,
      headers: { "x-berth-org": TX },
      body: { name: "alpha", compose: { services: { web: { image: "local/httpd:1" } } } },
    });
    expect(diff.status, JSON.stringify(diff.body)).toBe(200);
    expect(diff.body.services).toEqual([{ service: "web", action: "create" }]);

    const x = await deploy(TX, "alpha", { OWNER: "B" });
    expect(x.status, JSON.stringify(x.body)).toBe(202);
    expect((await waitJob(TX, x.body.jobId)).status).toBe("succeeded");

    const [ofT] = await servicesNamed(`${T}_x-alpha_web`);
    const [ofTX] = await servicesNamed(`${TX}_alpha_web`);
    expect(ofT.Spec.Labels).toMatchObject({ "berth.org": T, "berth.stack": "x-alpha" });
    expect(ofT.Spec.TaskTemplate.ContainerSpec.Env).toContain("OWNER=A");
    expect(ofTX.Spec.Labels).toMatchObject({ "berth.org": TX, "berth.stack": "alpha" });
    expect(ofTX.Spec.TaskTemplate.ContainerSpec.Env).toContain("OWNER=B");

    const rm = await call(b.url, "DELETE", "/api/v1/stacks/alpha", {
      token: b.token,
      headers: { "x-berth-org": TX },
    });
    expect(rm.status, JSON.stringify(rm.body)).toBe(202);
    // The removal is a job: wait until it has ended, and ended well.
    const job = await until("the removal job", async () => {
      const j = await call(b.url, "GET", `/api/v1/jobs/${rm.body.jobId}`, {
        token: b.token,
        headers: { "x-berth-org": TX },
      });
      return ["succeeded", "failed", "cancelled"].includes(j.body.job?.status) ? j.body.job : undefined;
    });
    expect(job.status, JSON.stringify(job)).toBe("succeeded");
    expect(await servicesNamed(`${TX}_alpha_web`)).toEqual([]);
    const [still] = await servicesNamed(`${T}_x-alpha_web`);
    expect(still.Version.Index).toBe(ofT.Version.Index);
  });
});

describe("objects under a stack's name that are not the stack's", () => {
  const squat = async (name: string, labels: Record<string, string>) => {
    const created: any = await d.createService({
      Name: name,
      Labels: labels,
      TaskTemplate: { ContainerSpec: { Image: "local/httpd:1", Env: ["MINE=1"] } },
      Mode: { Replicated: { Replicas: 0 } },
    } as any);
    squatters.push({ kind: "service", id: created.id });
    return created.id as string;
  };

  it.each([
    ["not Berth's", {}],
    [
      "another installation's",
      { "berth.managed": "true", "berth.instance": "elsewhere", "berth.org": "T", "berth.stack": "s" },
    ],
  ])("refuses to deploy over a service that is %s, with a conflict that names no owner", async (_n, raw) => {
    const stack = `sq${squatters.length}`;
    const labels = Object.fromEntries(
      Object.entries(raw).map(([k, v]) => [k, v === "T" ? T : v === "s" ? stack : v]),
    );
    const id = await squat(`${T}_${stack}_web`, labels);
    const before = await d.getService(id).inspect();
    const r = await deploy(T, stack, { OWNER: "A" });
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body.error.message).toContain(`a service named '${T}_${stack}_web' already exists`);
    expect(r.body.error.message).not.toMatch(/elsewhere/);
    const after = await d.getService(id).inspect();
    expect(after.Version.Index).toBe(before.Version.Index);
    expect(after.Spec.TaskTemplate.ContainerSpec.Env).toEqual(["MINE=1"]);
    // Nothing was recorded: the stack does not exist, so there is nothing to remove either.
    const gone = await call(b.url, "DELETE", `/api/v1/stacks/${stack}`, {
      token: b.token,
      headers: { "x-berth-org": T },
    });
    expect(gone.status).toBe(404);
    expect((await d.getService(id).inspect()).ID).toBe(id);
    // The reconciler leaves it alone too.
    const drift = await b.cli(["--org", T, "drift", "--repair", "--json"]);
    expect(drift.code, drift.stderr).toBe(0);
    expect((await d.getService(id).inspect()).Version.Index).toBe(before.Version.Index);
  });

  it("refuses to mount a volume of that name that is not the stack's", async () => {
    const name = `${T}_vol_data`;
    await d.createVolume({ Name: name, Labels: { owner: "someone" } });
    squatters.push({ kind: "volume", id: name });
    const r = await call(b.url, "POST", "/api/v1/stacks/deploy", {
      token: b.token,
      headers: { "x-berth-org": T },
      body: {
        name: "vol",
        compose: {
          services: { web: { image: "local/httpd:1", volumes: ["data:/data"] } },
          volumes: { data: {} },
        },
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body.error.message).toContain(`a volume named '${name}' already exists`);
    expect(await servicesNamed(`${T}_vol_web`)).toEqual([]);
  });
});
