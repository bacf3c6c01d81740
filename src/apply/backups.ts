// Stack backups: requestBackup (in the API request: decide which volumes and managed databases, record
// one backup row each, queue a `backup` job) and runBackup (the job: stream each volume through a
// read-only helper container into the store, and dump each database (database-backups.ts), with sha256
// and, when enabled, encryption). The stack keeps running; a volume or database that cannot be
// archived is recorded as failed with the reason and the helper is removed.
// Listing, removal and `verify` (a job that re-reads an archive end to end) are here too; restore
// is in restore.ts.
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BACKUP_JOB, JOB_LABEL, RESTORE_JOB, VERIFY_JOB } from "../domain/backup.js";
import { Conflict } from "../domain/errors.js";
import { LABEL, ownershipProblem } from "../domain/labels.js";
import type { JobContext } from "../jobs/queue.js";
import {
  archiveFile,
  backupsToPrune,
  backupTargets,
  notRestorable,
  progressLine,
  type Retention,
  retentionText,
  sizeProblem,
  type VolumeTarget,
} from "../plan/backup.js";
import { isRemote } from "../plan/volume-transfer.js";
import {
  type BackupRow,
  deleteBackup,
  finishBackup,
  getBackup,
  insertBackups,
  listBackups,
  markCorrupt,
} from "../store/backups.js";
import { getDatabase } from "../store/databases.js";
import { unfinishedJobs } from "../store/jobs.js";
import { desiredStacks, getStack, orgIdOf } from "../store/stacks.js";
import {
  ArchiveCorrupt,
  adoptArchive,
  archiveSize,
  growingFile,
  readArchive,
  readStaged,
  writeArchive,
} from "./archive-io.js";
import { dumpDatabase, readyDatabase, recordDatabaseBackup } from "./database-backups.js";
import type { Platform } from "./platform.js";
import { dropTransfer, nodeOfVolume, runTransfer, sweepTransfers, transferFile } from "./volume-transfer.js";

/** A volume's archive, or (`database` set) a managed database's dump. */
interface BackupItem {
  id: string;
  key: string;
  volume: string;
  location: string;
  database?: string;
}

/** The stack's live model and namespace; Conflict when no revision of it succeeded. */
export async function liveStack(p: Platform, org: string, stack: string) {
  const orgId = await orgIdOf(p.db, org);
  const row = await getStack(p.db, orgId, stack);
  const d = (await desiredStacks(p.db, org)).find((s) => s.name === stack);
  if (!d?.settled)
    throw new Conflict(`stack '${stack}' has no live revision (none succeeded); deploy it first`);
  return { orgId, stackId: row.id, namespace: d.namespace, model: d.settled.model };
}

/**
 * Each target volume on the Engine's node must exist and be this stack's; else Conflict naming it.
 * One on another node is known only through the tasks of the stack's own services that mount it.
 */
export async function checkVolumes(
  p: Platform,
  owner: { org: string; stack: string },
  targets: VolumeTarget[],
): Promise<void> {
  const local: VolumeTarget[] = [];
  for (const t of targets) {
    if (!isRemote((await nodeOfVolume(p, owner, t.name)).node, p.cluster.nodeId)) local.push(t);
  }
  const found = await p.engine.objectsNamed(
    "volume",
    local.map((t) => t.name),
  );
  for (const t of local) {
    const v = found.find((f) => f.name === t.name);
    if (!v) {
      throw new Conflict(
        `volume '${t.key}' of stack '${owner.stack}' does not exist on this node yet (no task has mounted it)`,
      );
    }
    const problem = ownershipProblem(v.labels, { instance: p.instanceId, ...owner });
    if (problem) throw new Conflict(`volume ${t.name} is not stack '${owner.stack}''s: ${problem}`);
  }
}

export function helperLabels(p: Platform, o: { org: string; stack: string; jobId: string }) {
  return {
    [LABEL.managed]: "true",
    [LABEL.instance]: p.instanceId,
    [LABEL.org]: o.org,
    [LABEL.stack]: o.stack,
    [JOB_LABEL]: o.jobId,
  };
}

