// Fresh state databases for store tests: an embedded PGlite in a temp dir, and a new database on the
// PostgreSQL server that scripts/postgres.sh starts (BERTH_TEST_DATABASE_URL).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type Database, openDatabase } from "../../src/store/db.js";

export const POSTGRES_URL = process.env.BERTH_TEST_DATABASE_URL;

export interface TestDatabase {
  database: Database;
  /** How to open it again (restart tests). */
  target: Parameters<typeof openDatabase>[0];
  drop(): Promise<void>;
}

export async function freshPglite(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "berth-pglite-"));
  const target = { kind: "pglite", dir: join(dir, "pgdata") } as const;
  const database = await openDatabase(target);
  return {
    database,
    target,
    async drop() {
      await database.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function freshPostgres(baseUrl = POSTGRES_URL!): Promise<TestDatabase> {
  const name = `berth_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const target = { kind: "postgres", url: url.toString() } as const;
  const database = await openDatabase(target);
  return {
    database,
    target,
    async drop() {
      await database.close().catch(() => {});
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
