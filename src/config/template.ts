// Templates: a compose file whose `x-berth-template` declares the variables an instance fills in.
//
//     x-berth-template:
//       variables:
//         domain: {type: domain, required: true}
//         plan:   {type: string, default: basic, pattern: "basic|pro"}
//         admin_password: {generate: password}
//       backup: {cron: "0 3 * * *", keep_last: 7}
//       databases: [main]          # each instance's own database, `x-berth-databases: [main]`
//
// Checked when a version is added: every `${var}` the file uses is declared, patterns are valid
// regular expressions, defaults fit their type and pattern, generated values reach services only as
// Docker secrets (`secrets.<key>.environment: <var>`), services name only declared databases, and
// the file renders with its defaults. An
// instance's values are checked the same way (`set.<var>`) before anything is created.
import { ConfigError } from "../domain/errors.js";
import {
  DEFAULT_INSTANCE_BACKUP,
  GENERATORS,
  type Generator,
  TEMPLATE_KEY,
  type TemplateSpec,
  type TemplateVariable,
  VARIABLE_TYPES,
  type VariableType,
} from "../domain/template.js";
import { castTypes } from "./compose/cast.js";
import { inlineFiles } from "./compose/files.js";
import { interpolate } from "./compose/interpolate.js";
import { parseComposeFile, validateCompose } from "./compose/load.js";
import { type ComposeModel, composeToModel, DATABASES_KEY } from "./compose/to-model.js";
import { normalizeHostname } from "./hostname.js";

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const VAR_FIELDS = ["type", "default", "required", "pattern", "generate", "description"];
const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/g;

type Doc = Record<string, unknown>;

const isMapping = (v: unknown): v is Doc => v !== null && typeof v === "object" && !Array.isArray(v);

/** Parses and checks a template file; returns its declarations. */
export function parseTemplate(file: string, text: string): TemplateSpec {
  const { data } = parseComposeFile(file, text);
  const spec = templateSpec(data[TEMPLATE_KEY], `${file} ${TEMPLATE_KEY}`);
  checkReferences(data, spec, file);
  // The file renders with its defaults (and sample values for the rest).
  const sample = Object.fromEntries(
    Object.entries(spec.variables).map(([k, v]) => [k, v.default ?? sampleValue(v)]),
  );
  renderTemplate({ file, text, values: sample, org: "template-check", stack: "template-check" });
  return spec;
}

const SPEC_FIELDS = ["variables", "backup", "databases"];

function templateSpec(raw: unknown, at: string): TemplateSpec {
  if (raw === undefined) return { variables: {}, backup: { ...DEFAULT_INSTANCE_BACKUP } };
  if (!isMapping(raw)) throw new ConfigError(at, "must be a mapping with `variables` (and `backup`)");
  const extra = Object.keys(raw).find((k) => !SPEC_FIELDS.includes(k));
  if (extra) throw new ConfigError(`${at}.${extra}`, `unknown field (${SPEC_FIELDS.join(", ")})`);
  const vars = raw.variables ?? {};
  if (!isMapping(vars)) throw new ConfigError(`${at}.variables`, "must be a mapping of variable names");
  const variables: Record<string, TemplateVariable> = {};
  for (const [name, def] of Object.entries(vars)) {
    variables[name] = variable(name, def ?? {}, `${at}.variables.${name}`);
  }
  const databases = databaseKeys(raw.databases, `${at}.databases`);
  return {
    variables,
    backup: backupSpec(raw.backup, `${at}.backup`),
    ...(databases.length ? { databases } : {}),
  };
}

/** A database key: short enough that `<instance>-<key>` stays a database name. */
const DB_KEY = /^[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?$/;

function databaseKeys(raw: unknown, at: string): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ConfigError(at, "must be a list of database keys, such as [main]");
  for (const [i, key] of raw.entries()) {
    if (typeof key !== "string" || !DB_KEY.test(key))
      throw new ConfigError(
        `${at}.${i}`,
        "a database key is 1 to 8 lowercase letters, digits and '-', starting and ending with a letter or digit",
      );
  }
  if (new Set(raw).size !== raw.length) throw new ConfigError(at, "lists a database twice");
  return raw as string[];
}

