// Customer instances, the requests: everything that can be checked is checked before anything is
// stored or queued (the variables, the name, the rendered stack's admission and domains), then one
// `instance` job does the work (apply/instance-jobs.ts). Jobs of one instance run one at a time, in
// the order they were asked for.
import { randomBytes } from "node:crypto";
import { renderTemplate, resolveValues } from "../config/template.js";
import { ConfigError, Conflict, NotFound } from "../domain/errors.js";
import { nameProblem } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import { type Generator, INSTANCE_JOB, type InstanceAction } from "../domain/template.js";
import {
  instanceDatabases,
  instanceModel,
  lifecycleProblem,
  type RestoreSet,
  restoreSet,
  upgradeProblem,
} from "../plan/instance.js";
import type { PolicyRelaxations } from "../plan/policy.js";
import { listBackups } from "../store/backups.js";
import { getDatabase } from "../store/databases.js";
import { getStack, orgIdOf } from "../store/stacks.js";
import {
  findInstance,
  getInstance,
  getTemplate,
  type InstanceRow,
  insertInstance,
  listInstances,
  type TemplateRow,
  templateVersions,
} from "../store/templates.js";
import { admit } from "./admission.js";
import { checkStackDomains } from "./domains.js";
import type { Platform } from "./platform.js";

interface Acting {
  org: string;
  policy: PolicyRelaxations;
  requestedBy: string;
  correlationId: string;
}

/** A generated secret: 24 random bytes (password) or 32 (token), base64url. */
export function generateSecret(g: Generator): string {
  return randomBytes(g === "token" ? 32 : 24).toString("base64url");
}

/** The stack model of an instance at a template version, with its values (secrets opened). */
export function renderInstance(
  p: Platform,
  o: {
    org: string;
    name: string;
    template: TemplateRow;
    values: Record<string, string>;
    secrets: Record<string, string>;
  },
): StackModel {
  const opened = Object.fromEntries(
    Object.entries(o.secrets).map(([k, v]) => [k, p.sealer.open(v).toString("utf8")]),
  );
  const { model } = renderTemplate({
    file: `${o.template.name} version ${o.template.version}`,
    text: o.template.source,
    values: { ...o.values, ...opened },
    org: o.org,
    stack: o.name,
  });
  return instanceModel(model, {
    template: o.template.name,
    version: o.template.version,
    instance: o.name,
    ...(o.template.spec.databases ? { databases: o.template.spec.databases } : {}),
  });
}

const seal = (p: Platform, secrets: Record<string, string>) =>
  Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, p.sealer.seal(Buffer.from(v, "utf8"))]));

export async function requestCreateInstance(
  p: Platform,
  a: Acting,
  o: {
    template: string;
    version?: number;
    name: string;
    set: Record<string, string>;
    /** A copy of another instance: this backup set is put back before it counts as running. */
    restore?: RestoreSet;
    /**
     * A copy's generated secrets, sealed, as the source instance has them: its data was made with
     * them (an app's signing or encryption key, a first admin's password).
     */
    keepSecrets?: Record<string, string>;
  },
): Promise<{ instance: InstanceRow; jobId: string }> {
  const problem = nameProblem("stack", o.name);
  if (problem) throw new ConfigError("name", `instance name ${problem}`);
  const orgId = await orgIdOf(p.db, a.org);
  const template = await getTemplate(p.db, orgId, o.template, o.version);
  if (await findInstance(p.db, orgId, o.name))
    throw new Conflict(`an instance named '${o.name}' exists already`);
  const stack = await getStack(p.db, orgId, o.name).catch((err) => {
    if (err instanceof NotFound) return undefined;
    throw err;
  });
  if (stack) throw new Conflict(`a stack named '${o.name}' exists already; choose another instance name`);
  await checkDatabaseNames(p, orgId, o.name, template);
  const { values, secrets } = resolveSealed(p, template.spec, { given: o.set, kept: o.keepSecrets ?? {} });
  const model = renderInstance(p, { org: a.org, name: o.name, template, values, secrets });
  await admit(p, orgId, model, a.policy);
  await checkStackDomains(p, orgId, model);
  const instance = await insertInstance(p.db, {
    orgId,
    name: o.name,
    template: template.name,
    version: template.version,
    values,
    secrets,
    createdBy: a.requestedBy,
  });
  const jobId = await enqueue(p, a, {
    orgId,
    instance: o.name,
    action: "create",
    ...(o.restore ? { restore: o.restore } : {}),
  });
  return { instance, jobId };
}

/**
 * Restores one backup set of an instance (`backup`: any archive of the set; default the newest
 * complete one): into the instance itself (stopped meanwhile when it runs), or `into` a new instance
 * of the same template version, values (`set` overrides some, such as its domain) and generated
 * secrets; the copy's databases get roles and passwords of their own.
 */
