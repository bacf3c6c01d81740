// Managed PostgreSQL databases for tenants:
// - the shared server (a system stack, plan/postgres-stack.ts) is made on the first `db create`, like
//   the proxy on the first route; its superuser password is generated once, sealed in `db_servers`;
// - requestCreateDatabase (API request: validate, record `creating`, queue) / runCreateDatabase (job:
//   the server joins the organization's network, deployed and healthy; then the role and database
//   over SQL as the superuser; `ready`);
// - requestRemoveDatabase / runRemoveDatabase (job: a final backup unless declined, then DROP);
// - databaseAccess: what a deployment attaches for `--db` / `x-berth-databases`.
import pg from "pg";
import {
  DB_CREATE_JOB,
  DB_REMOVE_JOB,
  DEFAULT_DB_SERVER,
  POSTGRES_SERVICE,
  pgName,
  postgresStack,
} from "../domain/databases.js";
import { ConfigError, Conflict } from "../domain/errors.js";
import { nameProblem, scopedName, stackNamespace } from "../domain/names.js";
import { SYSTEM_ORG } from "../domain/system.js";
import type { ServerRef } from "../engine/postgres-exec.js";
import type { JobContext } from "../jobs/queue.js";
import {
  CATALOG_LOCK_SQL,
  createDatabaseSql,
  type DatabaseAccess,
  databaseUrl,
  dropDatabaseSql,
  hardenServerSql,
  pickServer,
} from "../plan/database.js";
import {
  POSTGRES_PORT,
  planPostgresStack,
  postgresPlacement,
  postgresPolicy,
} from "../plan/postgres-stack.js";
import { newDbPassword, scramVerifier } from "../security/scram.js";
import {
  type DatabaseRow,
  type DbServerRow,
  deleteDatabase,
  getDatabase,
  getServer,
  insertDatabase,
  insertServer,
  listDatabases,
  listServers,
  orgsOnServer,
  serverNamed,
  serverOrInit,
  setDatabaseStatus,
} from "../store/databases.js";
import { unfinishedJobs } from "../store/jobs.js";
import { orgIdOf } from "../store/stacks.js";
import { dumpDatabase, recordDatabaseBackup } from "./database-backups.js";
import { ensureOrgNetwork, findOrgNetwork } from "./deploy.js";
import type { Platform } from "./platform.js";
import { awaitDeployment, ensureSystemStack } from "./system.js";

export interface PostgresSettings {
  /** The server's image (`BERTH_POSTGRES_IMAGE`). */
  image: string;
  /** Host port (host mode) on the server's node that Berth connects to (`BERTH_POSTGRES_PORT`). */
  hostPort: number;
  /** The address of that node as Berth reaches it (`BERTH_POSTGRES_HOST`). */
  host: string;
  /** `key=value` node label the server is pinned to (`BERTH_POSTGRES_NODE_LABEL`); unset: Berth's node. */
  nodeLabel?: string;
}

/** The server's Swarm service, and who must own its container. */
export function serverRef(p: Platform, server: DbServerRow): ServerRef {
  const stack = postgresStack(server.name);
  return {
    service: scopedName(stackNamespace(SYSTEM_ORG, stack, { instance: p.instanceId }), POSTGRES_SERVICE),
    owner: { instance: p.instanceId, org: SYSTEM_ORG, stack },
  };
}

/** The default server's record, made (with a new sealed superuser password) on first use. */
export async function defaultServer(p: Platform): Promise<DbServerRow> {
  return serverOrInit(p.db, DEFAULT_DB_SERVER, () => ({
    image: p.postgres.image,
    placement: postgresPlacement({
      ...(p.postgres.nodeLabel ? { nodeLabel: p.postgres.nodeLabel } : {}),
      nodeId: p.cluster.nodeId,
    }),
    host: p.postgres.host,
    port: p.postgres.hostPort,
    superuserPassword: p.sealer.seal(Buffer.from(newDbPassword())),
  }));
}

/**
 * The server's system stack, on the networks of exactly the organizations with databases there:
 * deployed when that changed (or never was), and waited for until healthy.
 */
