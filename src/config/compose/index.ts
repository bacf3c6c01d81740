// Loading a stack from compose files, as `docker stack deploy -c a.yml -c b.yml` does: each file is
// parsed, interpolated with the caller's environment, validated, then the files are merged in order;
// `env_file` entries are read (relative to the file that names them) and put under `environment`,
// where values written in the file win; a name without a value takes this shell's value when it has
// one (else it stays without one, and the container gets the bare name, as docker sends it); bind
// mounts' relative host paths are made absolute beside the file (binds.ts), as docker makes them.
import { dirname, isAbsolute, join } from "node:path";
import { ConfigError } from "../../domain/errors.js";
import { nameProblem } from "../../domain/names.js";
import { absoluteBindSources } from "./binds.js";
import { castTypes } from "./cast.js";
import { resolveExtends } from "./extends.js";
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
  // Variables are replaced before validation, and values they produced for numeric or boolean
  // fields (`replicas: ${N}`) are cast to those types, as docker does.
  const read = (name: string, text: string) => {
    const raw = parseComposeFile(name, text);
    return { raw, data: castTypes(interpolate(raw.data, opts.env) as Record<string, unknown>) };
  };
  const docs = files.map((f) => {
    const { raw, data: own } = read(f.name, f.text);
    validateCompose({ ...raw, data: own });
    const data = resolveExtends(own, f.name, (path) => read(path, String(opts.readFile(path))).data);
    const loaded = inlineFiles(withEnvironment(data, f.name, opts), f.name, opts.readFile, opts.env);
    return absoluteBindSources(loaded, f.name, opts.env.HOME);
  });
  return mergeComposeFiles(docs);
}

/**
 * The stack's name, as `docker stack deploy` takes it: `--name`, else the files' top-level `name:`
 * (validated here, where the path can name it), else the directory of the first file.
 */
export function stackNameOf(given: string | undefined, doc: Record<string, unknown>, dir: string): string {
  if (given !== undefined) return given;
  if (typeof doc.name === "string") {
    const problem = nameProblem("stack", doc.name);
    if (problem) throw new ConfigError("name", `stack name ${problem} (or give --name)`);
    return doc.name;
  }
  return dir;
}

function withEnvironment(doc: Record<string, unknown>, file: string, opts: LoadOptions) {
  const services = (doc.services ?? {}) as Record<string, Record<string, unknown> | null>;
  for (const [name, svc] of Object.entries(services)) {
    if (!svc || (svc.env_file === undefined && svc.environment === undefined)) continue;
    const list = (
      svc.env_file === undefined ? [] : Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file]
    ).map((e) => (typeof e === "string" ? e : String((e as { path: string }).path)));
    const fromFiles: Record<string, string> = {};
    for (const entry of list) {
      const path = isAbsolute(entry) ? entry : join(dirname(file), entry);
      let text: string | Buffer;
      try {
        text = opts.readFile(path);
      } catch (err) {
        throw new ConfigError(
          `${file} services.${name}.env_file`,
          `cannot read ${path}: ${(err as Error).message}`,
        );
      }
      Object.assign(fromFiles, parseEnvFile(String(text), path, opts.env));
    }
    const own = Object.fromEntries(
      mappingEntries(svc.environment).map(([k, v]) => [k, v ?? opts.env[k] ?? null]),
    );
    const { env_file: _read, ...rest } = svc;
    services[name] = { ...rest, environment: { ...fromFiles, ...own } };
  }
  return doc;
}

/**
 * docker's env_file reader (opts.ParseEnvFile): `KEY=VALUE` lines whose value is taken as it is
 * (quotes and spaces kept); leading spaces, blank lines and `#` comments skipped; a bare `KEY` takes
 * this shell's value, or is left out when the shell has none.
 */
export function parseEnvFile(text: string, name: string, env: Env = {}): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trimStart();
    if (!line || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    const key = eq < 0 ? line.trimEnd() : line.slice(0, eq);
    if (!key) throw new ConfigError(`${name}:${i + 1}`, `no variable name on line '${line.slice(0, 40)}'`);
    if (/\s/.test(key))
      throw new ConfigError(`${name}:${i + 1}`, `variable '${key.slice(0, 40)}' contains whitespaces`);
    if (eq >= 0) out[key] = line.slice(eq + 1);
    else if (env[key] !== undefined) out[key] = env[key];
  });
  return out;
}
