// Managed PostgreSQL on the real swarm: `db create` deploys the shared server (a system stack, the
// superuser password only as a Docker secret) and makes a database and role; an app attached with
// `x-berth-databases` writes rows through its DATABASE_URL secret over its organization's network; a
// pg_dump backup (encrypted), the rows destroyed, a restore brings back the same table (compared by
// checksum), also into a second database of the organization; a tampered archive is refused with
// the database untouched; another organization's credentials cannot reach the first one's database;
// `db rm` takes a final backup first.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, docker, freePort, stackPrefix, startBerth, type TestBerth, until } from "../helpers/berth.js";

const d = docker();
const app = `${stackPrefix("d")}-app`;
const OTHER = `db${Date.now().toString(36).slice(-5)}`;
const dir = mkdtempSync(join(tmpdir(), "berth-db-"));
let b: TestBerth;
let otherToken = "";

const compose = `services:
  app:
    image: local/postgres:15
    entrypoint: ["sleep", "infinity"]
    x-berth-databases: [main, copy]
`;

beforeAll(async () => {
  firstServerPort = await freePort();
  b = await startBerth({
    BERTH_POSTGRES_IMAGE: "local/postgres:15",
    BERTH_POSTGRES_PORT: String(firstServerPort),
    BERTH_BACKUP_ENCRYPT: "on",
  });
}, 120_000);

afterAll(async () => {
  await b?.stop();
});

/** Runs `cmd` in the running task of the stack's `app` service; returns exit code and output. */
async function inApp(org: string, stack: string, cmd: string[]): Promise<{ code: number; out: string }> {
  const found = await d.listContainers({
    filters: { label: [`com.docker.swarm.service.name=${org}_${stack}_app`], status: ["running"] },
  });
  expect(found.length).toBeGreaterThan(0);
  const exec = await d.getContainer(found[0]!.Id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let out = "";
  const sink = new PassThrough();
  sink.on("data", (c) => (out += c.toString()));
  d.modem.demuxStream(stream, sink, sink);
  await new Promise((r) => stream.on("end", r));
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, out };
}

/** psql with the app's own DATABASE_URL secret (optionally another database on that server). */
const psql = (org: string, stack: string, sql: string, o: { dbname?: string; secret?: string } = {}) =>
  inApp(org, stack, [
    "sh",
    "-c",
    `url=$(cat /run/secrets/${o.secret ?? "DATABASE_URL"})${o.dbname ? `; url="\${url%/*}/${o.dbname}"` : ""}; psql "$url" -v ON_ERROR_STOP=1 -At -c "$1"`,
    "psql",
    sql,
  ]);

const CHECKSUM =
  "select count(*) || ':' || md5(coalesce(string_agg(t::text, ',' order by id), '')) from items t";

async function deployApp(stack: string, env: NodeJS.ProcessEnv = {}, text = compose): Promise<void> {
  const file = join(dir, `${stack}-${env.BERTH_ORG ?? "default"}.yml`);
  writeFileSync(file, text);
  const r = await b.cli(["stack", "deploy", "-c", file, "--name", stack], env);
  expect(r.code, r.stderr + r.stdout).toBe(0);
}

let serverService: any;
let backupId = "";
let original = "";
let appPassword = "";

