// Decisions about customer instances, as data: which lifecycle step is allowed from which state, the
// model an instance deploys (labelled with its template, version and name), the model that scales it
// to zero, and what a step leaves the instance in. No I/O.
import { ConfigError, Conflict } from "../domain/errors.js";
import type { StackModel } from "../domain/stack.js";
import {
  type InstanceAction,
  type InstanceState,
  instanceDatabase,
  TEMPLATE_LABEL,
} from "../domain/template.js";

/** Which states each action starts from; anything else is a Conflict that says what to do. */
const ALLOWED: Record<Exclude<InstanceAction, "create">, InstanceState[]> = {
  stop: ["running"],
  start: ["stopped"],
  restart: ["running"],
  restore: ["running", "stopped"],
  suspend: ["running", "stopped"],
  resume: ["suspended"],
  upgrade: ["running"],
  rm: ["creating", "running", "stopped", "suspended", "failed"],
};

const HINT: Partial<Record<InstanceState, string>> = {
  stopped: "start it first",
  suspended: "resume it first",
  creating: "wait until its creation ends",
  failed: "remove it and create it again",
  removing: "it is being removed",
  running: "it is running",
};

export function lifecycleProblem(
  instance: { name: string; state: InstanceState },
  action: Exclude<InstanceAction, "create">,
): Conflict | undefined {
  if (ALLOWED[action].includes(instance.state)) return undefined;
  return new Conflict(
    `instance '${instance.name}' is ${instance.state}; it cannot ${action} (${HINT[instance.state] ?? "check its state"})`,
  );
}

/**
 * The rendered model with every service labelled with the template, version and instance, and the
 * template's database keys (`databases`) turned into the instance's own databases.
 */
export function instanceModel(
  model: StackModel,
  o: { template: string; version: number; instance: string; databases?: string[] },
): StackModel {
  const labels = {
    [TEMPLATE_LABEL.template]: o.template,
    [TEMPLATE_LABEL.version]: String(o.version),
    [TEMPLATE_LABEL.instance]: o.instance,
  };
  const own = (key: string) => (o.databases?.includes(key) ? instanceDatabase(o.instance, key) : key);
  return {
    ...model,
    services: model.services.map((s) => ({
      ...s,
      labels: { ...s.labels, ...labels },
      ...(s.databases ? { databases: s.databases.map(own) } : {}),
    })),
  };
}

/** The organization's names of the databases an instance of `spec` owns. */
export function instanceDatabases(instance: string, spec: { databases?: string[] }): string[] {
  return (spec.databases ?? []).map((key) => instanceDatabase(instance, key));
}

/** The model with every service at zero replicas (a global service cannot be: Conflict). */
export function stoppedModel(model: StackModel): StackModel {
  const global = model.services.find((s) => s.mode === "global");
  if (global)
    throw new Conflict(`service '${global.name}' is global (one task per node) and cannot be scaled to zero`);
  return { ...model, services: model.services.map((s) => ({ ...s, replicas: 0 })) };
}

/** Whether the model runs nothing (every service at zero replicas). */
export function isStopped(model: StackModel): boolean {
  return model.services.every((s) => s.mode !== "global" && s.replicas === 0);
}

/** An upgrade's target version: another version of the template that exists. */
export function upgradeProblem(o: {
  instance: string;
  current: number;
  to: number;
  versions: number[];
}): Conflict | undefined {
  if (!o.versions.includes(o.to))
    return new Conflict(`the template has no version ${o.to} (it has ${o.versions.join(", ")})`);
  if (o.to === o.current) return new Conflict(`instance '${o.instance}' already runs version ${o.to}`);
  return undefined;
}

/** The volumes of the model Berth creates (not external): what the first backup schedule covers. */
export function ownVolumes(model: StackModel): string[] {
  return Object.entries(model.volumes ?? {})
    .filter(([, v]) => !v.external)
    .map(([k]) => k)
    .sort();
}

/** What an instance restore puts back: one backup set (the archives one backup job made). */
export interface RestoreSet {
  /** The backup job that made the set. */
  job: string;
  volumes: { id: string; key: string }[];
  /** The instance's own databases, by their key in the template. */
  databases: { id: string; key: string }[];
}

interface BackupLike {
  id: string;
  jobId: string | null;
  kind: "volume" | "database";
  source: string;
  status: string;
  createdAt: Date;
}

/**
 * The backup set of an instance a restore uses: the one holding `backupId`, else the newest whose
 * every archive succeeded. A set with an archive that did not succeed is refused (Conflict naming
 * it); `backupId` not among the instance's backups is a ConfigError on `backup`.
 */
export function restoreSet(instance: string, backups: BackupLike[], backupId?: string): RestoreSet {
  const sets = new Map<string, BackupLike[]>();
  for (const b of backups) if (b.jobId) sets.set(b.jobId, [...(sets.get(b.jobId) ?? []), b]);
  let job: string | undefined;
  if (backupId) {
    job = backups.find((b) => b.id === backupId)?.jobId ?? undefined;
    if (!job) throw new ConfigError("backup", `backup ${backupId} is not one of instance '${instance}''s`);
  } else {
    const newest = (list: BackupLike[]) => Math.max(...list.map((b) => b.createdAt.getTime()));
    job = [...sets.entries()]
      .filter(([, list]) => list.every((b) => b.status === "succeeded"))
      .sort(([, a], [, b]) => newest(b) - newest(a))[0]?.[0];
    if (!job)
      throw new Conflict(`instance '${instance}' has no complete backup (berth backup create ${instance})`);
  }
  const list = sets.get(job)!;
  const bad = list.find((b) => b.status !== "succeeded");
  if (bad)
    throw new Conflict(`backup ${bad.id} (${bad.source}) of that set is ${bad.status}; choose another set`);
  const prefix = `${instance}-`;
  return {
    job,
    volumes: list
      .filter((b) => b.kind === "volume")
      .map((b) => ({ id: b.id, key: b.source }))
      .sort((a, b) => a.key.localeCompare(b.key)),
    databases: list
      .filter((b) => b.kind === "database" && b.source.startsWith(prefix))
      .map((b) => ({ id: b.id, key: b.source.slice(prefix.length) }))
      .sort((a, b) => a.key.localeCompare(b.key)),
  };
}
