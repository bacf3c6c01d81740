// What a backup or a restore will do, decided from the stack's model and what Swarm runs; no I/O.
//
// - backupTargets: which volumes of the stack a backup covers (all its own volumes by default) and
//   which managed databases (those its services use, unless volumes were named).
// - restoreTarget: the volume an archive of volume `key` goes into, in the same or another stack.
// - restorePlan: the services that mount that volume (to be scaled to 0 while its contents are
//   replaced, then back to the replicas they had), or why the restore cannot stop them.
// - archiveFile: where an archive lives in the backup store.
// - backupsToPrune: retention (keep the newest N good archives per stack and volume).
import { ConfigError, Conflict, NotFound } from "../domain/errors.js";
import { scopedName } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import { databasesWanted } from "./database.js";

export interface VolumeTarget {
  /** The volume's key in the stack's `volumes:`. */
  key: string;
  /** Its name on the Engine. */
  name: string;
}

/** The stack's own volumes (external ones belong to no stack), sorted by key. */
function ownVolumes(model: StackModel): string[] {
  return Object.entries(model.volumes ?? {})
    .filter(([, v]) => !v.external)
    .map(([k]) => k)
    .sort();
}

export interface BackupTargets {
  volumes: VolumeTarget[];
  /** The organization's names of the managed databases the stack's services use. */
  databases: string[];
}

export function backupTargets(model: StackModel, namespace: string, requested: string[] = []): BackupTargets {
  const own = ownVolumes(model);
  for (const [i, key] of requested.entries()) {
    if (!own.includes(key)) {
      const external = model.volumes?.[key]?.external;
      throw new ConfigError(
        `volumes.${i}`,
        external
          ? `volume '${key}' is external ('${external}'); only a stack's own volumes are backed up`
          : `stack '${model.name}' has no volume '${key}'${own.length ? ` (it has: ${own.join(", ")})` : ""}`,
      );
    }
  }
  const keys = requested.length ? [...new Set(requested)].sort() : own;
  const databases = requested.length ? [] : databasesWanted(model);
  if (keys.length === 0 && databases.length === 0)
    throw new ConfigError("stack", `stack '${model.name}' has no volumes or databases to back up`);
  return { volumes: keys.map((key) => ({ key, name: scopedName(namespace, key) })), databases };
}

export function restoreTarget(model: StackModel, namespace: string, key: string): VolumeTarget {
  if (!ownVolumes(model).includes(key)) {
    throw new ConfigError("into", `stack '${model.name}' has no volume '${key}' to restore into`);
  }
  return { key, name: scopedName(namespace, key) };
}

/** A service as a restore sees it: its mounts and replicas, from the Engine's stored spec. */
export interface MountingService {
  id: string;
  name: string;
  version: number;
  spec: ServiceSpecLike;
}

export interface ServiceSpecLike {
  Name?: string;
  Mode?: { Replicated?: { Replicas?: number }; Global?: object };
  TaskTemplate?: { ContainerSpec?: { Mounts?: { Type?: string; Source?: string }[] } };
}

export interface StopStep {
  id: string;
  name: string;
  /** Replicas to restore afterwards. */
  replicas: number;
}