export async function ensureServer(p: Platform, ctx: JobContext, server: DbServerRow): Promise<void> {
  const networks: string[] = [];
  for (const org of await orgsOnServer(p.db, server.id)) {
    await ensureOrgNetwork(p, org);
    const net = await findOrgNetwork(p, org);
    if (net) networks.push(net.name);
  }
  const plain = p.sealer.open(server.superuserPassword);
  const model = planPostgresStack({
    server: server.name,
    image: server.image,
    hostPort: server.port,
    placement: server.placement,
    password: { sealed: server.superuserPassword, digest: p.sealer.digest(plain) },
    orgNetworks: networks,
  });
  const deploying = await ensureSystemStack(p, {
    model,
    policy: postgresPolicy(server.placement),
    requestedBy: ctx.job.requestedBy,
    correlationId: ctx.job.correlationId,
  });
  if (deploying) {
    await ctx.say(
      `database server ${server.name}: deploying system stack revision ${deploying.revision} (${networks.length} networks)`,
    );
    await awaitDeployment(p, deploying.deploymentId, ctx.signal);
  }
}

/** A superuser connection to the server (retried while it starts), closed by the caller. */
export async function superuser(p: Platform, server: DbServerRow, signal?: AbortSignal): Promise<pg.Client> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({
      host: server.host,
      port: server.port,
      user: "postgres",
      database: "postgres",
      password: p.sealer.open(server.superuserPassword).toString(),
      connectionTimeoutMillis: 5000,
    });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline || signal?.aborted) {
        throw new Error(
          `database server ${server.name} (${server.host}:${server.port}): ${(err as Error).message}`,
        );
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** The server a new database goes on: `wanted` by name, else the one with the fewest databases. */
export async function serverForNew(p: Platform, wanted?: string): Promise<DbServerRow> {
  await defaultServer(p);
  if (wanted) return serverNamed(p.db, wanted);
  return pickServer(await listServers(p.db))!;
}

/**
 * Registers another shared server (capacity grows by adding one): recorded with a new sealed
 * superuser password and deployed, as its own system stack, with its first database. Its host port
 * must not be another server's on the same address.
 */
export async function addServer(
  p: Platform,
  o: { name: string; port: number; host?: string; nodeLabel?: string; image?: string },
): Promise<DbServerRow> {
  // Its system stack is `postgres-<name>`, a stack name (at most 24 characters).
  const problem =
    nameProblem("org", o.name) ?? (o.name.length > 15 ? "must be at most 15 characters" : undefined);
  if (problem) throw new ConfigError("name", problem);
  const host = o.host ?? p.postgres.host;
  const taken = (await listServers(p.db)).find((s) => s.host === host && s.port === o.port);
  if (taken) throw new Conflict(`server '${taken.name}' already listens on ${host}:${o.port}`);
  return insertServer(p.db, {
    name: o.name,
    image: o.image ?? p.postgres.image,
    placement: postgresPlacement({
      ...(o.nodeLabel ? { nodeLabel: o.nodeLabel } : {}),
      nodeId: p.cluster.nodeId,
    }),
    host,
    port: o.port,
    superuserPassword: p.sealer.seal(Buffer.from(newDbPassword())),
  });
}

export function checkDatabaseName(name: string, field = "name"): void {
  const problem = nameProblem("stack", name);
  if (problem) throw new ConfigError(field, problem);
}

export async function requestCreateDatabase(
  p: Platform,
  o: { org: string; name: string; server?: string; requestedBy: string; correlationId: string },
): Promise<{ database: DatabaseRow; jobId: string }> {
  checkDatabaseName(o.name);
  const orgId = await orgIdOf(p.db, o.org);
  const existing = await getDatabase(p.db, orgId, o.name).catch(() => undefined);
  if (existing && existing.status !== "failed") {
    throw new Conflict(`database '${o.name}' already exists (${existing.status})`);
  }
  const server = existing ? await getServer(p.db, existing.serverId) : await serverForNew(p, o.server);
  const database =
    existing ??
    (await insertDatabase(p.db, {
      orgId,
      name: o.name,
      serverId: server.id,
      pgName: pgName(o.org, o.name),
      password: p.sealer.seal(Buffer.from(newDbPassword())),
      status: "creating",
    }));
  const job = await p.jobs.enqueue({
    type: DB_CREATE_JOB,
    orgId,
    target: `db:${o.name}`,
    payload: { org: o.org, name: o.name },
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
  });
  await setDatabaseStatus(p.db, orgId, database.id, { status: "creating", error: null, jobId: job.id });
  return { database: { ...database, status: "creating", jobId: job.id }, jobId: job.id };
}

export async function runCreateDatabase(p: Platform, ctx: JobContext): Promise<void> {
  const { org, name } = ctx.job.payload as { org: string; name: string };
  const orgId = await orgIdOf(p.db, org);
  await makeDatabase(p, ctx, { orgId, row: await getDatabase(p.db, orgId, name), from: 0, span: 100 });
}

/**
 * The databases a customer instance owns, made (or made again, after a failure) on the server a new
 * database goes to, before its stack is deployed; `ready` ones are left alone. Progress in [from, from+span].
 */
export async function provisionInstanceDatabases(
  p: Platform,
  ctx: JobContext,
  o: { org: string; orgId: string; instance: string; names: string[]; from: number; span: number },
): Promise<void> {
  for (const [i, name] of o.names.entries()) {
    checkDatabaseName(name, "databases");
    let row = await getDatabase(p.db, o.orgId, name).catch(() => undefined);
    if (row && row.instance !== o.instance)
      throw new Conflict(`database '${name}' exists already and is not instance '${o.instance}''s`);
    if (row?.status === "ready") continue;
    row ??= await insertDatabase(p.db, {
      orgId: o.orgId,
      name,
      serverId: (await serverForNew(p)).id,
      pgName: pgName(o.org, name),
      password: p.sealer.seal(Buffer.from(newDbPassword())),
      status: "creating",
      instance: o.instance,
      jobId: ctx.job.id,
    });
    const span = o.span / o.names.length;
    await makeDatabase(p, ctx, { orgId: o.orgId, row, from: o.from + i * span, span });
  }
}

/** The server up and on the organization's network, then the role and database; `ready` or `failed`. */
async function makeDatabase(
  p: Platform,
  ctx: JobContext,
  o: { orgId: string; row: DatabaseRow; from: number; span: number },
): Promise<void> {
  const { orgId, row } = o;
  const name = row.name;
  const at = (f: number) => o.from + o.span * f;
  try {
    const server = await getServer(p.db, row.serverId);
    await ctx.progress(at(0.1), `database server ${server.name}`);
    await ensureServer(p, ctx, server);
    await ctx.progress(at(0.7), `creating database ${name} and its role`);
    const client = await superuser(p, server, ctx.signal);
    try {
      await client.query(CATALOG_LOCK_SQL);
      for (const sql of hardenServerSql()) await client.query(sql);
      const roleExists = (await client.query("select 1 from pg_roles where rolname = $1", [row.pgName]))
        .rowCount;
      const dbExists = (await client.query("select 1 from pg_database where datname = $1", [row.pgName]))
        .rowCount;
      const verifier = scramVerifier(p.sealer.open(row.password).toString());
      const statements = createDatabaseSql({
        db: row.pgName,
        role: row.pgName,
        verifier,
        roleExists: Boolean(roleExists),
        dbExists: Boolean(dbExists),
      });
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.end().catch(() => {});
    }
    await setDatabaseStatus(p.db, orgId, row.id, { status: "ready", error: null });
    await ctx.progress(at(1), `database ${name} is ready on server ${server.name}`);
  } catch (err) {
    if (!ctx.signal.aborted) {
      await setDatabaseStatus(p.db, orgId, row.id, { status: "failed", error: (err as Error).message });
    }
    throw err;
  }
}

export interface DatabaseView extends DatabaseRow {
  server: string;
  host: string;
  port: number;
}

export async function viewDatabases(p: Platform, org: string): Promise<DatabaseView[]> {
  const rows = await listDatabases(p.db, await orgIdOf(p.db, org));
  const servers = new Map<string, DbServerRow>();
  const out: DatabaseView[] = [];
  for (const r of rows) {
    if (!servers.has(r.serverId)) servers.set(r.serverId, await getServer(p.db, r.serverId));
    const s = servers.get(r.serverId)!;
    out.push({ ...r, server: s.name, host: serverRef(p, s).service, port: POSTGRES_PORT });
  }
  return out;
}

/** What a service attached to each of these databases gets (Conflict unless each is ready). */
export async function databaseAccess(p: Platform, orgId: string, names: string[]): Promise<DatabaseAccess[]> {
  const out: DatabaseAccess[] = [];
  for (const name of names) {
    const row = await getDatabase(p.db, orgId, name).catch(() => {
      throw new ConfigError(
        "databases",
        `no database '${name}' in this organization (berth db create ${name})`,
      );
    });
    if (row.status !== "ready") throw new Conflict(`database '${name}' is ${row.status}, not ready`);
    const server = await getServer(p.db, row.serverId);
    const host = `tasks.${serverRef(p, server).service}`;
    const password = p.sealer.open(row.password).toString();
    const url = Buffer.from(
      databaseUrl({ host, port: POSTGRES_PORT, database: row.pgName, user: row.pgName, password }),
    );
    out.push({
      name,
      host,
      port: POSTGRES_PORT,
      database: row.pgName,
      user: row.pgName,
      url: { sealed: p.sealer.seal(url), digest: p.sealer.digest(url) },
    });
  }
  return out;
}

export async function requestRemoveDatabase(
  p: Platform,
  o: { org: string; name: string; finalBackup: boolean; requestedBy: string; correlationId: string },
): Promise<{ database: DatabaseRow; jobId: string; backupId?: string }> {
  const orgId = await orgIdOf(p.db, o.org);
  const row = await getDatabase(p.db, orgId, o.name);
  if (row.instance) {
    throw new Conflict(
      `database '${o.name}' belongs to instance '${row.instance}' and goes with it (berth instance rm ${row.instance})`,
    );
  }
  if (row.status === "creating" || row.status === "removing") {
    throw new Conflict(`database '${o.name}' is ${row.status} (job ${row.jobId}); wait until it ends`);
  }
  const busy = (await unfinishedJobs(p.db)).find(
    (j) => j.orgId === orgId && j.target === `db:${o.name}` && j.type !== DB_REMOVE_JOB,
  );
  if (busy)
    throw new Conflict(`database '${o.name}' is in use by ${busy.type} job ${busy.id}; wait until it ends`);
  const backupId =
    o.finalBackup && row.status === "ready"
      ? (await recordDatabaseBackup(p, { org: o.org, orgId, name: o.name })).id
      : undefined;
  const job = await p.jobs.enqueue({
    type: DB_REMOVE_JOB,
    orgId,
    target: `db:${o.name}`,
    payload: { org: o.org, name: o.name, ...(backupId ? { backupId } : {}) },
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
  });
  await setDatabaseStatus(p.db, orgId, row.id, { status: "removing", jobId: job.id });
  return { database: { ...row, status: "removing" }, jobId: job.id, ...(backupId ? { backupId } : {}) };
}

export async function runRemoveDatabase(p: Platform, ctx: JobContext): Promise<void> {
  const { org, name, backupId } = ctx.job.payload as { org: string; name: string; backupId?: string };
  const orgId = await orgIdOf(p.db, org);
  const row = await getDatabase(p.db, orgId, name).catch(() => undefined);
  if (!row) return; // an earlier attempt removed it and stopped before the job ended
  await setDatabaseStatus(p.db, orgId, row.id, { status: "removing" });
  if (backupId) {
    try {
      await dumpDatabase(p, ctx, { org, orgId, database: row, backupId, from: 0, span: 80 });
    } catch (err) {
      // Nothing is dropped without the backup that was asked for.
      await setDatabaseStatus(p.db, orgId, row.id, { status: "ready" });
      throw new Conflict(`final backup of ${name} failed, the database was kept: ${(err as Error).message}`);
    }
  }
  await dropDatabase(p, ctx, { orgId, row });
  await ctx.progress(100, `database ${name} removed${backupId ? ` (final backup ${backupId})` : ""}`);
}

/** DROP of the database and its role, then its record; `failed` (may be asked again) when that fails. */
export async function dropDatabase(
  p: Platform,
  ctx: JobContext,
  o: { orgId: string; row: DatabaseRow },
): Promise<void> {
  const { orgId, row } = o;
  const server = await getServer(p.db, row.serverId);
  try {
    const client = await superuser(p, server, ctx.signal);
    try {
      await client.query(CATALOG_LOCK_SQL);
      for (const sql of dropDatabaseSql({ db: row.pgName, role: row.pgName })) await client.query(sql);
    } finally {
      await client.end().catch(() => {});
    }
  } catch (err) {
    // `failed` (not `removing`): `db rm` may be asked again.
    if (!ctx.signal.aborted) {
      await setDatabaseStatus(p.db, orgId, row.id, {
        status: "failed",
        error: `removal failed: ${(err as Error).message}`,
      });
    }
    throw err;
  }
  await deleteDatabase(p.db, orgId, row.id);
}
