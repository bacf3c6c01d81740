// Bind mounts name host paths relative to the compose file, as `docker stack deploy` reads them: the
// CLI makes `./data` and `~/data` absolute (beside the file that names them, and in this shell's
// home) before anything is sent, so the server and the Engine only ever see absolute paths.
import { dirname, isAbsolute, join, resolve } from "node:path";

// biome-ignore lint/suspicious/noExplicitAny: a validated compose document, read key by key
type Doc = Record<string, any>;

export function absoluteBindSources(doc: Doc, file: string, home: string | undefined): Doc {
  const base = resolve(dirname(file));
  const absolute = (source: string) => {
    if (source === "~" || source.startsWith("~/")) return home ? join(home, source.slice(1)) : source;
    return isAbsolute(source) ? source : join(base, source);
  };
  for (const svc of Object.values((doc.services ?? {}) as Record<string, Doc | null>)) {
    if (!svc || !Array.isArray(svc.volumes)) continue;
    svc.volumes = svc.volumes.map((v: unknown) => {
      if (typeof v === "string") {
        const colon = v.indexOf(":");
        const source = colon < 0 ? "" : v.slice(0, colon);
        return /^[.~]/.test(source) ? `${absolute(source)}${v.slice(colon)}` : v;
      }
      const l = v as Doc;
      if (l?.type === "bind" && typeof l.source === "string" && !isAbsolute(l.source))
        return { ...l, source: absolute(l.source) };
      return v;
    });
  }
  return doc;
}
