// After interpolation every substituted value is a string; fields the compose format types as
// numbers or booleans get their type back here (`replicas: ${N}` -> 3), as docker's loader does.

type Kind = "int" | "float" | "bool";

/** Paths (with `*` for any key or index) of typed fields that users commonly interpolate. */
const TYPED: [string, Kind][] = [
  ["services.*.deploy.replicas", "int"],
  ["services.*.deploy.update_config.parallelism", "int"],
  ["services.*.deploy.update_config.max_failure_ratio", "float"],
  ["services.*.deploy.rollback_config.parallelism", "int"],
  ["services.*.deploy.rollback_config.max_failure_ratio", "float"],
  ["services.*.deploy.restart_policy.max_attempts", "int"],
  ["services.*.deploy.placement.max_replicas_per_node", "int"],
  ["services.*.deploy.resources.limits.pids", "int"],
  ["services.*.healthcheck.retries", "int"],
  ["services.*.healthcheck.disable", "bool"],
  ["services.*.ports.*.target", "int"],
  ["services.*.ports.*.published", "int"],
  ["services.*.ulimits.*", "int"],
  ["services.*.ulimits.*.soft", "int"],
  ["services.*.ulimits.*.hard", "int"],
  ["services.*.init", "bool"],
  ["services.*.read_only", "bool"],
  ["services.*.tty", "bool"],
  ["services.*.stdin_open", "bool"],
  ["services.*.privileged", "bool"],
  ["services.*.volumes.*.read_only", "bool"],
  ["networks.*.external", "bool"],
  ["networks.*.attachable", "bool"],
  ["networks.*.internal", "bool"],
  ["volumes.*.external", "bool"],
  ["secrets.*.external", "bool"],
  ["configs.*.external", "bool"],
];

export function castTypes<T>(doc: T): T {
  return walk(doc, []) as T;
}

function walk(node: unknown, path: string[]): unknown {
  if (typeof node === "string") return cast(node, kindAt(path));
  if (Array.isArray(node)) return node.map((v, i) => walk(v, [...path, String(i)]));
  if (node !== null && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]));
  }
  return node;
}

function kindAt(path: string[]): Kind | undefined {
  for (const [pattern, kind] of TYPED) {
    const parts = pattern.split(".");
    if (parts.length === path.length && parts.every((p, i) => p === "*" || p === path[i])) return kind;
  }
  return undefined;
}

function cast(value: string, kind: Kind | undefined): unknown {
  if (kind === "int" && /^-?\d+$/.test(value.trim())) return Number(value);
  if (kind === "float" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  if (kind === "bool") {
    const v = value.trim().toLowerCase();
    if (["true", "yes", "y", "on", "1"].includes(v)) return true;
    if (["false", "no", "n", "off", "0"].includes(v)) return false;
  }
  return value; // left as it is: validation then says what is wrong, and where
}
