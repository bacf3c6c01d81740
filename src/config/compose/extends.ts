// `extends` (a docker compose key `docker stack deploy` refuses): a service takes another service's
// definition, from this file or another one (`file:`, read beside this one), and its own keys are
// merged over it by the same rules as several files (merge.ts). Resolved by the CLI while loading,
// so what is sent holds no `extends`; chains are followed and loops refused, naming the service.
import { dirname, isAbsolute, join } from "node:path";
import { ConfigError } from "../../domain/errors.js";
import { mergeComposeFiles } from "./merge.js";

// biome-ignore lint/suspicious/noExplicitAny: a validated compose document, read key by key
type Doc = Record<string, any>;

/** Reads another compose file (parsed, interpolated, cast) by path. */
export type LoadOther = (path: string) => Doc;

export function resolveExtends(doc: Doc, file: string, loadOther: LoadOther): Doc {
  const services = (doc.services ?? {}) as Record<string, Doc | null>;
  const done = new Map<string, Doc>();
  const resolveIn = (d: Doc, f: string, key: string, seen: string[], at: string): Doc => {
    const id = `${f}#${key}`;
    if (d === doc && done.has(key)) return done.get(key)!;
    if (seen.includes(id))
      throw new ConfigError(at, `extends loops: ${[...seen, id].map((s) => s.split("#")[1]).join(" -> ")}`);
    const svc = d.services?.[key] as Doc | null | undefined;
    if (svc === undefined) throw new ConfigError(at, `extends service '${key}', which ${f} does not define`);
    const own = { ...(svc ?? {}) };
    const ext = own.extends;
    delete own.extends;
    let out = own;
    if (ext !== undefined) {
      const e: Doc = typeof ext === "string" ? { service: ext } : ext;
      const here = `services.${key}.extends`;
      let baseDoc = d;
      let baseFile = f;
      if (typeof e.file === "string") {
        baseFile = isAbsolute(e.file) ? e.file : join(dirname(f), e.file);
        try {
          baseDoc = loadOther(baseFile);
        } catch (err) {
          if (err instanceof ConfigError) throw err;
          throw new ConfigError(`${here}.file`, `cannot read ${baseFile}: ${(err as Error).message}`);
        }
      }
      const base = resolveIn(baseDoc, baseFile, String(e.service), [...seen, id], here);
      out = (
        mergeComposeFiles([{ services: { [key]: base } }, { services: { [key]: own } }]).services as Doc
      )[key];
    }
    if (d === doc) done.set(key, out);
    return out;
  };
  for (const key of Object.keys(services)) {
    if (services[key]?.extends !== undefined)
      services[key] = resolveIn(doc, file, key, [], `services.${key}.extends`);
  }
  return doc;
}
