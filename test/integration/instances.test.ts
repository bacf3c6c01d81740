// Templates and customer instances on the real swarm: ten instances of one template (the README's
// example), each with its own database on the shared PostgreSQL server; distinct files on each volume
// and distinct rows in each database, all backed up, destroyed, restored byte for byte (compared by
// checksum); a tampered archive refused with the target untouched; suspend and resume through the
// real proxy; an upgrade that keeps the data; a version whose health check fails rolled back with the
// instance still on its version and saying why; bad input refused with nothing created; removal
// drops the instance's database after its final backup.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose text with ${var} references is the subject here
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, freePort, ROOT, startBerth, type TestBerth, until } from "../helpers/berth.js";

const d = docker();
const tag = Date.now().toString(36).slice(-4);
const TEMPLATE = `app${tag}`;
const NAMES = [..."abcdefghij"].map((x) => `i${x}${tag}`);
const host = (n: string) => `${n}.customers.test`;
const V1 = readFileSync(join(ROOT, "examples/customer-app/template.yml"), "utf8");
let b: TestBerth;
let httpPort: number;
let dir: string;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function cli(args: string[]) {
  const r = await b.cli(args);
  return { ...r, json: () => JSON.parse(r.stdout) };
}

function get(hostname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: httpPort,
        path: "/",
        headers: { host: hostname },
        agent: false,
        timeout: 5000,
      },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** The instance's web service on Swarm (found by Berth's labels). */
async function service(name: string): Promise<any> {
  const all: any[] = await (d.listServices as any)({
    filters: { label: [`berth.instance=${b.instance}`, `berth.stack=${name}`] },
  });
  return all[0];
}

/** Runs a shell line in the instance's running container. */
async function sh(name: string, line: string): Promise<string> {
  const id = await until(`a running container of ${name}`, async () => {
    const s = await service(name);
    const [c] = await d.listContainers({
      filters: { label: [`com.docker.swarm.service.id=${s.ID}`], status: ["running"] },
    });
    return c?.Id;
  });
  return execFileSync("docker", ["exec", id, "sh", "-c", line], { encoding: "utf8" }).trim();
}

const checksum = (name: string) => sh(name, "cat /www/data/* | sha256sum");

/** SQL in the shared server's container, as the instance's own role (the URL from its app's secret). */
async function psql(name: string, sql: string): Promise<string> {
  const url = new URL(await sh(name, "cat /run/secrets/DATABASE_URL"));
  url.hostname = "127.0.0.1";
  const server = `berth-system-${b.instance}_postgres_postgres`;
  const [c] = await d.listContainers({
    filters: { label: [`com.docker.swarm.service.name=${server}`], status: ["running"] },
  });
  const args = ["exec", c!.Id, "psql", url.toString(), "-v", "ON_ERROR_STOP=1", "-At", "-c", sql];
  return execFileSync("docker", args, { encoding: "utf8" }).trim();
}

const ROWS = "select count(*) || ':' || md5(coalesce(string_agg(t::text, ',' order by id), '')) from items t";

async function instance(name: string) {
  return (await b.api("GET", `/api/v1/instances/${name}`)).body.instance;
}

beforeAll(async () => {
  httpPort = await freePort();
  b = await startBerth({
    BERTH_HTTP_PORT: String(httpPort),
    BERTH_HTTPS_PORT: String(await freePort()),
    BERTH_PROXY_IMAGE: "local/caddy:2",
    BERTH_BACKUP_HELPER_IMAGE: "local/httpd:1",
    BERTH_POSTGRES_IMAGE: "local/postgres:15",
    BERTH_POSTGRES_PORT: String(await freePort()),
    // A SaaS operator's instances all live in one organization: four deploys of it at a time.
    BERTH_DEPLOY_CONCURRENCY_PER_ORG: "4",
  });
  dir = mkdtempSync(join(tmpdir(), "berth-instances-"));
}, 120_000);

afterAll(async () => {
  await b?.stop();
});

