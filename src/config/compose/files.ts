// Secrets and configs given as `file:` are read where the compose file is (the CLI's machine), like
// env_file, and travel inside the document under an extension key, so the server never reads paths
// a user names.
import { dirname, isAbsolute, join } from "node:path";
import { ConfigError } from "../../domain/errors.js";

/** Extension key that carries a secret's or config's content, base64. */
export const DATA_KEY = "x-berth-data";

/** Largest secret or config Swarm accepts (500 KiB). */
const MAX_BYTES = 500 * 1024;

export function inlineFiles(
  doc: Record<string, unknown>,
  file: string,
  readFile: (path: string) => Buffer | string,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  for (const kind of ["secrets", "configs"] as const) {
    const defs = (doc[kind] ?? {}) as Record<string, Record<string, unknown> | null>;
    for (const [key, def] of Object.entries(defs)) {
      if (!def || def.external) continue;
      const where = `${file} ${kind}.${key}`;
      let data: Buffer | undefined;
      if (typeof def.file === "string") {
        const path = isAbsolute(def.file) ? def.file : join(dirname(file), def.file);
        try {
          const read = readFile(path);
          data = Buffer.isBuffer(read) ? read : Buffer.from(read);
        } catch (err) {
          throw new ConfigError(`${where}.file`, `cannot read ${path}: ${(err as Error).message}`);
        }
      } else if (typeof def.environment === "string") {
        const value = env[def.environment];
        if (value === undefined)
          throw new ConfigError(`${where}.environment`, `variable ${def.environment} is not set`);
        data = Buffer.from(value);
      }
      if (!data) continue;
      if (data.length > MAX_BYTES)
        throw new ConfigError(where, `is ${data.length} bytes; Swarm takes at most ${MAX_BYTES}`);
      const { file: _f, environment: _e, ...rest } = def;
      defs[key] = { ...rest, [DATA_KEY]: data.toString("base64") };
    }
  }
  return doc;
}
