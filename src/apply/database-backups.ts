// Backups of managed databases, in the same store, format of record and encryption as volume backups:
// - requestDatabaseBackup / runDatabaseBackup: `pg_dump -Fc` inside the server's container (Engine
//   exec, engine/postgres-exec.ts) streamed through sha256 (and AES-256-GCM) into the store;
// - requestDatabaseRestore / runDatabaseRestore: the archive read end to end (checksum, decryption)
//   into a private staging copy BEFORE anything is touched (a tampered archive is marked corrupt, the
//   database untouched); then `pg_restore --clean --single-transaction` into the same database or
//   another of the organization's (`into`), its objects owned by that database's role.
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { DB_BACKUP_JOB, DB_RESTORE_JOB } from "../domain/databases.js";
import { Conflict } from "../domain/errors.js";
import type { JobContext } from "../jobs/queue.js";
import { archiveFile, notRestorable } from "../plan/backup.js";
import { type BackupRow, finishBackup, getBackup, insertBackups } from "../store/backups.js";
import { type DatabaseRow, getDatabase, getServer } from "../store/databases.js";
import { orgIdOf } from "../store/stacks.js";
import { writeArchive } from "./archive-io.js";
import { checkArchive, precheckArchive, progressTo, replayArchive, restorableBackup } from "./backups.js";
import { serverRef } from "./databases.js";
import type { Platform } from "./platform.js";

/** A `running` backup row for the database (the job that dumps it is queued by the caller). */
export async function recordDatabaseBackup(
  p: Platform,
  o: {
    org: string;
    orgId: string;
    name: string;
    jobId?: string;
    /** The stack whose backup it is part of (retention counts it with the stack's). */
    stack?: { id: string; name: string };
  },
): Promise<BackupRow> {
  const id = randomUUID();
  const encrypted = p.backups.encrypt;
  const [row] = await insertBackups(p.db, [
    {
      id,
      orgId: o.orgId,
      stack: o.stack?.name ?? "",
      ...(o.stack ? { stackId: o.stack.id } : {}),
      kind: "database",
      source: o.name,
      status: "running",
      encrypted,
      location: archiveFile({ org: o.org, id, encrypted, kind: "database" }),
      ...(o.jobId ? { jobId: o.jobId } : {}),
    },
  ]);
  return row!;
}

export function readyDatabase(row: DatabaseRow): DatabaseRow {
  if (row.status !== "ready") throw new Conflict(`database '${row.name}' is ${row.status}, not ready`);
  return row;
}

export async function requestDatabaseBackup(
  p: Platform,
  o: { org: string; name: string; requestedBy: string; correlationId: string },
): Promise<{ jobId: string; backups: BackupRow[] }> {
  const orgId = await orgIdOf(p.db, o.org);
  readyDatabase(await getDatabase(p.db, orgId, o.name));
  const jobId = randomUUID();
  const row = await recordDatabaseBackup(p, { org: o.org, orgId, name: o.name, jobId });
  await p.jobs.enqueue({
    id: jobId,
    type: DB_BACKUP_JOB,
    orgId,
    target: `db:${o.name}`,
    payload: { org: o.org, name: o.name, backupId: row.id },
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
  });
  return { jobId, backups: [row] };
}

export async function runDatabaseBackup(p: Platform, ctx: JobContext): Promise<void> {
  const { org, name, backupId } = ctx.job.payload as { org: string; name: string; backupId: string };
  const orgId = await orgIdOf(p.db, org);
  const database = readyDatabase(await getDatabase(p.db, orgId, name));
  await dumpDatabase(p, ctx, { org, orgId, database, backupId, from: 0, span: 100 });
}

/** Dumps the database into the backup's archive; records success or the reason it failed. */
export async function dumpDatabase(
  p: Platform,
  ctx: JobContext,
  o: { org: string; orgId: string; database: DatabaseRow; backupId: string; from: number; span: number },
): Promise<void> {
  const b = await getBackup(p.db, o.orgId, o.backupId);
  if (b.status === "succeeded") return;
  const path = join(p.backups.dir, b.location!);
  try {
    const server = await getServer(p.db, o.database.serverId);
    await ctx.say(`dumping database ${o.database.name} (pg_dump -Fc)${b.encrypted ? ", encrypted" : ""}`);
    const report = progressTo(ctx, `database ${o.database.name}`, { from: o.from, span: o.span });
    const { stream, done } = await p.pgExec.dump(serverRef(p, server), o.database.pgName);
    let read = 0;
    let out: { sha256: string; sizeBytes: number };
    try {
      out = await writeArchive(stream, {
        path,
        ...(b.encrypted ? { key: p.backups.key } : {}),
        onBytes: (n) => {
          read = n;
          void report(n);
        },
      });
    } finally {
      // pg_dump's exit status decides: an archive of a dump that failed is never kept.
      await done.catch(async (err) => {
        await rm(path, { force: true });
        throw err;
      });
    }
    await report(read, true);
    await finishBackup(p.db, o.orgId, b.id, { status: "succeeded", ...out, error: null });
    await ctx.say(
      `database ${o.database.name}: ${out.sizeBytes} bytes, sha256 ${out.sha256} (backup ${b.id})`,
    );
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    await finishBackup(p.db, o.orgId, b.id, { status: "failed", error: reason });
    await ctx.say(`database ${o.database.name}: backup failed: ${reason}`, "error");
    throw new Conflict(`backup of database ${o.database.name} failed: ${reason}`);
  }
}

interface DbRestorePayload {
  org: string;
  backupId: string;
  /** The database restored into. */
  database: string;
}

export async function requestDatabaseRestore(
  p: Platform,
  o: {
    org: string;
    orgId: string;
    backup: BackupRow;
    into?: string;
    requestedBy: string;
    correlationId: string;
  },
): Promise<{ jobId: string; database: string }> {
  const b = o.backup;
  const refused = notRestorable({ id: b.id, status: b.status, reason: b.error });
  if (refused) throw refused;
  await precheckArchive(p, o.orgId, b);
  const database = o.into ?? b.source;
  readyDatabase(await getDatabase(p.db, o.orgId, database));
  const payload: DbRestorePayload = { org: o.org, backupId: b.id, database };
  const job = await p.jobs.enqueue({
    type: DB_RESTORE_JOB,
    orgId: o.orgId,
    target: `db:${database}`,
    payload: { ...payload },
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
  });
  return { jobId: job.id, database };
}

export async function runDatabaseRestore(p: Platform, ctx: JobContext): Promise<void> {
  const o = ctx.job.payload as unknown as DbRestorePayload;
  const { orgId, b, path, scratch, staging } = await restorableBackup(p, ctx, o);
  try {
    await ctx.say(
      `checking backup ${b.id} (database ${b.source}, ${b.sizeBytes} bytes) before touching ${o.database}`,
    );
    await checkArchive(p, ctx, { orgId, backup: b, path, from: 0, span: 40, plainTo: staging });
    await ctx.say(`archive verified: checksum matches${b.encrypted ? ", every chunk decrypts" : ""}`);
    await ctx.throwIfCancelled();
    const target = readyDatabase(await getDatabase(p.db, orgId, o.database));
    const server = await getServer(p.db, target.serverId);
    await ctx.say(`restoring into database ${o.database} (pg_restore --clean, one transaction)`);
    await replayArchive(ctx, {
      backup: b,
      staging,
      from: 50,
      span: 45,
      write: (input) =>
        p.pgExec.restore(serverRef(p, server), { database: target.pgName, role: target.pgName, input }),
    });
    await ctx.progress(100, `restored backup ${b.id} into database ${o.database}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