describe("templates and instances", () => {
  const sums: Record<string, string> = {};

  it("adds a template (versions kept) and refuses a file that uses an undeclared variable", async () => {
    const added = await cli(["template", "add", "-f", file("v1.yml", V1), "--name", TEMPLATE, "--json"]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.json().template.version).toBe(1);
    const bad = await cli([
      "template",
      "add",
      "-f",
      file("bad.yml", V1.replace("(${plan})", "(${tier})")),
      "--name",
      TEMPLATE,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("uses ${tier}, which is not declared under x-berth-template.variables");
    // A schedule no instance could keep is refused here, not at each instance's creation.
    const cron = await cli([
      ...["template", "add", "-f", file("cron.yml", V1.replace('cron: "0 3 * * *"', 'cron: "0 99 * * *"'))],
      ...["--name", TEMPLATE],
    ]);
    expect(cron.code).toBe(2);
    expect(cron.stderr).toContain("x-berth-template.backup.cron: is not a cron expression");
    const ls = (await cli(["template", "ls", "--json"])).json();
    expect(ls.templates).toEqual([expect.objectContaining({ name: TEMPLATE, latest: 1, versions: 1 })]);
  });

  it("creates ten instances, each one job: database made, deployed, routed, labelled, scheduled, secrets sealed", async () => {
    const made = await Promise.all(
      NAMES.map((n) =>
        cli(["instance", "create", TEMPLATE, "--name", n, "--set", `domain=${host(n)}`, "--json"]),
      ),
    );
    for (const r of made) expect(r.code, r.stderr + r.stdout).toBe(0);
    for (const n of NAMES) {
      const i = await instance(n);
      expect(i).toMatchObject({
        state: "running",
        version: 1,
        values: { domain: host(n), plan: "basic" },
        secrets: ["admin_password"],
      });
      expect(JSON.stringify(i)).not.toMatch(/"admin_password":"/);
      const s = await service(n);
      expect(s.Spec.Labels).toMatchObject({
        "berth.template": TEMPLATE,
        "berth.template.version": "1",
        "berth.template.instance": n,
      });
      // The generated password reaches the container as a Docker secret, never as env.
      expect(JSON.stringify(s.Spec.TaskTemplate.ContainerSpec.Env ?? [])).not.toContain("admin_password");
      expect((await sh(n, "wc -c < /run/secrets/admin_password")).trim()).toBe("32");
      // Its own database: the role's credentials only as a secret, the name in PG* env.
      expect(s.Spec.TaskTemplate.ContainerSpec.Env).toContain(`PGDATABASE=default_${n}-main`);
      expect(await psql(n, "select current_user || '@' || current_database()")).toBe(
        `default_${n}-main@default_${n}-main`,
      );
    }
    const dbs = (await b.api("GET", "/api/v1/databases")).body.databases;
    for (const n of NAMES) {
      expect(dbs).toContainEqual(
        expect.objectContaining({ name: `${n}-main`, status: "ready", instance: n }),
      );
    }
    const all = (await b.api("GET", "/api/v1/backup-schedules")).body.schedules;
    expect(all.map((s: any) => s.stack).sort()).toEqual([...NAMES].sort());
    // The template's retention: keep_last 7, keep_weekly 4.
    for (const s of all)
      expect(s).toMatchObject({ cron: "0 3 * * *", keepLast: 7, keepDaily: 0, keepWeekly: 4 });
    await until("each instance's route answers", async () => {
      for (const n of NAMES) if ((await get(host(n))).status !== 200) return undefined;
      return true;
    });
  }, 240_000);

  const rows: Record<string, string> = {};

  it("backs up each volume and database, and restores every byte after the data is destroyed", async () => {
    await Promise.all(
      NAMES.map(async (n) => {
        await sh(n, `head -c 200000 /dev/urandom > /www/data/blob && echo ${n} > /www/data/owner`);
        sums[n] = await checksum(n);
        await psql(
          n,
          `create table items (id int primary key, body text); insert into items select g, md5('${n}' || g) from generate_series(1, 3000) g`,
        );
        rows[n] = await psql(n, ROWS);
      }),
    );
    expect(new Set(Object.values(sums)).size).toBe(NAMES.length);
    expect(new Set(Object.values(rows)).size).toBe(NAMES.length);
    // Through the API (a CLI start costs seconds here); `backup create` is the same request.
    const made = await Promise.all(NAMES.map((n) => b.api("POST", "/api/v1/backups", { stack: n })));
    for (const r of made) expect(r.status, JSON.stringify(r.body)).toBe(202);
    const ids = made.flatMap((r) => r.body.backups.map((x: any) => x.id as string));
    expect(made.map((r) => r.body.backups.map((x: any) => `${x.kind}:${x.volume}`).sort())).toEqual(
      NAMES.map((n) => [`database:${n}-main`, "volume:data"]),
    );
    await until(
      "every backup done",
      async () => {
        const all = (await b.api("GET", "/api/v1/backups")).body.backups.filter((x: any) =>
          ids.includes(x.id),
        );
        return all.every((x: any) => x.status === "succeeded") ? true : undefined;
      },
      180_000,
    );
    await Promise.all(
      NAMES.map(async (n) => {
        await sh(n, "rm -f /www/data/*");
        await psql(n, "drop table items");
      }),
    );
    for (const n of NAMES) expect(await sh(n, "ls /www/data | wc -l")).toBe("0");
    const restored = await Promise.all(ids.map((id) => b.api("POST", `/api/v1/backups/${id}/restore`, {})));
    for (const r of restored) expect(r.status, JSON.stringify(r.body)).toBe(202);
    const jobs = restored.map((r) => r.body.jobId as string);
    await until(
      "every restore done",
      async () => {
        const st = await Promise.all(
          jobs.map(async (j) => (await b.api("GET", `/api/v1/jobs/${j}`)).body.job),
        );
        const bad = st.find((j: any) => j.status === "failed" || j.status === "cancelled");
        if (bad) throw new Error(`restore job ${bad.id} ${bad.status}: ${bad.error}`);
        return st.every((j: any) => j.status === "succeeded") ? true : undefined;
      },
      240_000,
    );
    for (const n of NAMES) {
      expect(await checksum(n)).toBe(sums[n]);
      expect(await sh(n, "cat /www/data/owner")).toBe(n);
      expect(await psql(n, ROWS)).toBe(rows[n]);
    }

    // A tampered archive is refused before anything is touched.
    const n = NAMES[9]!;
    const dbBackup = made[9]!.body.backups.find((x: any) => x.kind === "database");
    const stored = (await b.api("GET", `/api/v1/backups/${dbBackup.id}`)).body.backup;
    const path = join(b.dataDir, "backups", stored.location);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(path, bytes);
    await psql(n, "insert into items values (999999, 'after the backup')");
    const after = await psql(n, ROWS);
    const refused = await cli(["backup", "restore", dbBackup.id]);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(/corrupt|checksum/);
    expect(await psql(n, ROWS)).toBe(after);
  }, 480_000);

  it("restores an instance's newest backup set into it, and into a copy", async () => {
    const n = NAMES[3]!;
    const copy = `copy${tag}`;
    await sh(n, "rm -f /www/data/*");
    await psql(n, "drop table items");
    const r = await cli(["instance", "restore", n]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/restoring volume data from backup/);
    expect(await instance(n)).toMatchObject({ state: "running", lastError: null });
    expect(await checksum(n)).toBe(sums[n]);
    expect(await psql(n, ROWS)).toBe(rows[n]);

    const c = await cli(["instance", "restore", n, "--into", copy, "--set", `domain=${host(copy)}`]);
    expect(c.code, c.stderr + c.stdout).toBe(0);
    expect(await instance(copy)).toMatchObject({ state: "running", values: { domain: host(copy) } });
    expect(await checksum(copy)).toBe(sums[n]);
    expect(await psql(copy, ROWS)).toBe(rows[n]);
    expect(await psql(copy, "select current_user")).toBe(`default_${copy}-main`);
    // The data was made with the source's generated secrets: the copy has them too.
    const secret = "cat /run/secrets/admin_password";
    expect(await sh(copy, secret)).toBe(await sh(n, secret));
    const bad = await b.api("POST", `/api/v1/instances/${n}/restore`, { into: NAMES[4] });
    expect(bad.status).toBe(409);
    expect((await cli(["instance", "rm", copy, "--no-final-backup"])).code).toBe(0);
  }, 240_000);

  // The two flows touch different instances: they run side by side.
  it("suspends and resumes one instance while another upgrades", async () => {
    await Promise.all([suspendResume(NAMES[1]!), upgrades(NAMES[0]!)]);
  }, 300_000);

  async function suspendResume(n: string) {
    const r = await cli(["instance", "suspend", n]);
    expect(r.code, r.stderr).toBe(0);
    expect((await instance(n)).state).toBe("suspended");
    expect((await service(n)).Spec.Mode.Replicated.Replicas).toBe(0);
    const page = await until("the suspended notice", async () => {
      const g = await get(host(n));
      return g.status === 503 ? g : undefined;
    });
    expect(page.body).toContain("suspended");
    expect((await get(host(NAMES[0]!))).status).toBe(200);
    const back = await cli(["instance", "resume", n]);
    expect(back.code, back.stderr).toBe(0);
    expect((await instance(n)).state).toBe("running");
    expect((await service(n)).Spec.Mode.Replicated.Replicas).toBe(1);
    await until("the instance answers again", async () =>
      (await get(host(n))).status === 200 ? true : undefined,
    );
    expect(await checksum(n)).toBe(sums[n]);
  }

  /** v1 -> v2 keeps the data; a v3 whose health check fails is rolled back, and the instance says why. */
  async function upgrades(n: string) {
    const v2 = V1.replace("hello from ${domain}", "${greeting} from ${domain}").replace(
      "    admin_password:",
      '    greeting: {default: "welcome"}\n    admin_password:',
    );
    expect((await cli(["template", "add", "-f", file("v2.yml", v2), "--name", TEMPLATE])).code).toBe(0);
    const up = await cli(["instance", "upgrade", n, "--to", "2"]);
    expect(up.code, up.stderr).toBe(0);
    expect(await instance(n)).toMatchObject({ version: 2, values: { greeting: "welcome" }, lastError: null });
    expect((await service(n)).Spec.Labels["berth.template.version"]).toBe("2");
    expect(await checksum(n)).toBe(sums[n]);
    expect(await psql(n, ROWS)).toBe(rows[n]);
    const backups = (await b.api("GET", `/api/v1/backups?stack=${n}`)).body.backups;
    expect(backups.length).toBe(4); // volume and database: the ones above, and the upgrade's own

    const v3 = v2.replace(
      "    secrets: [admin_password]",
      '    secrets: [admin_password]\n    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 1, start_period: 1s}',
    );
    expect((await cli(["template", "add", "-f", file("v3.yml", v3), "--name", TEMPLATE])).code).toBe(0);
    const bad = await cli(["instance", "upgrade", n, "--to", "3"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("rolled back");
    const after = await instance(n);
    expect(after.version).toBe(2);
    expect(after.lastError).toMatch(/upgrade from version 2 to 3 failed, version 2 runs: .*rolled back/);
    expect((await service(n)).Spec.Labels["berth.template.version"]).toBe("2");
    expect(await checksum(n)).toBe(sums[n]);
    expect(await psql(n, ROWS)).toBe(rows[n]);
    expect((await get(host(n))).body).toContain(`welcome from ${host(n)}`);
  }

  it("refuses bad input naming it, creating nothing", async () => {
    const v4 = V1.replace("    admin_password:", "    region: {required: true}\n    admin_password:");
    expect((await cli(["template", "add", "-f", file("v4.yml", v4), "--name", TEMPLATE])).code).toBe(0);
    const since = new Date().toISOString();
    // Jobs come newest first: one queued by these requests would be on the first page.
    const instanceJobs = async () =>
      (await b.api("GET", "/api/v1/jobs")).body.jobs.filter(
        (j: any) => j.type === "instance" && j.createdAt > since,
      ).length;
    // The CLI's exit codes once; the rest through the API (each CLI start costs seconds here).
    const unknown = await cli([
      "instance",
      "create",
      TEMPLATE,
      "--version",
      "1",
      "--name",
      `ix${tag}`,
      "--set",
      "domain=x.customers.test",
      "--set",
      "colour=red",
    ]);
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toContain("set.colour: is not a variable of this template");
    const cases: [Record<string, string>, string][] = [
      [{}, "set.domain: is required"],
      [{ domain: "x.customers.test", plan: "gold" }, "set.plan: 'gold' does not match the pattern basic|pro"],
      [{ domain: "x.customers.test", replicas: "two" }, "set.replicas: must be a whole number"],
      [{ domain: "not a host" }, "set.domain"],
    ];
    for (const [set, message] of cases) {
      const r = await b.api("POST", "/api/v1/instances", {
        template: TEMPLATE,
        version: 1,
        name: `ix${tag}`,
        set,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(JSON.stringify(r.body)).toContain(message);
    }
    const taken = await cli([
      "instance",
      "create",
      TEMPLATE,
      "--version",
      "1",
      "--name",
      NAMES[2]!,
      "--set",
      "domain=y.customers.test",
    ]);
    expect(taken.code).toBe(4);
    expect(taken.stderr).toContain(`an instance named '${NAMES[2]}' exists already`);
    const required = await b.api("POST", `/api/v1/instances/${NAMES[2]}/upgrade`, { to: 4 });
    expect(required.status).toBe(409);
    expect(required.body.error.message).toContain("requires variable 'region', which has no default");
    expect(await instanceJobs()).toBe(0);
    expect((await b.api("GET", "/api/v1/instances")).body.instances.map((i: any) => i.name)).toEqual(
      [...NAMES].sort(),
    );
    expect(await service(`ix${tag}`)).toBeUndefined();
    expect((await b.api("GET", `/api/v1/stacks`)).body.stacks.map((s: any) => s.name)).not.toContain(
      `ix${tag}`,
    );
  });

  it("keeps templates and instances to their organization", async () => {
    const other = `o${tag}`;
    expect((await b.api("POST", "/api/v1/orgs", { slug: other })).status).toBe(201);
    const as = { "x-berth-org": other };
    expect((await b.api("GET", "/api/v1/templates", undefined, as)).body.templates).toEqual([]);
    expect((await b.api("GET", "/api/v1/instances", undefined, as)).body.instances).toEqual([]);
    expect((await b.api("GET", `/api/v1/instances/${NAMES[0]}`, undefined, as)).status).toBe(404);
    expect((await b.api("POST", `/api/v1/instances/${NAMES[0]}/stop`, undefined, as)).status).toBe(404);
    const create = await b.api(
      "POST",
      "/api/v1/instances",
      { template: TEMPLATE, name: `ix${tag}`, set: {} },
      as,
    );
    expect(create.status).toBe(404);
  });

  it("removes an instance after a final backup; its backups stay", async () => {
    const n = NAMES[2]!;
    const before = (await b.api("GET", `/api/v1/backups?stack=${n}`)).body.backups.length;
    const r = await cli(["instance", "rm", n]);
    expect(r.code, r.stderr).toBe(0);
    expect((await b.api("GET", `/api/v1/instances/${n}`)).status).toBe(404);
    expect(await service(n)).toBeUndefined();
    expect((await b.api("GET", `/api/v1/backups?stack=${n}`)).body.backups.length).toBe(before + 2);
    const dbs = (await b.api("GET", "/api/v1/databases")).body.databases.map((x: any) => x.name);
    expect(dbs).not.toContain(`${n}-main`);
    expect(dbs).toContain(`${NAMES[0]}-main`);
  }, 120_000);
});
