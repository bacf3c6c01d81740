// Templates and customer instances: the vocabulary shared by config, plan, apply and the API.
//
// A template is a compose file plus declared variables (`x-berth-template`), kept per organization in
// numbered versions. An instance is one deployment of one template version for one customer: a stack
// named after the instance, the variable values it was given, and the secrets Berth generated for it.

export const VARIABLE_TYPES = ["string", "int", "bool", "domain"] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

export const GENERATORS = ["password", "token"] as const;
export type Generator = (typeof GENERATORS)[number];

export interface TemplateVariable {
  type: VariableType;
  /** Taken when the instance gives no value (as text, checked against the type at add time). */
  default?: string;
  required: boolean;
  /** A JavaScript regular expression the whole value must match. */
  pattern?: string;
  /** Berth makes the value when the instance is created; sealed at rest, never shown. */
  generate?: Generator;
  description?: string;
}

/** What `x-berth-template` declares. */
export interface TemplateSpec {
  variables: Record<string, TemplateVariable>;
  /** The first backup schedule of each instance's volumes and databases, with its retention. */
  backup: { cron: string; keepLast: number; keepDaily?: number; keepWeekly?: number };
  /**
   * Managed databases each instance gets of its own (`databases: [main]`), named by these keys in
   * services' `x-berth-databases`; the organization's database is `<instance>-<key>`. Absent: none.
   */
  databases?: string[];
}

/** The organization's name of an instance's database `key`. */
export function instanceDatabase(instance: string, key: string): string {
  return `${instance}-${key}`;
}

export const DEFAULT_INSTANCE_BACKUP = { cron: "0 3 * * *", keepLast: 7 } as const;

/** The extension key of a template's declarations in its compose file. */
export const TEMPLATE_KEY = "x-berth-template";

/** Service labels that say which template, version and instance a stack was made from. */
export const TEMPLATE_LABEL = {
  template: "berth.template",
  version: "berth.template.version",
  instance: "berth.template.instance",
} as const;

/**
 * `creating` until its first deployment succeeded; `running`, `stopped` (scaled to zero),
 * `suspended` (scaled to zero, routes in maintenance); `failed` when creation did not finish;
 * `removing` once `rm` is asked for.
 */
export const INSTANCE_STATES = ["creating", "running", "stopped", "suspended", "failed", "removing"] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

export const INSTANCE_ACTIONS = [
  "create",
  "stop",
  "start",
  "restart",
  "suspend",
  "resume",
  "upgrade",
  "restore",
  "rm",
] as const;
export type InstanceAction = (typeof INSTANCE_ACTIONS)[number];

/** The job that carries every change to an instance, one at a time per instance. */
export const INSTANCE_JOB = "instance";
