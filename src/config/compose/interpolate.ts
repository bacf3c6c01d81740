// Variable interpolation in compose files, as `docker stack deploy` does it: `$VAR`, `${VAR}`,
// `${VAR:-default}` (unset or empty), `${VAR-default}` (unset), `${VAR:?message}` and `${VAR?message}`
// (required), and `$$` for a literal `$`. Applied to every string value, never to keys; errors name
// the path of the value.
import { ConfigError } from "../../domain/errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

const NAME = "[A-Za-z_][A-Za-z0-9_]*";
const TOKEN = new RegExp(
  `\\$(?:(\\$)|(${NAME})|\\{(${NAME})(?:(:?[-?])((?:[^}\\\\]|\\\\.)*))?\\}|(\\{[^}]*\\}?|))`,
  "g",
);

/** Interpolates one string; `path` names where it stands for error messages. */
export function interpolateString(value: string, env: Env, path: string): string {
  return value.replace(TOKEN, (whole, dollar, bare, braced, op, arg, bad) => {
    if (dollar) return "$";
    if (bare) return env[bare] ?? "";
    if (braced) {
      const v = env[braced];
      const unset = v === undefined;
      const empty = unset || v === "";
      switch (op) {
        case undefined:
          return v ?? "";
        case ":-":
          return empty ? interpolateString(arg, env, path) : v!;
        case "-":
          return unset ? interpolateString(arg, env, path) : v!;
        case ":?":
        case "?":
          if (op === ":?" ? empty : unset) {
            throw new ConfigError(
              path,
              `required variable ${braced} is missing a value${arg ? `: ${arg}` : ""}`,
            );
          }
          return v!;
      }
    }
    throw new ConfigError(
      path,
      `invalid interpolation format in '${value}' near '${whole}${bad ?? ""}'; use $$ for a literal $`,
    );
  });
}

/** Interpolates every string value of a parsed compose document (keys are left as they are). */
export function interpolate(doc: unknown, env: Env, path = ""): unknown {
  if (typeof doc === "string") return interpolateString(doc, env, path);
  if (Array.isArray(doc)) return doc.map((v, i) => interpolate(v, env, `${path}.${i}`));
  if (doc !== null && typeof doc === "object") {
    return Object.fromEntries(
      Object.entries(doc).map(([k, v]) => [k, interpolate(v, env, path ? `${path}.${k}` : k)]),
    );
  }
  return doc;
}
