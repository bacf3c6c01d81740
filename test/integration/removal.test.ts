// Work that lasts longer than a request runs as a job on the real swarm: removing a stack and the
// isolation probe answer at once with a job, report progress in its log, and leave their answer in
// the job's result; the CLI follows them like a deploy (or not, with --no-wait). Reading stacks
// writes nothing to the state database.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  docker,
  servicesOfStacks,
  stackPrefix,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";
import { freshPostgres, POSTGRES_URL, type TestDatabase } from "../helpers/databases.js";

const d = docker();
const prefix = stackPrefix("r");
let b: TestBerth;
let db: TestDatabase | undefined;

const deploy = (name: string, extra: object = {}) =>
  b.api("POST", "/api/v1/deployments", { name, image: "local/httpd:1", port: 8080, ...extra });
const job = async (id: string, org?: string) =>
  (await b.api("GET", `/api/v1/jobs/${id}`, undefined, org ? { "x-berth-org": org } : {})).body;

beforeAll(async () => {
  // On PostgreSQL when there is one, so that the test can read the server's write statistics.
  if (POSTGRES_URL) {
    db = await freshPostgres();
    await db.database.close();
  }
  // No drift check during the test: it may queue repairs (writes) whatever the test reads.
  b = await startBerth({
    BERTH_DRIFT_INTERVAL: "3600",
    ...(db ? { DATABASE_URL: (db.target as { url: string }).url } : {}),
  });
});

afterAll(async () => {
  await b?.stop();
  await db?.drop();
});

describe("stack removal as a job", () => {
  it("answers at once with a job that reports progress and the counts; the CLI can leave it running", async () => {
    const name = `${prefix}-a`;
    expect((await b.cli(["deploy", "--image", "local/httpd:1", "--name", name, "--port", "8080"])).code).toBe(
      0,
    );
    const r = await b.cli(["rm", name, "--no-wait", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const { jobId } = JSON.parse(r.stdout);
    const done = await until("the removal to end", async () => {
      const j = await job(jobId);
      return ["succeeded", "failed"].includes(j.job.status) ? j : undefined;
    });
    expect(done.job).toMatchObject({
      type: "stack-remove",
      target: name,
      status: "succeeded",
      progress: 100,
    });
    expect(done.job.result).toMatchObject({ removed: [`default_${name}_${name}`], left: [] });
    const lines = done.logs.map((l: { message: string }) => l.message);
    expect(lines).toContain("1 services removed; waiting for their tasks to stop");
    expect(lines.at(-1)).toMatch(new RegExp(`^removed ${name}: 1 services, 0 networks`));
    expect(await servicesOfStacks(d, name)).toHaveLength(0);
    expect((await b.cli(["rm", name])).code).toBe(3);
  });

  it("stack rm follows the job and prints what it removed", async () => {
    const name = `${prefix}-b`;
    expect((await b.cli(["deploy", "--image", "local/httpd:1", "--name", name, "--port", "8080"])).code).toBe(
      0,
    );
    const r = await b.cli(["stack", "rm", name]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`removing ${name}: removing stack ${name}`);
    expect(r.stdout).toContain(`removed ${name}: 1 services`);
  });

  it("is refused while a deploy of the stack runs, and a deploy is refused while it is removed", async () => {
    const name = `${prefix}-c`;
    expect((await deploy(name)).status).toBe(202);
    const busy = await b.api("DELETE", `/api/v1/stacks/${name}`);
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toMatch(/has a deploy job (queued|running)/);
    await until(
      "the deploy to end",
      async () => (await b.api("GET", `/api/v1/stacks/${name}/status`)).body.job === null,
    );
    const rm = await b.api("DELETE", `/api/v1/stacks/${name}`);
    expect(rm.status, JSON.stringify(rm.body)).toBe(202);
    const again = await deploy(name);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(`stack '${name}' is being removed (job ${rm.body.jobId})`);
    await until("the removal to end", async () => (await job(rm.body.jobId)).job.status === "succeeded");
  });
});

describe("the isolation probe as a job", () => {
  const A = `${prefix}ia`;
  const B = `${prefix}ib`;

  it("answers at once; the CLI follows the job and prints the report", async () => {
    for (const org of [A, B]) expect((await b.api("POST", "/api/v1/orgs", { slug: org })).status).toBe(201);
    const started = Date.now();
    const queued = await b.api("POST", `/api/v1/orgs/${A}/verify-isolation`, { other: B });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    expect(Date.now() - started).toBeLessThan(10_000);
    const ended = await until(
      "the probe to end",
      async () => {
        const j = await job(queued.body.jobId, A);
        return ["succeeded", "failed"].includes(j.job.status) ? j : undefined;
      },
      180_000,
    );
    expect(ended.job).toMatchObject({ type: "verify-isolation", status: "succeeded" });
    expect(ended.job.result).toMatchObject({ orgs: [A, B], isolated: true });
    expect(ended.logs.map((l: { message: string }) => l.message)).toContain(`${A} and ${B} are isolated`);

    const cli = await b.cli(["org", "verify-isolation", A, B]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toContain(`probing ${A} and ${B}: starting a probe server on ${A}'s network`);
    expect(cli.stdout).toContain("isolated");
  }, 360_000);
});

describe("reading stacks", () => {
  it.skipIf(!POSTGRES_URL)("GET /stacks writes nothing to the state database", async () => {
    const name = `${prefix}-d`;
    expect((await b.cli(["deploy", "--image", "local/httpd:1", "--name", name, "--port", "8080"])).code).toBe(
      0,
    );
    const client = new pg.Client({ connectionString: (db!.target as { url: string }).url });
    await client.connect();
    // Rows written to Berth's tables, except those the observer keeps current whatever anyone reads
    // (services, nodes, and its event cursor in settings) and a token's last use (at most once a minute).
    const writes = async () => {
      // A busy backend reports its writes to the statistics within a second; one that went idle
      // (a pooled connection after a job's last write) only after up to 10 s (PostgreSQL 15+).
      await new Promise((r) => setTimeout(r, 11_000));
      const { rows } = await client.query(
        `select relname, n_tup_ins + n_tup_upd + n_tup_del as n from pg_stat_user_tables
          where schemaname = 'public' and relname not in ('services', 'nodes', 'settings', 'api_tokens') order by relname`,
      );
      return Object.fromEntries(rows.map((r) => [r.relname, Number(r.n)]));
    };
    try {
      await b.api("GET", "/api/v1/stacks"); // the token's last use is written now, not below
      // The deploy's job finishes its writes after the CLI returns: measure once every job has ended
      // and the writes have settled.
      await until("every job to end", async () => {
        const jobs = (await b.api("GET", "/api/v1/jobs")).body.jobs as { status: string }[];
        return jobs.every((j) => !["queued", "running"].includes(j.status)) || undefined;
      });
      let before = await writes();
      for (let i = 0; i < 5; i++) {
        const now = await writes();
        if (JSON.stringify(now) === JSON.stringify(before)) break;
        before = now;
      }
      for (let i = 0; i < 5; i++) {
        const r = await b.api("GET", "/api/v1/stacks");
        expect(r.status).toBe(200);
        expect(r.body.stacks.map((s: { name: string }) => s.name)).toContain(name);
      }
      expect(await writes()).toEqual(before);
      // The measure can see a write: a deployment changes it.
      const again = ["deploy", "--image", "local/httpd:1", "--name", name, "--port", "8080", "-e", "A=1"];
      expect((await b.cli([...again, "--no-wait"])).code).toBe(0);
      expect(await writes()).not.toEqual(before);
    } finally {
      await client.end();
    }
  });
});