export async function requestBackup(
  p: Platform,
  o: {
    org: string;
    stack: string;
    volumes?: string[];
    /** Retention after a successful run (plan/backup.ts Retention), per volume and database. */
    retention?: Retention;
    requestedBy: string;
    correlationId: string;
  },
): Promise<{ jobId: string; backups: BackupRow[] }> {
  const live = await liveStack(p, o.org, o.stack);
  const targets = backupTargets(live.model, live.namespace, o.volumes);
  await checkVolumes(p, o, targets.volumes);
  for (const name of targets.databases) readyDatabase(await getDatabase(p.db, live.orgId, name));
  const jobId = randomUUID();
  const encrypted = p.backups.encrypt;
  const items: BackupItem[] = targets.volumes.map((t) => {
    const id = randomUUID();
    return { id, key: t.key, volume: t.name, location: archiveFile({ org: o.org, id, encrypted }) };
  });
  const volumeRows = await insertBackups(
    p.db,
    items.map((i) => ({
      id: i.id,
      orgId: live.orgId,
      stackId: live.stackId,
      stack: o.stack,
      kind: "volume" as const,
      source: i.key,
      status: "running" as const,
      encrypted,
      location: i.location,
      jobId,
    })),
  );
  const rows = [...volumeRows];
  for (const name of targets.databases) {
    const row = await recordDatabaseBackup(p, {
      org: o.org,
      orgId: live.orgId,
      name,
      jobId,
      stack: { id: live.stackId, name: o.stack },
    });
    rows.push(row);
    items.push({ id: row.id, key: name, volume: "", location: row.location!, database: name });
  }
  await p.jobs.enqueue({
    id: jobId,
    type: BACKUP_JOB,
    orgId: live.orgId,
    target: o.stack,
    payload: { org: o.org, stack: o.stack, items, ...(o.retention ? { retention: o.retention } : {}) },
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
  });
  return { jobId, backups: rows };
}

/** Progress into the job (percent within [from, from+span]) and its log, at most every second. */
export function progressTo(ctx: JobContext, what: string, o: { total?: number; from: number; span: number }) {
  let last = 0;
  let chain = Promise.resolve();
  const report = (bytes: number, force = false) => {
    const now = Date.now();
    if (!force && now - last < 1000) return chain;
    last = now;
    const { line, percent } = progressLine(what, bytes, o.total);
    chain = chain
      .then(() => ctx.progress(Math.round(o.from + (o.span * percent) / 100), line))
      .catch(() => {});
    return chain;
  };
  return report;
}

/**
 * Streams the checked plaintext staging copy of a backup into a restore's writer (a helper's tar,
 * pg_restore), with progress from `from` over `span` percent. The first side to fail is the cause:
 * a writer that gives up stops the reading, and a reading that fails ends the writer's input.
 */
export async function replayArchive(
  ctx: JobContext,
  o: {
    backup: Pick<BackupRow, "source">;
    staging: string;
    from: number;
    span: number;
    write: (input: PassThrough) => Promise<unknown>;
  },
): Promise<void> {
  const total = (await stat(o.staging)).size;
  const report = progressTo(ctx, `restoring ${o.backup.source}`, { total, from: o.from, span: o.span });
  const input = new PassThrough();
  let read = 0;
  let cause: unknown;
  const first = (work: Promise<unknown>) =>
    work.catch((err) => {
      cause ??= err;
    });
  const reading = pipeline(
    readStaged(o.staging, (n) => {
      read = n;
      void report(n);
    }),
    input,
  );
  const writing = o.write(input);
  const writerGaveUp = writing.catch((err) => {
    input.destroy();
    throw err;
  });
  await Promise.all([first(reading), first(writerGaveUp)]);
  if (cause) throw cause;
  await report(read, true);
}

/**
 * A job's private directory on Berth's node (in the staging directory): the checked plaintext a
 * restore replays, and the tar a helper writes for a sealed backup. The job removes it when it ends.
 */
export const jobScratch = (p: Platform, jobId: string) => join(p.backups.stagingDir, jobId);

