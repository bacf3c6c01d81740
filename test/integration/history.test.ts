// History and rollback on the real swarm: revisions listed newest first with the live one marked,
// diffs between revisions (env keys, never secret values), rollback as a new revision replaying an
// old one's input (host port decided afresh, which keeps the one the service has), retention of old
// revisions, bad input refused by the CLI and by the API, and a compose stack rolled back with its
// removed service and its old secret.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  deployHttpd,
  docker,
  servicesOfStacks,
  stackPrefix,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";

const d = docker();
const prefix = stackPrefix("h");
const web = `${prefix}-web`;
const shop = `${prefix}-shop`;
const dir = mkdtempSync(join(tmpdir(), "berth-history-"));
let b: TestBerth;
/** The URL the single app answered on first. */
let firstUrl: string;

beforeAll(async () => {
  // Three revisions per stack are kept: the fourth deployment of `web` prunes its first.
  b = await startBerth({ BERTH_REVISION_HISTORY: "3" });
});

afterAll(async () => {
  await b?.stop();
});

async function envOf(stack: string, service: string): Promise<string[]> {
  const svc = (await servicesOfStacks(d, stack)).find((s) => s.Spec.Labels["berth.service"] === service);
  return svc?.Spec.TaskTemplate.ContainerSpec.Env ?? [];
}

async function answers(url: string, text: string): Promise<string> {
  return until(`${url} to answer ${text}`, async () => {
    const body = (await (await fetch(url)).text()).trim();
    return body === text ? body : undefined;
  });
}