describe("managed PostgreSQL", () => {
  it("creates a database on a server it deploys on first use; the superuser password only as a secret", async () => {
    const r = await b.cli(["db", "create", "main", "--json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.database).toMatchObject({
      name: "main",
      status: "ready",
      database: "default_main",
      user: "default_main",
    });
    expect(out.database.host).toMatch(new RegExp(`^tasks\\.berth-system-${b.instance}_postgres_postgres$`));
    const services: any[] = await (d.listServices as any)({
      filters: { label: [`berth.instance=${b.instance}`, "berth.org=berth-system", "berth.stack=postgres"] },
    });
    expect(services).toHaveLength(1);
    serverService = services[0];
    const c = serverService.Spec.TaskTemplate.ContainerSpec;
    expect(c.Env.filter((e: string) => e.startsWith("POSTGRES_PASSWORD="))).toEqual([]);
    expect(c.Env).toContain("POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password");
    expect(c.Secrets.map((s: any) => s.File.Name)).toEqual(["postgres-password"]);
    expect(serverService.Spec.TaskTemplate.Placement.Constraints).toEqual([
      expect.stringMatching(/^node\.id==/),
    ]);
    const ls = JSON.parse((await b.cli(["db", "ls", "--json"])).stdout);
    expect(ls.databases.map((x: any) => [x.name, x.status])).toEqual([["main", "ready"]]);
    const servers = JSON.parse((await b.cli(["db", "server", "ls", "--json"])).stdout);
    expect(servers.servers).toMatchObject([{ name: "main", image: "local/postgres:15", databases: 1 }]);
    // Again: refused, nothing changed.
    const again = await b.cli(["db", "create", "main"]);
    expect(again.code).toBe(4);
    // A second one of the organization: no new server revision (its network is joined already).
    const copy = await b.cli(["db", "create", "copy", "--json"]);
    expect(copy.code, copy.stderr + copy.stdout).toBe(0);
    const [after]: any[] = await (d.listServices as any)({ filters: { id: [serverService.ID] } });
    expect(after.Version.Index).toBe(serverService.Version.Index);
  }, 240_000);

  it("refuses bad names and unknown databases with nothing created", async () => {
    expect((await b.cli(["db", "create", "Bad_Name"])).code).toBe(2);
    expect((await b.api("POST", "/api/v1/databases", { name: "x", extra: 1 })).status).toBe(400);
    const file = join(dir, "nope.yml");
    writeFileSync(file, compose.replace("[main, copy]", "[nope]"));
    const r = await b.cli(["stack", "deploy", "-c", file, "--name", `${app}-nope`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nope");
    expect((await b.cli(["backup", "create", "--db", "nope"])).code).toBe(3);
    expect(JSON.parse((await b.cli(["db", "ls", "--json"])).stdout).databases).toHaveLength(2);
  });

  it("hands the database to an app as a secret and PG* env; the app writes rows over its network", async () => {
    await deployApp(app);
    await until("the app running", async () =>
      (await inApp("default", app, ["true"])).code === 0 ? true : undefined,
    );
    const env = await inApp("default", app, ["env"]);
    expect(env.out).toContain("PGDATABASE=default_main");
    expect(env.out).toContain("PGUSER=default_main");
    expect(env.out).toContain(`PGHOST=tasks.berth-system-${b.instance}_postgres_postgres`);
    const url = (await inApp("default", app, ["cat", "/run/secrets/DATABASE_URL"])).out.trim();
    appPassword = new URL(url).password;
    expect(appPassword).toMatch(/^[0-9a-f]{32}$/);
    expect(env.out).not.toContain(appPassword);
    const w = await psql(
      "default",
      app,
      "create table items (id int primary key, body text); insert into items select g, md5(g::text) from generate_series(1, 2000) g",
    );
    expect(w.code, w.out).toBe(0);
    original = (await psql("default", app, CHECKSUM)).out.trim();
    expect(original).toMatch(/^2000:[0-9a-f]{32}$/);
    // The password is in no log Berth wrote.
    for (const f of ["server.log", "berth.log"]) {
      try {
        expect(readFileSync(join(b.dataDir, f), "utf8")).not.toContain(appPassword);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
  }, 120_000);

  it("backs the database up with pg_dump into the encrypted store, and restores it after the rows are destroyed", async () => {
    const r = await b.cli(["backup", "create", "--db", "main", "--json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const bk = JSON.parse(r.stdout).backups[0];
    expect(bk).toMatchObject({ kind: "database", volume: "main", status: "succeeded", encrypted: true });
    backupId = bk.id;
    const stored = readFileSync(join(b.dataDir, "backups", bk.location));
    expect(stored.length).toBe(bk.sizeBytes);
    expect(stored.subarray(0, 8).toString()).toBe("BERTHAE1");
    expect(stored.includes(Buffer.from("PGDMP"))).toBe(false);

    const x = await psql("default", app, "delete from items where id > 10; update items set body = 'gone'");
    expect(x.code, x.out).toBe(0);
    expect((await psql("default", app, CHECKSUM)).out.trim()).not.toBe(original);

    const rs = await b.cli(["backup", "restore", backupId, "--json"]);
    expect(rs.code, rs.stderr + rs.stdout).toBe(0);
    expect(JSON.parse(rs.stdout).job.status).toBe("succeeded");
    expect((await psql("default", app, CHECKSUM)).out.trim()).toBe(original);
    // The restored table is the tenant role's own.
    expect(
      (await psql("default", app, "select tableowner from pg_tables where tablename = 'items'")).out.trim(),
    ).toBe("default_main");
    // Into another database of the organization: the same table, that database's role's own.
    const into = await b.cli(["backup", "restore", backupId, "--into", "copy", "--json"]);
    expect(into.code, into.stderr + into.stdout).toBe(0);
    const copied = { secret: "DATABASE_URL_COPY" };
    expect((await psql("default", app, CHECKSUM, copied)).out.trim()).toBe(original);
    const owner = "select tableowner from pg_tables where tablename = 'items'";
    expect((await psql("default", app, owner, copied)).out.trim()).toBe("default_copy");
  }, 120_000);

  it("refuses a tampered archive before touching the database", async () => {
    const w = await psql("default", app, "insert into items values (5000, 'after the backup')");
    expect(w.code, w.out).toBe(0);
    const before = (await psql("default", app, CHECKSUM)).out.trim();
    const bk = (await b.api("GET", `/api/v1/backups/${backupId}`)).body.backup;
    const path = join(b.dataDir, "backups", bk.location);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(path, bytes);
    const rs = await b.cli(["backup", "restore", backupId, "--json"]);
    expect(rs.code).toBe(4);
    expect((await b.api("GET", `/api/v1/backups/${backupId}`)).body.backup.status).toBe("corrupt");
    expect((await psql("default", app, CHECKSUM)).out.trim()).toBe(before);
  }, 60_000);

  it("keeps another organization's credentials out of this organization's database", async () => {
    expect((await b.api("POST", "/api/v1/orgs", { slug: OTHER })).status).toBe(201);
    otherToken = (await b.api("POST", `/api/v1/orgs/${OTHER}/tokens`, { name: "admin", role: "admin" })).body
      .token;
    const as = { BERTH_TOKEN: otherToken, BERTH_ORG: OTHER };
    // The same name in another organization is another database and role.
    const r = await b.cli(["db", "create", "main", "--json"], as);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.stdout).database).toMatchObject({ database: `${OTHER}_main`, user: `${OTHER}_main` });
    // The first organization's database is not found from here.
    expect(
      (await call(b.url, "GET", "/api/v1/databases", { token: otherToken })).body.databases,
    ).toHaveLength(1);
    expect(
      (await call(b.url, "POST", "/api/v1/backups", { token: otherToken, body: { database: "nope" } }))
        .status,
    ).toBe(404);
    expect(
      (await call(b.url, "POST", `/api/v1/backups/${backupId}/restore`, { token: otherToken, body: {} }))
        .status,
    ).toBe(404);
    await deployApp(app, as, compose.replace("[main, copy]", "[main]"));
    await until("the other app running", async () =>
      (await inApp(OTHER, app, ["true"])).code === 0 ? true : undefined,
    );
    const own = await psql(OTHER, app, "select count(*) from pg_tables where tablename = 'items'");
    expect(own.code, own.out).toBe(0);
    expect(own.out.trim()).toBe("0");
    for (const dbname of ["default_main", "postgres", "template1"]) {
      const cross = await psql(OTHER, app, "select count(*) from items", { dbname });
      expect(cross.code, `${dbname}: ${cross.out}`).not.toBe(0);
      expect(cross.out).toMatch(/permission denied for database|not permitted/);
    }
    // And the first organization's rows are still there, unread.
    expect((await psql("default", app, "select count(*) from items")).out.trim()).toBe("2001");
  }, 180_000);

  it("removes a database after a final backup, or without one when asked", async () => {
    const r = await b.cli(["db", "rm", "main", "--json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.job.status).toBe("succeeded");
    const final = (await b.api("GET", `/api/v1/backups/${out.backupId}`)).body.backup;
    expect(final).toMatchObject({ kind: "database", volume: "main", status: "succeeded" });
    expect(
      JSON.parse((await b.cli(["db", "ls", "--json"])).stdout).databases.map((x: any) => x.name),
    ).toEqual(["copy"]);
    const gone = await psql("default", app, "select 1");
    expect(gone.code).not.toBe(0);
    const as = { BERTH_TOKEN: otherToken, BERTH_ORG: OTHER };
    const r2 = await b.cli(["db", "rm", "main", "--no-final-backup", "--json"], as);
    expect(r2.code, r2.stderr + r2.stdout).toBe(0);
    expect(JSON.parse(r2.stdout).backupId).toBeUndefined();
    const servers = JSON.parse((await b.cli(["db", "server", "ls", "--json"])).stdout);
    expect(servers.servers).toMatchObject([{ name: "main", databases: 1 }]);
  }, 120_000);

  it("grows by a second server: a new database goes to the one holding the fewest", async () => {
    const port = await freePort();
    const bad = await b.api("POST", "/api/v1/system/db-servers", { name: "Two!", port });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("name");
    const taken = await b.api("POST", "/api/v1/system/db-servers", {
      name: "two",
      port: servers0().port,
    });
    expect(taken.status).toBe(409);
    const add = await b.cli(["db", "server", "add", "two", "--port", String(port), "--json"]);
    expect(add.code, add.stderr).toBe(0);
    const made = await b.cli(["db", "create", "spread", "--json"]);
    expect(made.code, made.stderr + made.stdout).toBe(0);
    expect(JSON.parse(made.stdout).database).toMatchObject({
      name: "spread",
      status: "ready",
      server: "two",
    });
    const listed = JSON.parse((await b.cli(["db", "server", "ls", "--json"])).stdout).servers;
    expect(listed).toMatchObject([
      { name: "main", databases: 1 },
      { name: "two", databases: 1, port },
    ]);
    // Its own system stack, listed for platform admins.
    const ps = JSON.parse((await b.cli(["system", "ps", "--json"])).stdout);
    expect(JSON.stringify(ps)).toContain("postgres-two");
    const rm = await b.cli(["db", "rm", "spread", "--no-final-backup", "--json"]);
    expect(rm.code, rm.stderr + rm.stdout).toBe(0);
  }, 120_000);
});

let firstServerPort = 0;
const servers0 = () => ({ port: firstServerPort });