export async function runBackup(p: Platform, ctx: JobContext): Promise<void> {
  const { org, stack } = ctx.job.payload as { org: string; stack: string };
  const items = ctx.job.payload.items as BackupItem[];
  const orgId = await orgIdOf(p.db, org);
  const labels = helperLabels(p, { org, stack, jobId: ctx.job.id });
  // Helpers an earlier attempt left behind (the control plane died mid-way).
  await p.archiver.removeHelpers([`${JOB_LABEL}=${ctx.job.id}`, `${LABEL.instance}=${p.instanceId}`]);
  const failures: string[] = [];
  try {
    for (const [i, item] of items.entries()) {
      const row = await getBackup(p.db, orgId, item.id).catch(() => undefined);
      if (!row || row.status === "succeeded") continue;
      await ctx.throwIfCancelled();
      const span = 100 / items.length;
      if (item.database) {
        const database = await getDatabase(p.db, orgId, item.database);
        await dumpDatabase(p, ctx, { org, orgId, database, backupId: item.id, from: i * span, span }).catch(
          (err: Error) => failures.push(`${item.key}: ${err.message}`),
        );
        continue;
      }
      try {
        await checkVolumes(p, { org, stack }, [{ key: item.key, name: item.volume }]);
        const at = await nodeOfVolume(p, { org, stack }, item.volume);
        if (at.nodes.length > 1) {
          await ctx.say(
            `volume ${item.key} is node-local and has copies on ${at.nodes.length} nodes: backing up the one on node ${at.node}`,
            "warn",
          );
        }
        // Said before the helper starts: from here on, the volume's bytes are being moved.
        await ctx.say(`archiving volume ${item.key} (${item.volume})${row.encrypted ? ", encrypted" : ""}`);
        const { stream, file, close, total } = isRemote(at.node, p.cluster.nodeId)
          ? await exportVolume(p, ctx, { node: at.node, volume: item.volume, labels, id: item.id })
          : await exportLocalVolume(p, {
              volume: item.volume,
              labels,
              // Plaintext a sealed archive is made of stays on Berth's node; a plain one is
              // written where it is kept.
              file: row.encrypted
                ? join(jobScratch(p, ctx.job.id), `${item.id}.tar`)
                : await transferFile(p, item.id),
            });
        const report = progressTo(ctx, `${item.key}`, { ...(total ? { total } : {}), from: i * span, span });
        let read = 0;
        const onBytes = (n: number) => {
          read = n;
          void report(n);
        };
        try {
          const path = join(p.backups.dir, item.location);
          const out = row.encrypted
            ? await writeArchive(stream, { path, key: p.backups.key, onBytes })
            : await adoptArchive(stream, { from: file, path, onBytes });
          await report(read, true);
          await finishBackup(p.db, orgId, item.id, { status: "succeeded", ...out, error: null });
          await ctx.say(
            `volume ${item.key}: ${out.sizeBytes} bytes, sha256 ${out.sha256} (backup ${item.id})`,
          );
        } finally {
          await close();
        }
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        await finishBackup(p.db, orgId, item.id, { status: "failed", error: reason });
        await ctx.say(`volume ${item.key}: backup failed: ${reason}`, "error");
        failures.push(`${item.key}: ${reason}`);
      }
    }
  } finally {
    await rm(jobScratch(p, ctx.job.id), { recursive: true, force: true });
  }
  if (failures.length) throw new BackupFailed(`backup of ${stack} failed: ${failures.join("; ")}`);
  const retention = ctx.job.payload.retention as Retention | undefined;
  if (retention) await prune(p, ctx, { orgId, stack, retention });
  const dbs = items.filter((i) => i.database).length;
  await ctx.progress(
    100,
    `backed up ${items.length - dbs} volume(s)${dbs ? ` and ${dbs} database(s)` : ""} of ${stack}`,
  );
}

/** Retention: deletes the stack's good archives the retention does not keep. */
async function prune(
  p: Platform,
  ctx: JobContext,
  o: { orgId: string; stack: string; retention: Retention },
) {
  const all = (await listBackups(p.db, o.orgId, { stack: o.stack })).map((b) => ({ ...b, volume: b.source }));
  const r = o.retention;
  const rule = retentionText(r);
  for (const b of backupsToPrune(all, r)) {
    if (b.location) await rm(join(p.backups.dir, b.location), { force: true });
    await deleteBackup(p.db, o.orgId, b.id);
    await ctx.say(
      `retention (${rule}): removed backup ${b.id} of ${b.source} from ${b.createdAt.toISOString()}`,
    );
  }
}