function variable(name: string, def: unknown, at: string): TemplateVariable {
  if (!VAR_NAME.test(name))
    throw new ConfigError(at, "a variable name is letters, digits and '_', not first a digit");
  if (!isMapping(def))
    throw new ConfigError(at, "must be a mapping (type, default, required, pattern, generate)");
  const extra = Object.keys(def).find((k) => !VAR_FIELDS.includes(k));
  if (extra) throw new ConfigError(`${at}.${extra}`, `unknown field (${VAR_FIELDS.join(", ")})`);
  const type = (def.type ?? "string") as VariableType;
  if (!VARIABLE_TYPES.includes(type))
    throw new ConfigError(`${at}.type`, `must be one of ${VARIABLE_TYPES.join(", ")}`);
  if (def.required !== undefined && typeof def.required !== "boolean")
    throw new ConfigError(`${at}.required`, "must be true or false");
  const v: TemplateVariable = { type, required: def.required === true };
  if (def.description !== undefined) v.description = String(def.description);
  if (def.pattern !== undefined) {
    if (typeof def.pattern !== "string")
      throw new ConfigError(`${at}.pattern`, "must be a regular expression");
    try {
      new RegExp(def.pattern);
    } catch (err) {
      throw new ConfigError(`${at}.pattern`, `is not a valid regular expression: ${(err as Error).message}`);
    }
    v.pattern = def.pattern;
  }
  if (def.generate !== undefined) {
    if (!GENERATORS.includes(def.generate as Generator))
      throw new ConfigError(`${at}.generate`, `must be one of ${GENERATORS.join(", ")}`);
    if (type !== "string") throw new ConfigError(`${at}.generate`, "only a string variable can be generated");
    if (def.default !== undefined || v.required || v.pattern)
      throw new ConfigError(`${at}.generate`, "a generated variable takes no default, required or pattern");
    v.generate = def.generate as Generator;
  }
  if (def.default !== undefined) {
    if (isMapping(def.default) || Array.isArray(def.default) || def.default === null)
      throw new ConfigError(`${at}.default`, "must be a single value");
    v.default = checkValue(name, v, String(def.default), `${at}.default`);
  }
  return v;
}

const BACKUP_FIELDS = ["cron", "keep_last", "keep_daily", "keep_weekly"];

function backupSpec(raw: unknown, at: string): TemplateSpec["backup"] {
  if (raw === undefined) return { ...DEFAULT_INSTANCE_BACKUP };
  if (!isMapping(raw)) throw new ConfigError(at, `must be a mapping (${BACKUP_FIELDS.join(", ")})`);
  const extra = Object.keys(raw).find((k) => !BACKUP_FIELDS.includes(k));
  if (extra) throw new ConfigError(`${at}.${extra}`, `unknown field (${BACKUP_FIELDS.join(", ")})`);
  const cron = raw.cron ?? DEFAULT_INSTANCE_BACKUP.cron;
  if (typeof cron !== "string" || cron.trim().split(/\s+/).length < 5)
    throw new ConfigError(`${at}.cron`, "must be a cron expression (5 fields)");
  const count = (key: string, min: number): number | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > 1000)
      throw new ConfigError(`${at}.${key}`, `must be a whole number from ${min} to 1000`);
    return v as number;
  };
  const keepDaily = count("keep_daily", 0);
  const keepWeekly = count("keep_weekly", 0);
  return {
    cron,
    keepLast: count("keep_last", 1) ?? DEFAULT_INSTANCE_BACKUP.keepLast,
    ...(keepDaily ? { keepDaily } : {}),
    ...(keepWeekly ? { keepWeekly } : {}),
  };
}

