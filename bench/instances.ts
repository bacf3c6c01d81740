// Customer instances: time to provision N instances of the example template (a web service with a
// volume, a generated secret, a domain, and its own database on the shared PostgreSQL server) through
// Berth (`POST /instances` for all N at once, until every one is `running`), beside the same objects
// made straight through the Engine API and SQL in the same run (a role and database over `psql` in
// the server's container, two secrets, a volume, an overlay network for the stack (its compose default
// network), the service with the spec Berth gave a warm-up
// instance, until its task runs and is still the same task 5 s later, as `docker service create`
// verifies a new service; Berth watches its tasks for the same 5 s), at the concurrency Berth's
// instance jobs have per organization. The baseline leaves out the route (a proxy sync per instance).
// Then one instance's database with SIZE_MB of rows: `berth backup create --db` / `backup restore`
// (whole CLI commands: job, sha256, encryption when on, the restore's check first) beside `pg_dump -Fc`
// / `pg_restore --clean` of the same database in the server's container, in MB/s. Volume throughput
// beside `tar` is bench/backup.ts.
// Usage: tsx bench/instances.ts [N,N...] [SIZE_MB]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { freePort, ROOT } from "../test/helpers/berth.js";
import { type BenchBerth, benchBerth, ms, now, table, waitFor } from "./lib.js";

const COUNTS = (process.argv[2] ?? "10,50").split(",").map(Number);
const SIZE_MB = Number(process.argv[3] ?? 200);
/** Instance jobs run as many at a time per organization as its deploys (BERTH_DEPLOY_CONCURRENCY_PER_ORG). */
const PER_ORG = Number(process.env.BERTH_DEPLOY_CONCURRENCY_PER_ORG ?? 2);
const docker = new Docker();
const dir = mkdtempSync(join(tmpdir(), "berth-bench-instances-"));
const tag = Date.now().toString(36).slice(-4);
const BENCH_LABEL = "berth.bench";
/** Swarm's default update monitor: how long `docker service create` watches a new task. */
const MONITOR_MS = 5000;

const b = await benchBerth({
  BERTH_HTTP_PORT: String(await freePort()),
  BERTH_HTTPS_PORT: String(await freePort()),
  BERTH_PROXY_IMAGE: "local/caddy:2",
  BERTH_POSTGRES_IMAGE: "local/postgres:15",
  BERTH_POSTGRES_PORT: String(await freePort()),
  BERTH_BACKUP_HELPER_IMAGE: "local/httpd:1",
  BERTH_DEPLOY_CONCURRENCY_PER_ORG: String(PER_ORG),
});

async function cli(args: string[]): Promise<any> {
  const r = await b.cli([...args, "--json"]);
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const TEMPLATE = `bench${tag}`;
await cli(["template", "add", "-f", join(ROOT, "examples/customer-app/template.yml"), "--name", TEMPLATE]);

async function createAll(names: string[]): Promise<number> {
  const t = now();
  const asked = await Promise.all(
    names.map((name) =>
      b.api("POST", "/api/v1/instances", { template: TEMPLATE, name, set: { domain: `${name}.bench.test` } }),
    ),
  );
  for (const r of asked) if (r.status !== 202) throw new Error(`create refused: ${JSON.stringify(r.body)}`);
  await waitFor(
    `${names.length} instances running`,
    async () => {
      const all = (await b.api("GET", "/api/v1/instances")).body.instances as any[];
      const mine = all.filter((i) => names.includes(i.name));
      const failed = mine.find((i) => i.state === "failed");
      if (failed) throw new Error(`instance ${failed.name} failed: ${failed.lastError}`);
      return mine.length === names.length && mine.every((i) => i.state === "running");
    },
    1_800_000,
  );
  return now() - t;
}

async function removeAll(b: BenchBerth, names: string[]): Promise<void> {
  await Promise.all(names.map((n) => b.api("DELETE", `/api/v1/instances/${n}?finalBackup=false`)));
  await waitFor(
    "instances removed",
    async () => {
      const all = (await b.api("GET", "/api/v1/instances")).body.instances as any[];
      return !all.some((i) => names.includes(i.name));
    },
    1_800_000,
  );
}

/** Runs a command in a container through the Engine's exec API; rejects on a non-zero exit. */
async function execIn(id: string, cmd: string[], o: { stdout?: NodeJS.WritableStream } = {}) {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let err = "";
  const out = o.stdout ?? { write: () => true };
  docker.modem.demuxStream(
    stream,
    out as NodeJS.WritableStream,
    {
      write: (c: Buffer) => {
        err += c.toString();
        return true;
      },
    } as unknown as NodeJS.WritableStream,
  );
  await once(stream, "end");
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`${cmd.join(" ")}: exit ${ExitCode}: ${err.slice(0, 300)}`);
}