/**
 * At start: removes this installation's helper containers whose job is not running any more (the
 * control plane died while they worked, and the job ended or will start over with new ones).
 */
export async function sweepHelpers(p: Platform): Promise<number> {
  const live = new Set((await unfinishedJobs(p.db)).filter((j) => j.status === "running").map((j) => j.id));
  const keep = (l: Record<string, string>) => live.has(l[JOB_LABEL] ?? "");
  const containers = await p.archiver.removeHelpers([`${LABEL.instance}=${p.instanceId}`], keep);
  // Scratch directories (checked plaintext, helpers' tar files) of jobs that no longer run.
  const scratch = await readdir(p.backups.stagingDir).catch(() => [] as string[]);
  const stale = scratch.filter((name) => !live.has(name.replace(/\.archive$/, "")));
  await Promise.all(
    stale.map((name) => rm(join(p.backups.stagingDir, name), { recursive: true, force: true })),
  );
  return containers + (await sweepTransfers(p, keep));
}

/** The tar of a volume being written and read: its bytes, its file, and `close` to call always. */
interface VolumeExport {
  stream: Readable;
  file: string;
  close: () => Promise<void>;
  total?: number;
}

/**
 * A volume on Berth's own node, written by a helper there into `file` (made first, owner-only) and
 * read as it grows; its size asked for meanwhile.
 */
async function exportLocalVolume(
  p: Platform,
  o: { volume: string; labels: Record<string, string>; file: string },
): Promise<VolumeExport> {
  await mkdir(dirname(o.file), { recursive: true, mode: 0o700 });
  await writeFile(o.file, "", { mode: 0o600 });
  try {
    const [helper, total] = await Promise.all([
      p.archiver.export({ ...o, scratch: dirname(o.file), image: p.backups.helperImage }),
      p.archiver.usage(o.volume),
    ]);
    return {
      stream: growingFile(o.file, helper.ended),
      file: o.file,
      close: async () => {
        await helper.close();
        await dropTransfer(o.file);
      },
      ...(total === undefined ? {} : { total }),
    };
  } catch (err) {
    await dropTransfer(o.file);
    throw err;
  }
}

/** A volume on another node, exported by a task there into a transfer file of the store, read from it. */
async function exportVolume(
  p: Platform,
  ctx: JobContext,
  o: { node: string; volume: string; labels: Record<string, string>; id: string },
): Promise<VolumeExport> {
  const file = await transferFile(p, o.id);
  try {
    await runTransfer(p, ctx, { way: "export", node: o.node, volume: o.volume, file, labels: o.labels });
    const total = (await stat(file)).size;
    return { stream: createReadStream(file), file, close: () => dropTransfer(file), total };
  } catch (err) {
    await dropTransfer(file);
    throw err;
  }
}

/** A backup that did not complete; recorded per volume, not retried. */
export class BackupFailed extends Conflict {}

export async function viewBackups(p: Platform, org: string, o: { stack?: string }): Promise<BackupRow[]> {
  return listBackups(p.db, await orgIdOf(p.db, org), o);
}

/** Deletes the archive and its record; refused while its job runs. */
export async function removeBackup(p: Platform, org: string, id: string): Promise<BackupRow> {
  const orgId = await orgIdOf(p.db, org);
  const b = await getBackup(p.db, orgId, id);
  if (b.status === "running") throw new Conflict(`backup ${id} is still running (job ${b.jobId})`);
  await refuseWhileUsed(p, orgId, b);
  if (b.location) await rm(join(p.backups.dir, b.location), { force: true });
  await deleteBackup(p.db, orgId, id);
  return b;
}

/** A backup being verified or restored from keeps its archive until that job ends. */
async function refuseWhileUsed(p: Platform, orgId: string, b: BackupRow): Promise<void> {
  const busy = (await unfinishedJobs(p.db)).find(
    (j) =>
      j.orgId === orgId &&
      ((j.type === VERIFY_JOB && j.target === b.id) ||
        (j.type === RESTORE_JOB && j.payload.backupId === b.id)),
  );
  if (busy) throw new Conflict(`backup ${b.id} is in use by ${busy.type} job ${busy.id}; wait until it ends`);
}

