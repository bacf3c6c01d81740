// The environment editor's text, pure: `KEY=VALUE` lines to variables with each bad line's number and
// what is wrong, variables back to lines, and the preview of what an edit changes. Names follow the
// API's rule (src/config/env-name.ts). No DOM, no fetch: unit-tested in env.test.ts.

export type Environment = Record<string, string | null>;

export interface LineError {
  /** 1-based, as an editor numbers lines. */
  line: number;
  message: string;
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const MAX_VALUE_CHARS = 32 * 1024;

/**
 * Reads the editor's text: one `KEY=VALUE` per line, the value as written (spaces and `=` kept, no
 * quotes removed); a bare `KEY` is passed unset, as docker does; blank lines and `#` comments skipped.
 * Every bad line is reported, not only the first.
 */
export function parseEnvLines(text: string): { env: Environment; errors: LineError[] } {
  const env: Environment = {};
  const errors: LineError[] = [];
  const seen = new Map<string, number>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = i + 1;
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    const eq = raw.indexOf("=");
    const key = eq < 0 ? raw.trim() : raw.slice(0, eq);
    const value = eq < 0 ? null : raw.slice(eq + 1);
    const problem = lineProblem(key, value, seen);
    if (problem) {
      errors.push({ line, message: problem });
      continue;
    }
    seen.set(key, line);
    env[key] = value;
  }
  return { env, errors };
}

function lineProblem(key: string, value: string | null, seen: Map<string, number>): string | undefined {
  if (key === "") return "the name before '=' is empty";
  if (key !== key.trim()) return `'${key}': no spaces around the name`;
  if (!ENV_NAME.test(key)) {
    if (/^[0-9]/.test(key)) return `'${key}' must not start with a digit`;
    if (/\s/.test(key)) return `'${key}' must not contain spaces (write KEY=VALUE)`;
    return `'${key}' may hold only letters, digits, '_', '.' and '-'`;
  }
  const first = seen.get(key);
  if (first !== undefined) return `${key} is already set on line ${first}`;
  if (value !== null && value.length > MAX_VALUE_CHARS) {
    return `${key}: the value is longer than ${MAX_VALUE_CHARS} characters`;
  }
  return undefined;
}

/** Variables as editor lines, sorted by name (a bare name alone on its line). */
export function formatEnvLines(env: Environment): string {
  return Object.keys(env)
    .sort()
    .map((k) => (env[k] === null ? k : `${k}=${env[k]}`))
    .join("\n");
}

export interface EnvChange {
  key: string;
  change: "added" | "removed" | "changed";
  from?: string | null;
  to?: string | null;
}

/** What replacing `before` with `after` does, by name. */
export function envPreview(before: Environment, after: Environment): EnvChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: EnvChange[] = [];
  for (const key of keys) {
    if (!(key in before)) out.push({ key, change: "added", to: after[key] });
    else if (!(key in after)) out.push({ key, change: "removed", from: before[key] });
    else if (before[key] !== after[key])
      out.push({ key, change: "changed", from: before[key], to: after[key] });
  }
  return out;
}

/** Whether the variables can be edited as lines: a value holding a line break cannot. */
export function multilineKeys(env: Environment): string[] {
  return Object.keys(env).filter((k) => /[\r\n]/.test(env[k] ?? ""));
}
