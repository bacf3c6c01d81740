// What changed between two revisions of a stack, in the user's terms: services added, removed or
// changed (and which fields), and the stack's networks, volumes, secrets and configs. It compares
// stack models, not Swarm specs (the live spec's drift is `changedFields` in reconcile.ts).
//
// Values are shown only for fields that cannot hold a secret (image, replicas, mode, ports, endpoint
// mode, a health check's kind and timings). Environment variables, labels, secrets and the like are
// named by key, never by value; commands and every other field are only named as changed: users put
// credentials in all of them.
import type { ServiceModel, StackModel } from "../domain/stack.js";
import { healthcheckText } from "./healthcheck.js";

export interface FieldChange {
  field: string;
  /** Old and new value, only for fields that cannot hold a secret. */
  from?: string;
  to?: string;
  /** Keys added, removed and changed, for keyed fields (env, labels, secrets, networks, mounts...). */
  added?: string[];
  removed?: string[];
  changed?: string[];
}

export interface ServiceChange {
  service: string;
  change: "added" | "removed" | "changed";
  /** What changed (empty for a service added or removed). */
  fields: FieldChange[];
}

export interface ModelDiff {
  /** Services that differ, by name; unchanged ones are left out. */
  services: ServiceChange[];
  /** The stack's own networks, volumes, secrets and configs that differ, by key. */
  objects: FieldChange[];
}

type Keyed = Record<string, unknown>;

/** Fields whose values are shown, rendered as text. */
const SHOWN: Record<string, (s: ServiceModel) => string> = {
  image: (s) => s.image,
  replicas: (s) => String(s.replicas),
  mode: (s) => s.mode ?? "replicated",
  ports: (s) => s.ports.map(portText).join(" ") || "(none)",
  endpointMode: (s) => s.endpointMode ?? "vip",
};

/** Fields compared key by key; list fields are keyed by what identifies an entry. */
const KEYED: Record<string, (s: ServiceModel) => Keyed | undefined> = {
  env: (s) => s.env,
  labels: (s) => s.labels,
  containerLabels: (s) => s.containerLabels,
  sysctls: (s) => s.sysctls,
  ulimits: (s) => s.ulimits,
  secrets: (s) => byKey(s.secrets, (r) => r.source),
  configs: (s) => byKey(s.configs, (r) => r.source),
  networks: (s) => byKey(s.networks, (n) => n.name),
  mounts: (s) => byKey(s.mounts, (m) => m.target),
  domains: (s) => byKey(s.domains, (d) => `${d.host}${d.path}`),
};

export function diffModels(from: StackModel, to: StackModel): ModelDiff {
  const before = new Map(from.services.map((s) => [s.name, s]));
  const after = new Map(to.services.map((s) => [s.name, s]));
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  const services: ServiceChange[] = [];
  for (const service of names) {
    const a = before.get(service);
    const b = after.get(service);
    if (!a) services.push({ service, change: "added", fields: [] });
    else if (!b) services.push({ service, change: "removed", fields: [] });
    else {
      const fields = serviceFields(a, b);
      if (fields.length) services.push({ service, change: "changed", fields });
    }
  }
  const objects = (["networks", "volumes", "secrets", "configs"] as const).flatMap((field) => {
    const change = keyedChange(field, objectsOf(from[field]), objectsOf(to[field]));
    return change ? [change] : [];
  });
  return { services, objects };
}

function serviceFields(a: ServiceModel, b: ServiceModel): FieldChange[] {
  const out: FieldChange[] = [];
  for (const [field, text] of Object.entries(SHOWN)) {
    if (text(a) !== text(b)) out.push({ field, from: text(a), to: text(b) });
  }
  for (const [field, get] of Object.entries(KEYED)) {
    const change = keyedChange(field, get(a), get(b));
    if (change) out.push(change);
  }
  // A health check in words (its kind and timings, never its command): named only when two
  // commands differ and read the same.
  if (canonical(a.healthcheck) !== canonical(b.healthcheck)) {
    const [from, to] = [healthcheckText(a.healthcheck), healthcheckText(b.healthcheck)];
    out.push(from === to ? { field: "healthcheck" } : { field: "healthcheck", from, to });
  }
  // Every other field of the model, named only: a field added to ServiceModel later is still seen.
  const handled = new Set(["name", "healthcheck", ...Object.keys(SHOWN), ...Object.keys(KEYED)]);
  const rest = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !handled.has(k)).sort();
  for (const field of rest) {
    const get = (s: ServiceModel) => canonical((s as unknown as Keyed)[field]);
    if (get(a) !== get(b)) out.push({ field });
  }
  return out;
}

function keyedChange(field: string, a: Keyed | undefined, b: Keyed | undefined): FieldChange | undefined {
  const x = a ?? {};
  const y = b ?? {};
  const added = Object.keys(y)
    .filter((k) => !(k in x))
    .sort();
  const removed = Object.keys(x)
    .filter((k) => !(k in y))
    .sort();
  const changed = Object.keys(y)
    .filter((k) => k in x && canonical(x[k]) !== canonical(y[k]))
    .sort();
  if (!added.length && !removed.length && !changed.length) return undefined;
  return {
    field,
    ...(added.length ? { added } : {}),
    ...(removed.length ? { removed } : {}),
    ...(changed.length ? { changed } : {}),
  };
}

/**
 * Secrets and configs compare by their content's digest: a secret's sealed value differs each time it
 * is sealed, even for the same content.
 */
function objectsOf(defs: Record<string, object> | undefined): Keyed | undefined {
  if (!defs) return undefined;
  return Object.fromEntries(
    Object.entries(defs).map(([k, v]) => {
      const { data, ...rest } = v as { data?: string; digest?: string };
      return [k, rest.digest ? rest : { ...rest, data }];
    }),
  );
}

function byKey<T>(list: T[] | undefined, key: (t: T) => string): Keyed | undefined {
  return list && Object.fromEntries(list.map((t) => [key(t), t]));
}

/** `[published:]target/protocol[ (mode)]`, as docker writes ports. */
function portText(p: ServiceModel["ports"][number]): string {
  const published = p.published === undefined ? "" : `${p.published}:`;
  return `${published}${p.target}/${p.protocol}${p.mode ? ` (${p.mode})` : ""}`;
}

/** JSON with sorted keys: the database hands jsonb back with its keys in its own order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)))
      : x,
  );
}
