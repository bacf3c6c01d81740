// What managed databases need, decided without I/O:
// - createDatabaseSql / dropDatabaseSql / hardenServerSql: the statements Berth runs as the server's
//   superuser (names quoted; the password only as a SCRAM verifier).
// - databaseEnv / attachDatabases: how a service gets its databases: a Docker secret holding the
//   connection URL (`/run/secrets/DATABASE_URL`) and PGHOST/PGPORT/PGDATABASE/PGUSER in env (never the
//   password). Added to the revision's spec (Berth's decision), not to the user's input.

import { DATABASE_URL_SECRET, quoteIdent as q } from "../domain/databases.js";
import { ConfigError } from "../domain/errors.js";
import type { StackModel } from "../domain/stack.js";

/** Server-wide, once: no role may connect to the maintenance databases unless granted. */
/**
 * A session-level advisory lock every Berth change to a server's roles and databases holds: PostgreSQL
 * refuses concurrent changes to one catalog row ("tuple concurrently updated"), as two databases made
 * at once both revoking PUBLIC's rights would be. Released when the session ends.
 */
export const CATALOG_LOCK_SQL = "SELECT pg_advisory_lock(7306589871)";

/** Where a new database goes: the server holding the fewest databases (then by name). */
export function pickServer<T extends { name: string; databases: number }>(servers: T[]): T | undefined {
  return [...servers].sort((a, b) => a.databases - b.databases || a.name.localeCompare(b.name))[0];
}

export function hardenServerSql(): string[] {
  return ["REVOKE ALL ON DATABASE postgres FROM PUBLIC", "REVOKE ALL ON DATABASE template1 FROM PUBLIC"];
}

/** The role (created or its password reset), then its database, which only it may connect to. */
export function createDatabaseSql(o: {
  db: string;
  role: string;
  verifier: string;
  roleExists: boolean;
  dbExists: boolean;
}): string[] {
  if (!/^SCRAM-SHA-256\$[A-Za-z0-9+/=:$]+$/.test(o.verifier)) throw new Error("not a SCRAM verifier");
  const limits = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT LOGIN";
  return [
    o.roleExists
      ? `ALTER ROLE ${q(o.role)} ${limits} PASSWORD '${o.verifier}'`
      : `CREATE ROLE ${q(o.role)} ${limits} CONNECTION LIMIT 100 PASSWORD '${o.verifier}'`,
    ...(o.dbExists
      ? []
      : [`CREATE DATABASE ${q(o.db)} OWNER ${q(o.role)} ENCODING 'UTF8' TEMPLATE template0`]),
    `REVOKE ALL ON DATABASE ${q(o.db)} FROM PUBLIC`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${q(o.db)} TO ${q(o.role)}`,
  ];
}

export function dropDatabaseSql(o: { db: string; role: string }): string[] {
  return [`DROP DATABASE IF EXISTS ${q(o.db)} WITH (FORCE)`, `DROP ROLE IF EXISTS ${q(o.role)}`];
}

/** How a service reaches one database (the password is only in the sealed URL). */
export interface DatabaseAccess {
  /** The database's name in the organization (what `--db` and `x-berth-databases` name). */
  name: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** `postgres://user:password@host:port/database`, sealed, with its keyed digest. */
  url: { sealed: string; digest: string };
}

export function databaseUrl(o: {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}) {
  const e = encodeURIComponent;
  return `postgres://${e(o.user)}:${e(o.password)}@${o.host}:${o.port}/${e(o.database)}`;
}

/** `DATABASE_URL` for a service's first database, `DATABASE_URL_<NAME>` for the others. */
export function secretTarget(index: number, name: string): string {
  return index === 0
    ? DATABASE_URL_SECRET
    : `${DATABASE_URL_SECRET}_${name.toUpperCase().replace(/-/g, "_")}`;
}

/** The names of databases the model's services ask for, sorted. */
export function databasesWanted(model: StackModel): string[] {
  return [...new Set(model.services.flatMap((s) => s.databases ?? []))].sort();
}

/**
 * The model with each service's databases attached: a stack secret per database (`db-<name>`), the
 * secret file, and the connection facts in env for the first one. `access` must hold every database
 * the services name (else ConfigError naming the service).
 */
export function attachDatabases(model: StackModel, access: DatabaseAccess[]): StackModel {
  if (!model.services.some((s) => s.databases?.length)) return model;
  const secrets = { ...model.secrets };
  const services = model.services.map((s, i) => {
    if (!s.databases?.length) return s;
    const refs = [...(s.secrets ?? [])];
    let env = { ...s.env };
    s.databases.forEach((name, j) => {
      const a = access.find((x) => x.name === name);
      if (!a)
        throw new ConfigError(`services.${i}.databases.${j}`, `no database '${name}' in this organization`);
      const key = `db-${name}`;
      if (model.secrets?.[key]) {
        throw new ConfigError(
          `secrets.${key}`,
          `is the name Berth gives database '${name}''s secret; rename it`,
        );
      }
      secrets[key] = { data: a.url.sealed, digest: a.url.digest };
      const target = secretTarget(j, name);
      refs.push({ source: key, target, uid: "0", gid: "0", mode: 0o444 });
      if (j === 0) {
        env = {
          ...env,
          PGHOST: a.host,
          PGPORT: String(a.port),
          PGDATABASE: a.database,
          PGUSER: a.user,
          DATABASE_URL_FILE: `/run/secrets/${target}`,
        };
      }
    });
    return { ...s, env, secrets: refs };
  });
  return { ...model, services, secrets };
}
