// Decisions about customer instances, as data: which lifecycle step is allowed from which state, the
// model an instance deploys (labelled with its template, version and name), the model that scales it
// to zero, and what a step leaves the instance in. No I/O.
import { Conflict } from "../domain/errors.js";
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