/**
 * What a restore job starts from: the organization's backup (refused unless it can be restored), its
 * archive checked to be there, and where the job stages its checked copy.
 */
export async function restorableBackup(
  p: Platform,
  ctx: JobContext,
  o: { org: string; backupId: string },
): Promise<{ orgId: string; b: BackupRow; path: string; scratch: string; staging: string }> {
  const orgId = await orgIdOf(p.db, o.org);
  const b = await getBackup(p.db, orgId, o.backupId);
  const refused = notRestorable({ id: b.id, status: b.status, reason: b.error });
  if (refused) throw refused;
  const path = await precheckArchive(p, orgId, b);
  const scratch = jobScratch(p, ctx.job.id);
  return { orgId, b, path, scratch, staging: join(scratch, "archive") };
}

/**
 * The cheap checks before reading an archive: it finished, its file is there with the recorded size.
 * A mismatch marks it corrupt (Conflict).
 */
export async function precheckArchive(p: Platform, orgId: string, b: BackupRow): Promise<string> {
  if (b.status === "running" || b.status === "failed" || !b.location || !b.sha256) {
    throw new Conflict(
      `backup ${b.id} has no complete archive (${b.status}${b.error ? `: ${b.error}` : ""})`,
    );
  }
  const path = join(p.backups.dir, b.location);
  const problem = sizeProblem(b.sizeBytes, await archiveSize(path));
  if (problem) {
    await markCorrupt(p.db, orgId, b.id, problem);
    throw new Conflict(`backup ${b.id} is corrupt: ${problem}; nothing was changed`);
  }
  return path;
}

export async function requestVerify(
  p: Platform,
  o: { org: string; id: string; requestedBy: string; correlationId: string },
): Promise<{ jobId: string; backup: BackupRow }> {
  const orgId = await orgIdOf(p.db, o.org);
  const b = await getBackup(p.db, orgId, o.id);
  await precheckArchive(p, orgId, b);
  const job = await p.jobs.enqueue({
    type: VERIFY_JOB,
    orgId,
    target: b.id,
    payload: { org: o.org, id: b.id },
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
  });
  return { jobId: job.id, backup: b };
}

export async function runVerify(p: Platform, ctx: JobContext): Promise<void> {
  const { org, id } = ctx.job.payload as { org: string; id: string };
  const orgId = await orgIdOf(p.db, org);
  const b = await getBackup(p.db, orgId, id);
  const path = await precheckArchive(p, orgId, b);
  await checkArchive(p, ctx, { orgId, backup: b, path, from: 0, span: 100 });
  await ctx.say(
    `backup ${id} verified: ${b.sizeBytes} bytes, sha256 ${b.sha256}${b.encrypted ? ", decrypts" : ""}`,
  );
}

/**
 * Reads the archive end to end (checksum, and every chunk's authentication when encrypted). A
 * mismatch marks the backup corrupt and throws Conflict; `plainTo` keeps the checked plaintext.
 */
export async function checkArchive(
  p: Platform,
  ctx: JobContext,
  o: { orgId: string; backup: BackupRow; path: string; from: number; span: number; plainTo?: string },
): Promise<void> {
  const b = o.backup;
  const report = progressTo(ctx, `checking ${b.source}`, {
    ...(b.sizeBytes ? { total: b.sizeBytes } : {}),
    from: o.from,
    span: o.span,
  });
  let read = 0;
  try {
    await readArchive({
      path: o.path,
      sha256: b.sha256!,
      ...(b.encrypted ? { key: p.backups.key } : {}),
      ...(o.plainTo ? { plainTo: o.plainTo } : {}),
      onBytes: (n) => {
        read = n;
        void report(n);
      },
    });
    await report(read, true);
  } catch (err) {
    if (!(err instanceof ArchiveCorrupt)) throw err;
    await markCorrupt(p.db, o.orgId, b.id, err.message);
    throw new Conflict(`backup ${b.id} is corrupt: ${err.message}; nothing was changed`);
  }
}
