// Merging several compose files, in order, the way the compose specification says (`-c a.yml -c
// b.yml`): mappings merge key by key, sequences append, shell commands are replaced, ports, volumes,
// secrets and configs are unique by their target, and list-or-mapping fields (environment, labels)
// merge by name.

type Json = unknown;

const REPLACED = new Set(["command", "entrypoint"]);
const BY_NAME = new Set(["environment", "labels", "sysctls", "annotations", "extra_hosts"]);
const UNIQUE: Record<string, (item: Json) => string> = {
  ports: (p) => (typeof p === "object" && p ? portKey(p as Record<string, unknown>) : String(p)),
  volumes: (v) =>
    typeof v === "object" && v ? String((v as { target?: unknown }).target) : volumeTarget(String(v)),
  secrets: (s) =>
    typeof s === "object" && s
      ? String((s as { target?: unknown; source?: unknown }).target ?? (s as { source?: unknown }).source)
      : String(s),
  configs: (c) =>
    typeof c === "object" && c
      ? String((c as { target?: unknown; source?: unknown }).target ?? (c as { source?: unknown }).source)
      : String(c),
};

export function mergeComposeFiles(files: Record<string, unknown>[]): Record<string, unknown> {
  return files.reduce<Record<string, unknown>>((acc, f) => merge(acc, f, []) as Record<string, unknown>, {});
}

function merge(base: Json, over: Json, path: string[]): Json {
  const key = path.at(-1) ?? "";
  const inService = path[0] === "services" && path.length >= 3;
  if (over === undefined) return base;
  if (base === undefined || base === null) return over;
  if (inService && (REPLACED.has(key) || (key === "test" && path.at(-2) === "healthcheck"))) return over;
  if (inService && BY_NAME.has(key)) return { ...toMap(base), ...toMap(over) };
  if (Array.isArray(base) && Array.isArray(over)) {
    const unique = inService ? UNIQUE[key] : undefined;
    if (!unique) return [...base, ...over];
    const out = new Map<string, Json>();
    for (const item of [...base, ...over]) out.set(unique(item), item);
    return [...out.values()];
  }
  if (isMap(base) && isMap(over)) {
    const out: Record<string, Json> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v, [...path, k]);
    return out;
  }
  return over;
}

function isMap(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `["A=1", "B"]` or `{A: 1}` as a mapping; a name without `=` keeps no value (null). */
function toMap(v: Json): Record<string, Json> {
  if (isMap(v)) return v;
  if (!Array.isArray(v)) return {};
  return Object.fromEntries(
    v.map((item) => {
      const s = String(item);
      const eq = s.indexOf("=");
      return eq < 0 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
    }),
  );
}

function portKey(p: Record<string, unknown>): string {
  return `${p.host_ip ?? ""}:${p.published ?? ""}:${p.target}/${p.protocol ?? "tcp"}`;
}

/** The container path of a short volume syntax `[source:]target[:mode]`. */
function volumeTarget(s: string): string {
  const parts = s.split(":");
  return parts.length === 1 ? parts[0]! : parts[1]!;
}
