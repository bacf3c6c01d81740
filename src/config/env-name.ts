// What an environment variable's name may be when set through the API, the CLI or the dashboard's
// editor: letters, digits, '_', '.', '-' and not starting with a digit (compose files use '.' and '-'
// too; the short form's `--env` is stricter). The dashboard's line parser (web/src/env.ts) uses the same rule.
import { ConfigError } from "../domain/errors.js";

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const ENV_NAME_RULE =
  "must start with a letter or '_' and hold only letters, digits, '_', '.' and '-'";

/** `KEY=VALUE` arguments (`berth env set`) as variables; the first bad one is refused, naming it. */
export function parseAssignments(pairs: readonly string[], path: string): Record<string, string> {
  if (pairs.length === 0) throw new ConfigError(path, "give at least one KEY=VALUE");
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq < 0) throw new ConfigError(path, `'${pair}' must be KEY=VALUE`);
    const key = pair.slice(0, eq);
    if (!ENV_NAME.test(key)) throw new ConfigError(path, `'${key}' ${ENV_NAME_RULE}`);
    env[key] = pair.slice(eq + 1);
  }
  return env;
}

/** Variable names (`berth env unset`); the first bad one is refused, naming it. */
export function parseNames(names: readonly string[], path: string): string[] {
  if (names.length === 0) throw new ConfigError(path, "give at least one variable name");
  for (const n of names) if (!ENV_NAME.test(n)) throw new ConfigError(path, `'${n}' ${ENV_NAME_RULE}`);
  return [...new Set(names)];
}
