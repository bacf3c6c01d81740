// Response shapes: database rows translated into what the API promises.
import type { DatabaseView } from "../apply/databases.js";
import { ConfigError } from "../domain/errors.js";
import type { BackupRow } from "../store/backups.js";
import type { JobLogRow, JobRow } from "../store/jobs.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseId(value: string, kind: string): string {
  if (!UUID.test(value)) throw new ConfigError("id", `must be a ${kind} id (UUID)`);
  return value.toLowerCase();
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

export function deploymentView(
  d: {
    id: string;
    revision: number;
    status: string;
    reason: string | null;
    jobId: string | null;
    rollbackOf: number | null;
    createdAt: Date;
    finishedAt: Date | null;
    builds?: { service: string; tag: string; imageId: string; jobId: string }[] | null;
  },
  stack: string,
  queuedBehind: number | null = null,
) {
  return {
    ...(d.builds ? { builds: d.builds.map((b) => ({ ...b })) } : {}),
    id: d.id,
    stack,
    revision: d.revision,
    status: d.status,
    reason: d.reason,
    jobId: d.jobId,
    rollbackOf: d.rollbackOf,
    queuedBehind,
    createdAt: iso(d.createdAt),
    finishedAt: iso(d.finishedAt),
  };
}

export function revisionView<
  R extends { createdAt: Date; finishedAt: Date | null; images: Record<string, string> | null },
>(r: R) {
  return { ...r, images: r.images ?? {}, createdAt: iso(r.createdAt), finishedAt: iso(r.finishedAt) };
}

export function jobView(j: JobRow, queuedBehind: number | null = null) {
  return {
    id: j.id,
    type: j.type,
    target: j.target,
    status: j.status,
    progress: j.progress,
    attempts: j.attempts,
    error: j.error,
    cancelRequested: j.cancelRequested,
    correlationId: j.correlationId,
    requestedBy: j.requestedBy,
    queuedBehind,
    result: j.result ?? null,
    createdAt: iso(j.createdAt),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
  };
}

export function jobLogView(l: JobLogRow) {
  return { id: l.id, at: iso(l.at), level: l.level, message: l.message };
}

export function backupView(b: BackupRow) {
  return {
    id: b.id,
    stack: b.stack,
    kind: b.kind,
    volume: b.source,
    status: b.status,
    reason: b.error,
    encrypted: b.encrypted,
    sizeBytes: b.sizeBytes,
    sha256: b.sha256,
    location: b.location,
    jobId: b.jobId,
    createdAt: iso(b.createdAt),
    finishedAt: iso(b.finishedAt),
  };
}

export function databaseView(d: DatabaseView) {
  return {
    name: d.name,
    status: d.status,
    reason: d.error,
    server: d.server,
    host: `tasks.${d.host}`,
    port: d.port,
    database: d.pgName,
    user: d.pgName,
    instance: d.instance,
    jobId: d.jobId,
    createdAt: iso(d.createdAt),
  };
}