const serverName = `berth-system-${b.instance}_postgres_postgres`;
async function serverContainer(): Promise<string> {
  const [c] = await docker.listContainers({
    filters: { label: [`com.docker.swarm.service.name=${serverName}`], status: ["running"] },
  });
  if (!c) throw new Error("no running database server container");
  return c.Id;
}

/** The warm-up instance's own network, replaced by a new one in each raw instance's spec. */
let stackNetwork = "";

/** The same objects as one instance, straight through the Engine API and SQL; resolves once its task runs. */
async function rawInstance(spec: any, name: string): Promise<void> {
  const labels = { [BENCH_LABEL]: tag };
  const server = await serverContainer();
  await execIn(server, [
    "psql",
    "-U",
    "postgres",
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    `create role "${name}" login password 'x${tag}'`,
    "-c",
    `create database "${name}" owner "${name}"`,
  ]);
  const pw = await docker.createSecret({
    Name: `${name}_pw`,
    Labels: labels,
    Data: Buffer.from("p").toString("base64"),
  });
  const url = await docker.createSecret({
    Name: `${name}_url`,
    Labels: labels,
    Data: Buffer.from(`postgres://${name}:x${tag}@tasks.${serverName}:5432/${name}`).toString("base64"),
  });
  await docker.createVolume({ Name: `${name}_data`, Labels: labels });
  // The stack's own network, as Berth makes one for each instance's compose default network.
  const net = await docker.createNetwork({ Name: `${name}_default`, Driver: "overlay", Labels: labels });
  const networks = (spec.TaskTemplate.Networks ?? []).map((n: any) =>
    n.Target === stackNetwork ? { ...n, Target: net.id } : n,
  );
  const c = spec.TaskTemplate.ContainerSpec;
  const svc = await docker.createService({
    ...spec,
    Name: name,
    Labels: labels,
    TaskTemplate: {
      ...spec.TaskTemplate,
      Networks: networks,
      ContainerSpec: {
        ...c,
        Labels: labels,
        Mounts: (c.Mounts ?? []).map((m: any) => ({
          ...m,
          Source: `${name}_data`,
          VolumeOptions: { Labels: labels },
        })),
        Secrets: (c.Secrets ?? []).map((s: any, i: number) => ({
          ...s,
          SecretID: (i === 0 ? pw : url).id,
          SecretName: `${name}_${i === 0 ? "pw" : "url"}`,
        })),
      },
    },
    EndpointSpec: { Mode: spec.EndpointSpec?.Mode ?? "dnsrr" },
  });
  const running = async () => {
    const tasks = await docker.listTasks({ filters: { service: [svc.id as string] } });
    return tasks.filter((t: any) => t.Status.State === "running").map((t: any) => t.ID as string);
  };
  const first = await waitFor(`${name} running`, async () => {
    const ids = await running();
    return ids.length ? ids : undefined;
  });
  // Verified as `docker service create` verifies a new service: the same task still runs 5 s later.
  await new Promise((r) => setTimeout(r, MONITOR_MS));
  if (!(await running()).includes(first[0]!)) throw new Error(`${name}: its task did not stay up`);
}

async function rawAll(spec: any, names: string[]): Promise<number> {
  const t = now();
  const queue = [...names];
  await Promise.all(
    Array.from({ length: PER_ORG }, async () => {
      for (let n = queue.shift(); n; n = queue.shift()) await rawInstance(spec, n);
    }),
  );
  return now() - t;
}

async function cleanRaw(): Promise<void> {
  const label = { label: [`${BENCH_LABEL}=${tag}`] };
  for (const s of await docker.listServices({ filters: label })) await docker.getService(s.ID).remove();
  await waitFor("raw tasks gone", async () => (await docker.listContainers({ filters: label })).length === 0);
  for (const s of await docker.listSecrets({ filters: label })) await docker.getSecret(s.ID).remove();
  for (const n of await docker.listNetworks({ filters: label })) await docker.getNetwork(n.Id).remove();
  const vols = (await docker.listVolumes({ filters: label })).Volumes ?? [];
  for (const v of vols)
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => {});
  const server = await serverContainer();
  const dbs = await listRawDbs(server);
  for (const d of dbs)
    await execIn(server, ["psql", "-U", "postgres", "-c", `drop database "${d}"`, "-c", `drop role "${d}"`]);
}

async function listRawDbs(server: string): Promise<string[]> {
  let out = "";
  await execIn(
    server,
    [
      "psql",
      "-U",
      "postgres",
      "-At",
      "-c",
      `select datname from pg_database where datname like 'raw${tag}%'`,
    ],
    {
      stdout: {
        write: (c: Buffer) => {
          out += c.toString();
          return true;
        },
      } as unknown as NodeJS.WritableStream,
    },
  );
  return out.split("\n").filter(Boolean);
}

