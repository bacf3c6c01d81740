// Loading a stack from compose files, as `docker stack deploy -c a.yml -c b.yml` does: each file is
// parsed, interpolated with the caller's environment, validated, then the files are merged in order;
// `env_file` entries are read (relative to the file that names them) and put under `environment`,
// where values written in the file win.
import { dirname, isAbsolute, join } from "node:path";
import { ConfigError } from "../../domain/errors.js";
import { castTypes } from "./cast.js";
import { inlineFiles } from "./files.js";
import { type Env, interpolate } from "./interpolate.js";
import { parseComposeFile, validateCompose } from "./load.js";
import { mappingEntries } from "./mapping.js";
import { mergeComposeFiles } from "./merge.js";

export interface ComposeInput {
  /** Path of the file as the user named it (for messages, and to resolve `env_file`). */
  name: string;
  text: string;
}

export interface LoadOptions {
  env: Env;
  /** Reads an env_file, secret or config file; injected so that loading stays testable without a disk. */
  readFile(path: string): string | Buffer;
}

export function loadCompose(files: ComposeInput[], opts: LoadOptions): Record<string, unknown> {
  if (files.length === 0) throw new ConfigError("-c", "name at least one compose file");
  const docs = files.map((f) => {
    const raw = parseComposeFile(f.name, f.text);
    // Variables are replaced before validation, and values they produced for numeric or boolean
    // fields (`replicas: ${N}`) are cast to those types, as docker does.
    const data = castTypes(interpolate(raw.data, opts.env) as Record<string, unknown>);
    validateCompose({ ...raw, data });
    return inlineFiles(withEnvFiles(data, f.name, opts.readFile), f.name, opts.readFile, opts.env);
  });
  return mergeComposeFiles(docs);
}

function withEnvFiles(doc: Record<string, unknown>, file: string, readFile: (p: string) => string | Buffer) {
  const services = (doc.services ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, svc] of Object.entries(services)) {
    if (svc.env_file === undefined) continue;
    const list = (Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file]).map((e) =>
      typeof e === "string" ? e : String((e as { path: string }).path),
    );
    const fromFiles: Record<string, string> = {};
    for (const entry of list) {
      const path = isAbsolute(entry) ? entry : join(dirname(file), entry);
      let text: string | Buffer;
      try {
        text = readFile(path);
      } catch (err) {
        throw new ConfigError(
          `${file} services.${name}.env_file`,
          `cannot read ${path}: ${(err as Error).message}`,
        );
      }
      Object.assign(fromFiles, parseEnvFile(String(text), `${path}`));
    }
    const own = Object.fromEntries(mappingEntries(svc.environment));
    const { env_file: _read, ...rest } = svc;
    services[name] = { ...rest, environment: { ...fromFiles, ...own } };
  }
  return doc;
}

/** `KEY=VALUE` lines; blank lines and `#` comments are skipped, surrounding quotes removed. */
export function parseEnvFile(text: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!m) throw new ConfigError(`${name}:${i + 1}`, `expected KEY=VALUE, got '${trimmed.slice(0, 40)}'`);
    let value = m[2]!;
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1]!] = value;
  });
  return out;
}
