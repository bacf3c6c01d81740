// Managed database records: the servers (platform-wide) and each organization's databases on them.
import { and, asc, eq } from "drizzle-orm";
import { Conflict, NotFound } from "../domain/errors.js";
import type { Db } from "./db.js";
import { type DatabaseStatus, databases, dbServers, organizations } from "./schema.js";

export type DbServerRow = typeof dbServers.$inferSelect;
export type DatabaseRow = typeof databases.$inferSelect;

/** The server by name, made from `make` the first time (the first writer wins across control planes). */
export async function serverOrInit(
  db: Db,
  name: string,
  make: () => Omit<typeof dbServers.$inferInsert, "id" | "name" | "createdAt">,
): Promise<DbServerRow> {
  await db
    .insert(dbServers)
    .values({ name, ...make() })
    .onConflictDoNothing();
  return (await db.select().from(dbServers).where(eq(dbServers.name, name)))[0]!;
}

/** A new server record (Conflict when the name is taken). */
export async function insertServer(
  db: Db,
  row: Omit<typeof dbServers.$inferInsert, "id" | "createdAt">,
): Promise<DbServerRow> {
  const [made] = await db.insert(dbServers).values(row).onConflictDoNothing().returning();
  if (!made) throw new Conflict(`a database server named '${row.name}' exists already`);
  return made;
}

export async function serverNamed(db: Db, name: string): Promise<DbServerRow> {
  const [row] = await db.select().from(dbServers).where(eq(dbServers.name, name));
  if (!row) throw new NotFound("database server", name);
  return row;
}

export async function getServer(db: Db, id: string): Promise<DbServerRow> {
  const [row] = await db.select().from(dbServers).where(eq(dbServers.id, id));
  if (!row) throw new NotFound("database server", id);
  return row;
}

export async function listServers(db: Db): Promise<(DbServerRow & { databases: number })[]> {
  const servers = await db.select().from(dbServers).orderBy(asc(dbServers.name));
  const dbs = await db.select({ serverId: databases.serverId }).from(databases);
  return servers.map((s) => ({ ...s, databases: dbs.filter((d) => d.serverId === s.id).length }));
}

export async function insertDatabase(db: Db, row: typeof databases.$inferInsert): Promise<DatabaseRow> {
  const [made] = await db.insert(databases).values(row).onConflictDoNothing().returning();
  if (!made) throw new Conflict(`database '${row.name}' already exists`);
  return made;
}

export async function getDatabase(db: Db, orgId: string, name: string): Promise<DatabaseRow> {
  const [row] = await db
    .select()
    .from(databases)
    .where(and(eq(databases.orgId, orgId), eq(databases.name, name)));
  if (!row) throw new NotFound("database", name);
  return row;
}

export async function listDatabases(db: Db, orgId: string): Promise<DatabaseRow[]> {
  return db.select().from(databases).where(eq(databases.orgId, orgId)).orderBy(asc(databases.name));
}

/** Slugs of the organizations with databases on a server. */
export async function orgsOnServer(db: Db, serverId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ slug: organizations.slug })
    .from(databases)
    .innerJoin(organizations, eq(organizations.id, databases.orgId))
    .where(eq(databases.serverId, serverId));
  return rows.map((r) => r.slug).sort();
}

export async function setDatabaseStatus(
  db: Db,
  orgId: string,
  id: string,
  o: { status: DatabaseStatus; error?: string | null; jobId?: string },
): Promise<void> {
  await db
    .update(databases)
    .set({
      status: o.status,
      ...(o.error === undefined ? {} : { error: o.error }),
      ...(o.jobId ? { jobId: o.jobId } : {}),
    })
    .where(and(eq(databases.orgId, orgId), eq(databases.id, id)));
}

/** The databases a customer instance owns, by name. */
export async function instanceDatabaseRows(db: Db, orgId: string, instance: string): Promise<DatabaseRow[]> {
  return db
    .select()
    .from(databases)
    .where(and(eq(databases.orgId, orgId), eq(databases.instance, instance)))
    .orderBy(asc(databases.name));
}

/** The database no longer goes with an instance: the organization's own from now on. */
export async function releaseDatabase(db: Db, orgId: string, id: string): Promise<void> {
  await db
    .update(databases)
    .set({ instance: null })
    .where(and(eq(databases.orgId, orgId), eq(databases.id, id)));
}

export async function deleteDatabase(db: Db, orgId: string, id: string): Promise<void> {
  await db.delete(databases).where(and(eq(databases.orgId, orgId), eq(databases.id, id)));
}