describe("history, diff and rollback of a single app", () => {
  it("lists revisions newest first with the live one marked", async () => {
    const one = await deployHttpd(b, web, { message: "one" });
    expect(one.code, one.stderr).toBe(0);
    firstUrl = JSON.parse(one.stdout).urls[0];
    expect((await deployHttpd(b, web, { message: "two" })).code).toBe(0);

    const r = await b.cli(["history", web, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const h = JSON.parse(r.stdout);
    expect(h).toMatchObject({ stack: web, live: 2 });
    expect(h.revisions).toHaveLength(2);
    expect(h.revisions[0]).toMatchObject({
      revision: 2,
      status: "succeeded",
      live: true,
      rollbackOf: null,
      images: { [web]: "local/httpd:1" },
    });
    expect(h.revisions[0].requestedBy).toBeTruthy();
    expect(h.revisions[0].finishedAt).toBeTruthy();
    expect(h.revisions[1]).toMatchObject({ revision: 1, status: "succeeded", live: false });

    const human = await b.cli(["history", web]);
    expect(human.stdout.split("\n")[0]).toMatch(/^REV\s+STATUS\s+WHEN\s+BY\s+IMAGE\s+REASON$/);
    expect(human.stdout).toMatch(/\n2 \(live\)\s+succeeded\s+\S+ ago\s+\S+\s+local\/httpd:1/);
  });

  it("diffs two revisions: env keys, not their values", async () => {
    const r = await b.cli(["diff", web, "1", "2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      stack: web,
      from: 1,
      to: 2,
      services: [{ service: web, change: "changed", fields: [{ field: "env", changed: ["MESSAGE"] }] }],
      objects: [],
    });
    const human = await b.cli(["diff", web, "1"]);
    expect(human.stdout).toBe(`${web}: revision 1 -> 2\n~ ${web}: env ~MESSAGE\n`);
    expect(human.stdout).not.toMatch(/one|two/);
  });

  it("rolls back to the revision before the live one as a new revision, on the same host port", async () => {
    const r = await b.cli(["rollback", web, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.deployment).toMatchObject({ stack: web, revision: 3, status: "succeeded", rollbackOf: 1 });
    expect(await envOf(web, web)).toContain("MESSAGE=one");
    // The host port is Berth's decision, made again: the service keeps the one it has.
    expect(out.urls).toEqual([firstUrl]);
    expect(await answers(out.urls[0], "one")).toBe("one");
    const h = JSON.parse((await b.cli(["history", web, "--json"])).stdout);
    expect(h.live).toBe(3);
    expect(h.revisions[0]).toMatchObject({ revision: 3, rollbackOf: 1, live: true });
  });

  it("refuses an unknown revision (exit 3) and bad input (exit 2), at the CLI and at the API, changing nothing", async () => {
    const missing = await b.cli(["rollback", web, "--to", "99"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`revision '${web} 99' not found`);
    for (const to of ["abc", "0"]) {
      const bad = await b.cli(["rollback", web, "--to", to]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`--to: '${to}' must be a revision number`);
    }
    expect((await b.cli(["diff", web, "one"])).code).toBe(2);
    expect((await b.cli(["history", `${prefix}-nope`])).code).toBe(3);

    const rollback = `/api/v1/stacks/${web}/rollback`;
    for (const body of [{ to: "abc" }, { to: 0 }, { to: 1.5 }, { to: 1, force: true }]) {
      const res = await b.api("POST", rollback, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_input");
    }
    const badDiff = await b.api("GET", `/api/v1/stacks/${web}/diff?from=abc`);
    expect(badDiff.status).toBe(400);
    expect(badDiff.body.error.message).toBe("from: must be a revision number (1, 2, 3, ...)");
    expect((await b.api("GET", `/api/v1/stacks/${web}/diff?from=99`)).status).toBe(404);

    const h = JSON.parse((await b.cli(["history", web, "--json"])).stdout);
    expect(h.revisions.map((r: any) => r.revision)).toEqual([3, 2, 1]);
  });

  it("answers a retried rollback with the same deployment, and prunes revisions beyond the history kept", async () => {
    const key = { "idempotency-key": `${prefix}-rollback` };
    const first = await call(b.url, "POST", `/api/v1/stacks/${web}/rollback`, {
      token: b.token,
      headers: key,
    });
    expect(first.status, first.text).toBe(202);
    // The revision before the live one (3) that succeeded: 2.
    expect(first.body.deployment).toMatchObject({ revision: 4, rollbackOf: 2 });
    const again = await call(b.url, "POST", `/api/v1/stacks/${web}/rollback`, {
      token: b.token,
      headers: key,
    });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replay")).toBe("true");
    expect(again.body.deployment.id).toBe(first.body.deployment.id);
    const done = await until("the rollback to finish", async () => {
      const r = await b.api("GET", `/api/v1/deployments/${first.body.deployment.id}`);
      return r.body.deployment.status === "pending" || r.body.deployment.status === "running"
        ? undefined
        : r.body.deployment;
    });
    expect(done.status).toBe("succeeded");
    expect(await envOf(web, web)).toContain("MESSAGE=two");
    expect(await answers(firstUrl, "two")).toBe("two");
    const h = JSON.parse((await b.cli(["history", web, "--json"])).stdout);
    expect(h.revisions.map((r: any) => r.revision)).toEqual([4, 3, 2]);
  });

  it("declares the routes with their roles in the OpenAPI document", async () => {
    const doc = (await call(b.url, "GET", "/api/v1/openapi.json")).body;
    expect(doc.paths["/api/v1/stacks/{name}/history"].get["x-berth-access"]).toBe("viewer");
    expect(doc.paths["/api/v1/stacks/{name}/diff"].get["x-berth-access"]).toBe("viewer");
    expect(doc.paths["/api/v1/stacks/{name}/rollback"].post["x-berth-access"]).toBe("deployer");
  });
});

describe("rollback of a compose stack", () => {
  const file = (f: string, text: string) => {
    writeFileSync(join(dir, f), text);
    return join(dir, f);
  };
  const compose = (message: string, worker: boolean) => `services:
  web:
    image: local/httpd:1
    environment:
      MESSAGE: ${message}
    secrets: [token]
${worker ? "  worker:\n    image: local/httpd:1\n" : ""}secrets:
  token:
    file: ./token.txt
`;

  it("replays the old input: the removed service and the old secret come back", async () => {
    file("token.txt", "first-s3cret");
    const v1 = await b.cli(["stack", "deploy", "-c", file("v1.yml", compose("c1", true)), "--name", shop]);
    expect(v1.code, v1.stderr).toBe(0);
    // One revision: nothing to roll back to.
    const none = await b.cli(["rollback", shop]);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain("no succeeded revision before the live one (1)");

    file("token.txt", "second-s3cret");
    const v2 = await b.cli(["stack", "deploy", "-c", file("v2.yml", compose("c2", false)), "--name", shop]);
    expect(v2.code, v2.stderr).toBe(0);
    expect((await servicesOfStacks(d, shop)).map((s) => s.Spec.Labels["berth.service"])).toEqual(["web"]);

    const diff = await b.cli(["diff", shop, "1", "2"]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout.trim().split("\n").slice(1)).toEqual([
      "~ web: env ~MESSAGE",
      "- worker",
      "~ [stack] secrets ~token",
    ]);
    expect(diff.stdout).not.toContain("s3cret");

    const r = await b.cli(["rollback", shop, "--to", "1"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${shop} revision 3 (rollback of 1) succeeded`);
    const services = (await servicesOfStacks(d, shop)).map((s) => s.Spec.Labels["berth.service"]).sort();
    expect(services).toEqual(["web", "worker"]);
    expect(await envOf(shop, "web")).toContain("MESSAGE=c1");
    // The secret the service gets is the first one again, opened from the sealed input.
    const [svc] = (await servicesOfStacks(d, shop)).filter((s) => s.Spec.Labels["berth.service"] === "web");
    const secretId = svc.Spec.TaskTemplate.ContainerSpec.Secrets[0].SecretID;
    const task = await until("a running task of web", async () => {
      const tasks: any[] = await d.listTasks({
        filters: { service: [svc.ID], "desired-state": ["running"] },
      });
      return tasks.find((t) => t.Status.State === "running" && t.Status.ContainerStatus?.ContainerID);
    });
    const exec = await d.getContainer(task.Status.ContainerStatus.ContainerID).exec({
      Cmd: ["cat", "/run/secrets/token"],
      AttachStdout: true,
    });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toContain("first-s3cret");
    expect(secretId).toBeTruthy();
  });
});

describe("what the database keeps", () => {
  it("stores each revision's input without Berth's host ports, and no secret in the clear", async () => {
    expect((await b.cli(["down"])).code).toBe(0);
    const db = await PGlite.create(join(b.dataDir, "pgdata"));
    try {
      const { rows } = await db.query<{ stack: string; revision: number; input: any; spec: any }>(
        `select s.name as stack, d.revision, d.input, d.spec from deployments d
           join stacks s on s.id = d.stack_id where s.name = $1 and d.revision = 3`,
        [web],
      );
      const [row] = rows;
      expect(row!.input.services[0].ports).toEqual([{ target: 8080, protocol: "tcp" }]);
      expect(row!.spec.services[0].ports[0].published).toBe(Number(new URL(firstUrl).port));
      const all = await db.query<{ text: string }>(
        `select input::text || spec::text as text from deployments`,
      );
      for (const r of all.rows) {
        expect(r.text).not.toContain("s3cret");
        expect(r.text).not.toContain(Buffer.from("first-s3cret").toString("base64"));
      }
    } finally {
      await db.close();
    }
  });
});