/** Every `${var}` in the file is declared; generated values appear only as secrets' `environment`. */
function checkReferences(data: Doc, spec: TemplateSpec, file: string): void {
  const walk = (v: unknown, path: string): void => {
    if (typeof v === "string") {
      for (const m of v.matchAll(REFERENCE)) {
        const name = m[1] ?? m[2];
        if (!name) continue;
        const declared = spec.variables[name];
        if (!declared)
          throw new ConfigError(
            `${file} ${path}`,
            `uses \${${name}}, which is not declared under ${TEMPLATE_KEY}.variables`,
          );
        if (declared.generate)
          throw new ConfigError(
            `${file} ${path}`,
            `uses generated variable ${name}; a generated value reaches a service only as a secret (secrets.<key>.environment: ${name})`,
          );
      }
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${path}.${i}`);
    } else if (isMapping(v)) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  for (const [k, v] of Object.entries(data)) if (k !== TEMPLATE_KEY) walk(v, k);
  for (const [key, def] of Object.entries(isMapping(data.secrets) ? data.secrets : {})) {
    if (!isMapping(def)) continue;
    if (def.file !== undefined)
      throw new ConfigError(
        `${file} secrets.${key}.file`,
        "a template cannot read files; use environment: <variable>",
      );
    if (typeof def.environment === "string" && !spec.variables[def.environment])
      throw new ConfigError(
        `${file} secrets.${key}.environment`,
        `${def.environment} is not a declared variable`,
      );
  }
  for (const [key, def] of Object.entries(isMapping(data.configs) ? data.configs : {})) {
    if (isMapping(def) && def.file !== undefined)
      throw new ConfigError(`${file} configs.${key}.file`, "a template cannot read files; use content");
  }
  for (const [name, svc] of Object.entries(isMapping(data.services) ? data.services : {})) {
    if (isMapping(svc) && svc.env_file !== undefined)
      throw new ConfigError(
        `${file} services.${name}.env_file`,
        "a template cannot read files; use environment",
      );
    const wanted = isMapping(svc) ? svc[DATABASES_KEY] : undefined;
    for (const [i, key] of (Array.isArray(wanted) ? wanted : []).entries()) {
      if (!spec.databases?.includes(key))
        throw new ConfigError(
          `${file} services.${name}.${DATABASES_KEY}.${i}`,
          `names database '${key}', which is not declared under ${TEMPLATE_KEY}.databases (each instance gets its own)`,
        );
    }
  }
}

function sampleValue(v: TemplateVariable): string {
  if (v.generate) return "generated-sample";
  return { string: "sample", int: "1", bool: "true", domain: "sample.example.com" }[v.type];
}

/** A value checked against its variable's type and pattern; `at` names it in errors. */
export function checkValue(name: string, v: TemplateVariable, value: string, at = `set.${name}`): string {
  let out = value;
  if (v.type === "int" && !/^-?\d{1,15}$/.test(value))
    throw new ConfigError(at, `must be a whole number, not '${clip(value)}'`);
  if (v.type === "bool") {
    if (!/^(true|false)$/i.test(value))
      throw new ConfigError(at, `must be true or false, not '${clip(value)}'`);
    out = value.toLowerCase();
  }
  if (v.type === "domain") out = normalizeHostname(value, at);
  if (v.pattern && !new RegExp(`^(?:${v.pattern})$`).test(out))
    throw new ConfigError(at, `'${clip(value)}' does not match the pattern ${v.pattern}`);
  return out;
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}...` : s);

export interface ResolvedValues {
  /** Values given or defaulted (shown with the instance). */
  values: Record<string, string>;
  /** Generated values (plain here; sealed before they are stored). */
  secrets: Record<string, string>;
}

/**
 * The values of an instance: `given` checked (unknown variable, missing required, type, pattern: a
 * ConfigError naming `set.<var>`), defaults for the rest, and generated values made by `generate`
 * unless `kept` already has them (an upgrade keeps the instance's secrets).
 */
export function resolveValues(
  spec: TemplateSpec,
  o: {
    given: Record<string, string>;
    kept?: Record<string, string>;
    generate: (g: Generator) => string;
    /** How a missing required value is reported (create: `set.<var>`; upgrade: names the version). */
    missing?: (name: string) => Error;
  },
): ResolvedValues {
  const declared = Object.keys(spec.variables);
  for (const k of Object.keys(o.given)) {
    const v = spec.variables[k];
    if (!v)
      throw new ConfigError(
        `set.${k}`,
        `is not a variable of this template (it declares ${declared.join(", ") || "none"})`,
      );
    if (v.generate) throw new ConfigError(`set.${k}`, "is generated by Berth and cannot be set");
  }
  const values: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [name, v] of Object.entries(spec.variables)) {
    if (v.generate) {
      secrets[name] = o.kept?.[name] ?? o.generate(v.generate);
      continue;
    }
    const given = o.given[name];
    if (given !== undefined) values[name] = checkValue(name, v, given);
    else if (v.default !== undefined) values[name] = v.default;
    else if (v.required)
      throw o.missing?.(name) ?? new ConfigError(`set.${name}`, `is required (--set ${name}=...)`);
    else values[name] = "";
  }
  return { values, secrets };
}

/**
 * The compose file with the values put in, as the stack model of `stack`: interpolated, cast,
 * validated, secrets read from the values (`environment: <var>`), converted.
 */
export function renderTemplate(o: {
  file: string;
  text: string;
  values: Record<string, string>;
  org: string;
  stack: string;
}): ComposeModel {
  const { data } = parseComposeFile(o.file, o.text);
  const { [TEMPLATE_KEY]: _t, ...rest } = data;
  const doc = castTypes(interpolate(rest, o.values) as Doc);
  // Secrets' `environment` is read first: the values travel inline (x-berth-data), as the CLI sends them.
  const inlined = inlineFiles(
    doc,
    o.file,
    (path) => {
      throw new Error(`a template cannot read ${path}`);
    },
    o.values,
  );
  validateCompose({ name: o.file, data: inlined, lineOf: () => undefined });
  return composeToModel(inlined, o.org, o.stack);
}