/** The services that mount `volume`, with the replicas they have now; global services cannot be scaled. */
export function restorePlan(services: MountingService[], volume: string): StopStep[] {
  const mounting = services
    .filter((s) =>
      (s.spec.TaskTemplate?.ContainerSpec?.Mounts ?? []).some(
        (m) => (m.Type ?? "volume") === "volume" && m.Source === volume,
      ),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const global = mounting.find((s) => !s.spec.Mode?.Replicated);
  if (global) {
    throw new Conflict(
      `service ${global.name} mounts ${volume} in global mode and cannot be stopped for the restore`,
    );
  }
  return mounting.map((s) => ({ id: s.id, name: s.name, replicas: s.spec.Mode?.Replicated?.Replicas ?? 1 }));
}

/** The spec with another replica count; everything else as the Engine stores it. */
export function withReplicas<T extends ServiceSpecLike>(spec: T, replicas: number): T {
  return { ...spec, Mode: { Replicated: { Replicas: replicas } } };
}

/** An archive's path in the store, relative to its root: one folder per organization (a tar, or a pg_dump). */
export function archiveFile(o: {
  org: string;
  id: string;
  encrypted: boolean;
  kind?: "volume" | "database";
}): string {
  return `${o.org}/${o.id}.${o.kind === "database" ? "dump" : "tar"}${o.encrypted ? ".enc" : ""}`;
}

/** Whether an archive's file matches the size recorded for it (a cheap check before reading it all). */
export function sizeProblem(recorded: number | null, actual: number | undefined): string | undefined {
  if (actual === undefined) return "its archive file is missing from the backup store";
  if (recorded !== null && recorded !== actual) {
    return `its archive is ${actual} bytes, ${recorded} were recorded`;
  }
  return undefined;
}

export function notRestorable(b: { id: string; status: string; reason: string | null }): Error | undefined {
  if (b.status === "succeeded") return undefined;
  if (b.status === "corrupt") return new Conflict(`backup ${b.id} is corrupt: ${b.reason ?? "unknown"}`);
  if (b.status === "failed") return new Conflict(`backup ${b.id} failed: ${b.reason ?? "unknown"}`);
  return new NotFound("finished backup", b.id);
}

/**
 * How many good archives a schedule keeps of each volume and database: the newest `keepLast`, and
 * besides them the newest of each of the last `keepDaily` days and `keepWeekly` ISO weeks that have
 * one (days and weeks in UTC).
 */
export interface Retention {
  keepLast: number;
  keepDaily?: number;
  keepWeekly?: number;
}

/** A retention in words: `keep last 7, 7 daily, 4 weekly`. */
export function retentionText(r: Retention): string {
  return `keep last ${r.keepLast}${r.keepDaily ? `, ${r.keepDaily} daily` : ""}${r.keepWeekly ? `, ${r.keepWeekly} weekly` : ""}`;
}

/** `2026-W49`: the ISO week of a UTC date. */
function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** Retention: good archives of each stack and volume (or database) `r` does not keep, oldest first. */
export function backupsToPrune<
  T extends { id: string; stack: string; volume: string; status: string; createdAt: Date },
>(all: T[], r: Retention): T[] {
  const groups = new Map<string, T[]>();
  for (const b of all) {
    if (b.status !== "succeeded") continue;
    const k = `${b.stack}/${b.volume}`;
    groups.set(k, [...(groups.get(k) ?? []), b]);
  }
  const out: T[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    const kept = new Set(list.slice(0, r.keepLast));
    const newestPer = (period: (d: Date) => string, count: number) => {
      const seen = new Set<string>();
      for (const b of list) {
        const key = period(b.createdAt);
        if (seen.has(key)) continue;
        if (seen.size === count) break;
        seen.add(key);
        kept.add(b);
      }
    };
    if (r.keepDaily) newestPer((d) => d.toISOString().slice(0, 10), r.keepDaily);
    if (r.keepWeekly) newestPer(isoWeek, r.keepWeekly);
    out.push(...list.filter((b) => !kept.has(b)));
  }
  return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** `12.3 MiB`. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A progress line: `data: 12.3 MiB of 40.0 MiB (30%)`; the percent is capped below 100 until done. */
export function progressLine(
  what: string,
  done: number,
  total: number | undefined,
): { line: string; percent: number } {
  if (!total) return { line: `${what}: ${formatBytes(done)}`, percent: 0 };
  const percent = Math.min(99, Math.floor((100 * done) / total));
  return { line: `${what}: ${formatBytes(done)} of ${formatBytes(total)} (${percent}%)`, percent };
}