const rows: (string | number)[][] = [["N", "berth", "per instance", "Engine API + SQL", "ratio"]];
try {
  // Warm-up: the proxy and the database server are deployed by the first instance.
  const warm = `w${tag}`;
  const warmMs = await createAll([warm]);
  const [svc] = await docker.listServices({
    filters: { label: [`berth.instance=${b.instance}`, `berth.stack=${warm}`] },
  });
  const spec = (svc as any).Spec;
  // The warm-up stack's own network (its compose default), which each raw instance gets anew.
  const [own] = await docker.listNetworks({
    filters: { label: [`berth.instance=${b.instance}`, `com.docker.stack.namespace=default_${warm}`] },
  });
  if (!own) throw new Error("the warm-up instance has no network of its own");
  stackNetwork = own.Id;
  for (const n of COUNTS) {
    const names = Array.from({ length: n }, (_, i) => `n${n}i${i}${tag}`);
    const berth = await createAll(names);
    await removeAll(b, names);
    const raw = await rawAll(
      spec,
      Array.from({ length: n }, (_, i) => `raw${tag}n${n}i${i}`),
    );
    await cleanRaw();
    rows.push([n, ms(berth), ms(berth / n), ms(raw), `${(berth / raw).toFixed(2)}x`]);
  }
  console.log(`\nprovisioning (warm-up instance, with the proxy and database server: ${ms(warmMs)})`);
  console.log(
    `raw objects made ${PER_ORG} at a time, as Berth's instance jobs run per organization; each verified by a 5 s watch, as Berth's are\n`,
  );
  console.log(table(rows));

  // One database's backup and restore beside pg_dump / pg_restore of the same database.
  const db = `${warm}-main`;
  const pgName = `default_${db}`;
  const server = await serverContainer();
  const rowsNeeded = Math.ceil((SIZE_MB * 1e6) / 140);
  await execIn(server, [
    "psql",
    "-U",
    "postgres",
    "-d",
    pgName,
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    `set role "${pgName}"`,
    "-c",
    `create table filler (id bigint primary key, a text, b text, c text, d text); insert into filler select g, md5(g::text), md5((g+1)::text), md5((g+2)::text), md5((g+3)::text) from generate_series(1, ${rowsNeeded}) g`,
  ]);
  const t1 = now();
  const made = await cli(["backup", "create", "--db", db]);
  const berthDump = now() - t1;
  const size = made.backups[0].sizeBytes as number;
  const t2 = now();
  await cli(["backup", "restore", made.backups[0].id]);
  const berthRestore = now() - t2;
  const file = join(dir, "plain.dump");
  const t3 = now();
  const out = createWriteStream(file);
  await execIn(server, ["pg_dump", "-Fc", "-U", "postgres", pgName], { stdout: out });
  out.end();
  await once(out, "close");
  const plainDump = now() - t3;
  const t4 = now();
  await pgRestore(server, pgName, file);
  const plainRestore = now() - t4;
  const mb = size / 1e6;
  const rate = (t: number) => mb / (t / 1000);
  console.log(
    `\none database, ${SIZE_MB} MB of rows; dump ${mb.toFixed(0)} MB (plain: ${(statSync(file).size / 1e6).toFixed(0)} MB)\n`,
  );
  console.log(
    table([
      ["how", "time", "MB/s", "vs plain"],
      [
        "berth backup create --db",
        ms(berthDump),
        rate(berthDump).toFixed(1),
        `${(rate(berthDump) / rate(plainDump)).toFixed(2)}x`,
      ],
      ["pg_dump -Fc (server's container)", ms(plainDump), rate(plainDump).toFixed(1), "1.00x"],
      [
        "berth backup restore",
        ms(berthRestore),
        rate(berthRestore).toFixed(1),
        `${(rate(berthRestore) / rate(plainRestore)).toFixed(2)}x`,
      ],
      ["pg_restore --clean (server's container)", ms(plainRestore), rate(plainRestore).toFixed(1), "1.00x"],
    ]),
  );
  await removeAll(b, [warm]);
} finally {
  await cleanRaw().catch(() => {});
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** `pg_restore --clean --single-transaction` with the dump on stdin, through `docker exec -i`. */
async function pgRestore(container: string, database: string, file: string): Promise<void> {
  const child = spawn(
    "docker",
    [
      "exec",
      "-i",
      container,
      "pg_restore",
      "--clean",
      "--if-exists",
      "--single-transaction",
      "-U",
      "postgres",
      "-d",
      database,
    ],
    { stdio: ["pipe", "ignore", "inherit"] },
  );
  createReadStream(file).pipe(child.stdin);
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`pg_restore exited ${code}`);
}
