// The build context as the CLI sends it: the directory's files less those `.dockerignore` leaves out
// (Docker's rules, config/dockerignore.ts), packed as a gzipped tar stream. Walked once up front, so
// that a context too large or without its Dockerfile is refused before anything is sent.
import { createReadStream, type Stats } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { pack } from "tar-stream";
import { MAX_BUILD_CONTEXT_BYTES } from "../config/build.js";
import {
  hasExceptions,
  type IgnorePattern,
  isIgnored,
  parseDockerignore,
  withAlwaysSent,
} from "../config/dockerignore.js";
import { ConfigError } from "../domain/errors.js";

export interface ContextFile {
  /** `/`-separated, relative to the context. */
  path: string;
  stat: Stats;
}

/** The files (and directories) the context sends, in a stable order. */
export async function contextFiles(dir: string, dockerfile: string): Promise<ContextFile[]> {
  let root: Stats;
  try {
    root = await lstat(dir);
  } catch {
    throw new ConfigError("--build", `${dir} does not exist`);
  }
  if (!root.isDirectory()) throw new ConfigError("--build", `${dir} is not a directory`);
  const ignore = await readFile(join(dir, ".dockerignore"), "utf8").catch(() => "");
  const patterns = withAlwaysSent(parseDockerignore(ignore), dockerfile);
  const out: ContextFile[] = [];
  await walk(dir, "", patterns, out);
  const df = out.find((f) => f.path === dockerfile);
  if (!df?.stat.isFile()) throw new ConfigError("--dockerfile", `${dir} has no ${dockerfile}`);
  const bytes = out.reduce((n, f) => n + (f.stat.isFile() ? f.stat.size : 0), 0);
  if (bytes > MAX_BUILD_CONTEXT_BYTES) {
    throw new ConfigError(
      "--build",
      `the context is ${(bytes / 1024 / 1024).toFixed(1)} MiB after .dockerignore; Berth takes at most ${MAX_BUILD_CONTEXT_BYTES / 1024 / 1024} MiB`,
    );
  }
  return out;
}

async function walk(root: string, rel: string, patterns: IgnorePattern[], out: ContextFile[]): Promise<void> {
  const names = (await readdir(join(root, rel))).sort();
  for (const name of names) {
    const path = rel ? `${rel}/${name}` : name;
    const stat = await lstat(join(root, path));
    const ignored = isIgnored(patterns, path);
    if (stat.isDirectory()) {
      if (!ignored) out.push({ path, stat });
      // An excluded directory may still hold exceptions.
      if (!ignored || hasExceptions(patterns)) await walk(root, path, patterns, out);
    } else if (!ignored && (stat.isFile() || stat.isSymbolicLink())) out.push({ path, stat });
  }
}

/** The files as a gzipped tar stream. */
export function packContext(dir: string, files: ContextFile[]): Readable {
  const tar = pack();
  (async () => {
    for (const f of files) {
      const header = { name: f.path, mode: f.stat.mode & 0o7777, mtime: f.stat.mtime };
      if (f.stat.isDirectory()) tar.entry({ ...header, type: "directory" });
      else if (f.stat.isSymbolicLink()) {
        tar.entry({ ...header, type: "symlink", linkname: await readlink(join(dir, f.path)) });
      } else {
        await new Promise<void>((done, fail) => {
          const entry = tar.entry({ ...header, size: f.stat.size }, (err) => (err ? fail(err) : done()));
          const src = createReadStream(join(dir, f.path));
          src.on("error", fail);
          src.pipe(entry);
        });
      }
    }
    tar.finalize();
  })().catch((err: Error) => tar.destroy(err));
  return tar.pipe(createGzip());
}
