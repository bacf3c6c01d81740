// Managed PostgreSQL vocabulary: the shared servers (system stacks), the tenant databases on them,
// and the names both carry. One database and one role per (organization, database name).
import { SYSTEM_ORG } from "./system.js";

/** The server Berth creates on first use; others can be registered beside it (`db_servers`). */
export const DEFAULT_DB_SERVER = "main";
/** The system stack of a server, and its one service. */
export function postgresStack(server: string): string {
  return server === DEFAULT_DB_SERVER ? "postgres" : `postgres-${server}`;
}
export const POSTGRES_SERVICE = "postgres";
export { SYSTEM_ORG };

export const DB_CREATE_JOB = "db-create";
export const DB_REMOVE_JOB = "db-remove";
export const DB_BACKUP_JOB = "db-backup";
export const DB_RESTORE_JOB = "db-restore";

/** The secret file a service attached to a database gets: the full connection URL, password included. */
export const DATABASE_URL_SECRET = "DATABASE_URL";

/**
 * The database's (and its role's) name on the server: `<org>_<name>`. Organization slugs and database
 * names are DNS labels (no `_`), so the pair splits back into exactly one (org, name): no two
 * organizations' databases can ever share a name.
 */
export function pgName(org: string, name: string): string {
  return `${org}_${name}`;
}

/** A PostgreSQL identifier, double-quoted (names hold `-`). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