export async function requestRestoreInstance(
  p: Platform,
  a: Acting,
  o: { name: string; backup?: string; into?: string; set?: Record<string, string> },
): Promise<{ instance: InstanceRow; jobId: string }> {
  const orgId = await orgIdOf(p.db, a.org);
  const instance = await getInstance(p.db, orgId, o.name);
  const set = restoreSet(o.name, await listBackups(p.db, orgId, { stack: o.name }), o.backup);
  if (o.into === undefined) {
    if (o.set && Object.keys(o.set).length)
      throw new ConfigError("set", "values are set only for a copy (with `into`)");
    const refused = lifecycleProblem(instance, "restore");
    if (refused) throw refused;
    const jobId = await enqueue(p, a, { orgId, instance: o.name, action: "restore", restore: set });
    return { instance, jobId };
  }
  return requestCreateInstance(p, a, {
    template: instance.template,
    version: instance.version,
    name: o.into,
    set: { ...instance.values, ...o.set },
    restore: set,
    keepSecrets: instance.secrets,
  });
}

/** The databases the instance would own are valid names, none taken in the organization. */
async function checkDatabaseNames(p: Platform, orgId: string, name: string, template: TemplateRow) {
  for (const db of instanceDatabases(name, template.spec)) {
    const problem = nameProblem("stack", db);
    if (problem) throw new ConfigError("name", `the instance's database would be '${db}', which ${problem}`);
    if (await getDatabase(p.db, orgId, db).catch(() => undefined))
      throw new Conflict(`a database named '${db}' exists already; choose another instance name`);
  }
}

/**
 * A lifecycle step (stop, start, restart, suspend, resume, upgrade, rm) as a job. Refused at once
 * when the instance's state does not allow it; an upgrade whose version adds a required variable
 * without a default is refused here, before anything.
 */
export async function requestInstanceAction(
  p: Platform,
  a: Acting,
  o: {
    name: string;
    action: Exclude<InstanceAction, "create">;
    to?: number;
    finalBackup?: boolean;
    keepDatabases?: boolean;
  },
): Promise<{ instance: InstanceRow; jobId: string }> {
  const orgId = await orgIdOf(p.db, a.org);
  const instance = await getInstance(p.db, orgId, o.name);
  const refused = lifecycleProblem(instance, o.action);
  if (refused) throw refused;
  if (o.action === "upgrade") {
    if (o.to === undefined) throw new ConfigError("to", "name the version to upgrade to (--to <n>)");
    await upgradeValues(p, { orgId, instance, to: o.to });
  }
  const jobId = await enqueue(p, a, {
    orgId,
    instance: o.name,
    action: o.action,
    ...(o.to === undefined ? {} : { to: o.to }),
    ...(o.action === "rm"
      ? { finalBackup: o.finalBackup !== false, keepDatabases: o.keepDatabases === true }
      : {}),
  });
  return { instance, jobId };
}

/**
 * The template version an upgrade goes to and the instance's values there: the same values, defaults
 * for new variables, new secrets generated (existing ones kept). A required new variable without a
 * default is a Conflict.
 */
export async function upgradeValues(p: Platform, o: { orgId: string; instance: InstanceRow; to: number }) {
  const { instance } = o;
  const refused = upgradeProblem({
    instance: instance.name,
    current: instance.version,
    to: o.to,
    versions: await templateVersions(p.db, o.orgId, instance.template),
  });
  if (refused) throw refused;
  const template = await getTemplate(p.db, o.orgId, instance.template, o.to);
  const given = Object.fromEntries(
    Object.entries(instance.values).filter(([k]) => {
      const v = template.spec.variables[k];
      return v && !v.generate;
    }),
  );
  const fresh = resolveSealed(p, template.spec, {
    given,
    kept: instance.secrets,
    missing: (name) =>
      new Conflict(
        `version ${o.to} of template '${instance.template}' requires variable '${name}', which has no default; instance '${instance.name}' has no value for it`,
      ),
  });
  return { template, values: fresh.values, secrets: fresh.secrets };
}

/**
 * The template's values and sealed secrets: `given` values checked; each generated secret kept as it
 * is (sealed) where `kept` has it, the others generated and sealed now.
 */
function resolveSealed(
  p: Platform,
  spec: TemplateRow["spec"],
  o: { given: Record<string, string>; kept: Record<string, string>; missing?: (name: string) => Error },
) {
  const kept = Object.fromEntries(Object.entries(o.kept).filter(([k]) => spec.variables[k]?.generate));
  const fresh = resolveValues(spec, {
    given: o.given,
    kept: Object.fromEntries(Object.keys(kept).map((k) => [k, ""])),
    generate: generateSecret,
    ...(o.missing ? { missing: o.missing } : {}),
  });
  const made = Object.entries(fresh.secrets).filter(([k]) => !(k in kept));
  return { values: fresh.values, secrets: { ...seal(p, Object.fromEntries(made)), ...kept } };
}

async function enqueue(
  p: Platform,
  a: Acting,
  o: {
    orgId: string;
    instance: string;
    action: InstanceAction;
    to?: number;
    finalBackup?: boolean;
    keepDatabases?: boolean;
    restore?: RestoreSet;
  },
): Promise<string> {
  const { orgId, ...payload } = o;
  const job = await p.jobs.enqueue({
    type: INSTANCE_JOB,
    orgId,
    target: o.instance,
    payload: { ...payload, org: a.org, policy: a.policy },
    correlationId: a.correlationId,
    requestedBy: a.requestedBy,
  });
  return job.id;
}

export async function viewInstances(p: Platform, org: string, o: { template?: string } = {}) {
  return listInstances(p.db, await orgIdOf(p.db, org), o);
}

export async function showInstance(p: Platform, org: string, name: string) {
  return getInstance(p.db, await orgIdOf(p.db, org), name);
}
