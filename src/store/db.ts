// Opens the state database: embedded PGlite in a data directory (the default) or a PostgreSQL
// server (DATABASE_URL). One schema and one set of migrations serve both.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { type ConstructorOptions, fromPglite } from "pg-boss";
import { Unavailable } from "../domain/errors.js";
import { initPgliteDir } from "./pglite-init.js";
import * as schema from "./schema.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** How the job queue reaches the same database. */
  queueConnection(): Pick<ConstructorOptions, "db" | "backend" | "connectionString" | "max">;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type DatabaseTarget = { kind: "pglite"; dir: string } | { kind: "postgres"; url: string };

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const migrationsFolder = join(packageRoot, "drizzle");

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.kind === "pglite" ? openPglite(target.dir) : openPostgres(target.url);
}

/**
 * A control plane's database is small: small buffers keep the embedded server's memory down. Written
 * into postgresql.conf when the directory is created, so opening an existing one writes nothing.
 */
const PGLITE_INIT_OPTIONS = { postgresqlconf: ["shared_buffers=16MB", "work_mem=2MB"] };

async function openPglite(dir: string): Promise<Database> {
  let client: PGlite;
  try {
    if (!existsSync(join(dir, "PG_VERSION")))
      initPgliteDir(dir, { options: PGLITE_INIT_OPTIONS, packageRoot, migrationsFolder });
    client = await PGlite.create(dir);
  } catch (err) {
    throw new Unavailable(
      `cannot open the embedded database in ${dir} (${errText(err)}); restore the data directory from a backup or move it aside to start empty`,
      { cause: err },
    );
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  await migratePglite(drizzlePglite(client), { migrationsFolder });
  return {
    db,
    kind: "pglite",
    queueConnection: () => ({ db: fromPglite(client), backend: "pglite" }),
    ping: async () => void (await client.query("select 1")),
    close: () => client.close(),
  };
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  // An idle client that loses its server emits 'error'; the pool replaces it, so only log-worthy.
  pool.on("error", () => {});
  try {
    await pool.query("select 1");
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Unavailable(
      `cannot connect to DATABASE_URL ${redactUrl(url)} (${errText(err)}); check the URL and that the server runs`,
      {
        cause: err,
      },
    );
  }
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  await migratePg(drizzlePg(pool), { migrationsFolder });
  return {
    db,
    kind: "postgres",
    queueConnection: () => ({ connectionString: url, max: 4 }),
    ping: async () => void (await pool.query("select 1")),
    close: () => pool.end(),
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

function errText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return errText(err.errors[0]);
  return err instanceof Error ? err.message || err.constructor.name : String(err);
}
