// Creates an embedded database directory with Berth's schema. PGlite's initdb and the migrations run
// in WebAssembly and take 10-15 s on a small machine, and their result depends only on PGlite's
// version, the options given and the migration files. So the first run keeps a pristine copy
// (node_modules/.cache/berth) and later new directories are copies of it: a fresh `berth up` starts
// in seconds. Where the cache cannot be written (a read-only install), each directory is made
// afresh, as before.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";

export interface PgliteInit {
  /** PGlite's options at initdb (postgresql.conf lines). */
  options: object;
  /** Berth's package root: node_modules and the migrations live there. */
  packageRoot: string;
  migrationsFolder: string;
}

/**
 * Runs initdb and the migrations into `dir` in a short-lived child: initdb's WebAssembly memory would
 * otherwise stay with the control plane long after, and the child leaves it only what serving needs.
 */
function initdb(dir: string, init: PgliteInit): void {
  mkdirSync(dir, { recursive: true });
  const script = `const { PGlite } = await import("@electric-sql/pglite");
const { drizzle } = await import("drizzle-orm/pglite");
const { migrate } = await import("drizzle-orm/pglite/migrator");
const [dir, options, migrationsFolder] = process.argv.slice(1);
const c = await PGlite.create(dir, JSON.parse(options));
await migrate(drizzle(c), { migrationsFolder });
await c.close();`;
  execFileSync(
    process.execPath,
    ["--input-type=module", "-e", script, dir, JSON.stringify(init.options), init.migrationsFolder],
    { cwd: init.packageRoot, stdio: ["ignore", "ignore", "pipe"] },
  );
}

/** Where the pristine directory for this PGlite version, these options and migrations is kept. */
export function templateDir(init: PgliteInit): string {
  const manifest = join(init.packageRoot, "node_modules", "@electric-sql", "pglite", "package.json");
  const version = JSON.parse(readFileSync(manifest, "utf8")).version as string;
  const hash = createHash("sha256").update(JSON.stringify(init.options));
  for (const f of readdirSync(init.migrationsFolder, { recursive: true, encoding: "utf8" }).sort()) {
    const path = join(init.migrationsFolder, f);
    if (statSync(path).isFile()) hash.update(f).update(readFileSync(path));
  }
  const key = hash.digest("hex").slice(0, 16);
  return join(init.packageRoot, "node_modules", ".cache", "berth", `pglite-${version}-${key}`);
}

/** Fills the empty `dir` with a new database: a copy of the pristine one, made first if needed. */
export function initPgliteDir(dir: string, init: PgliteInit): void {
  let template: string;
  try {
    template = templateDir(init);
    if (!existsSync(join(template, "PG_VERSION"))) {
      // Made aside and renamed into place, so that a process copying it never sees half of one.
      const partial = `${template}.${process.pid}.partial`;
      rmSync(partial, { recursive: true, force: true });
      initdb(partial, init);
      try {
        renameSync(partial, template);
      } catch {
        // Another process put its copy in place first: use that one.
        rmSync(partial, { recursive: true, force: true });
      }
    }
    cpSync(template, dir, { recursive: true });
    return;
  } catch {
    // No cache here (read-only install, full disk): initdb into the directory itself.
    rmSync(dir, { recursive: true, force: true });
  }
  initdb(dir, init);
}
