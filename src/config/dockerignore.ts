// `.dockerignore` read as Docker reads it (moby/patternmatcher and docker/cli's build context):
// - a line starting with `#` is a comment; lines are trimmed; empty ones are skipped;
// - `!` makes an exception (the file is sent after all); the last pattern that matches decides;
// - a pattern is cleaned like a path (`./a/` is `a`, a leading `/` is dropped) and matched against
//   the whole relative path with filepath.Match rules (`*` and `?` never cross `/`, `[a-z]`, `[!a]`,
//   `\` escapes), where `**` matches any number of directories (none included);
// - a pattern that matches a parent directory matches everything under it;
// - the Dockerfile and `.dockerignore` are always sent (docker/cli adds them back as exceptions).
import { posix } from "node:path";

export interface IgnorePattern {
  /** The cleaned pattern as written (without `!`). */
  text: string;
  exception: boolean;
  regex: RegExp;
}

export function parseDockerignore(content: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  for (const raw of content.split(/\r?\n/)) {
    if (raw.startsWith("#")) continue;
    let line = raw.trim();
    if (!line) continue;
    const exception = line.startsWith("!");
    if (exception) line = line.slice(1).trim();
    if (line) {
      line = posix.normalize(line);
      if (line.endsWith("/") && line.length > 1) line = line.slice(0, -1);
      if (line.length > 1 && line.startsWith("/")) line = line.slice(1);
    }
    out.push({ text: line, exception, regex: patternRegex(line) });
  }
  return out;
}

/** The patterns with the Dockerfile and `.dockerignore` sent whatever they say. */
export function withAlwaysSent(patterns: IgnorePattern[], dockerfile: string): IgnorePattern[] {
  const keep = [".dockerignore", posix.normalize(dockerfile)].map((text) => ({
    text,
    exception: true,
    regex: patternRegex(text),
  }));
  return [...patterns, ...keep];
}

/** Whether the file (a `/`-separated path relative to the context) is left out. */
export function isIgnored(patterns: IgnorePattern[], file: string): boolean {
  const path = posix.normalize(file);
  const parents = path.split("/").slice(0, -1);
  let matched = false;
  for (const p of patterns) {
    // An exception matters only once something matched; a pattern only while nothing has.
    if (p.exception !== matched) continue;
    let match = p.regex.test(path);
    for (let i = 1; !match && i <= parents.length; i++) match = p.regex.test(parents.slice(0, i).join("/"));
    if (match) matched = !p.exception;
  }
  return matched;
}

/** Whether any pattern is an exception (then an excluded directory must still be walked). */
export function hasExceptions(patterns: IgnorePattern[]): boolean {
  return patterns.some((p) => p.exception);
}

const SPECIAL = new Set([".", "+", "(", ")", "|", "{", "}", "$", "^"]);

function patternRegex(pattern: string): RegExp {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") i++;
        // `**` at the end takes everything; elsewhere any number of directories, none included.
        re += i + 1 >= pattern.length ? ".*" : "(.*/)?";
      } else re += "[^/]*";
    } else if (ch === "?") re += "[^/]";
    else if (ch === "\\") {
      const next = pattern[++i];
      if (next !== undefined) re += escapeChar(next);
    } else if (ch === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        let cls = pattern.slice(i + 1, end);
        if (cls.startsWith("!")) cls = `^${cls.slice(1)}`;
        re += `[${cls}]`;
        i = end;
      }
    } else re += SPECIAL.has(ch) || ch === "]" ? `\\${ch}` : ch;
  }
  try {
    return new RegExp(`${re}$`);
  } catch {
    // A pattern Docker would reject as malformed matches nothing here.
    return /$^/;
  }
}

function escapeChar(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}
