// Backup records, scoped to an organization: what was archived, where, its size and checksum, and
// how it ended.
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { NotFound } from "../domain/errors.js";
import type { Db } from "./db.js";
import { type BackupStatus, backupSchedules, backups, organizations } from "./schema.js";

export type BackupRow = typeof backups.$inferSelect;

export async function insertBackups(db: Db, rows: (typeof backups.$inferInsert)[]): Promise<BackupRow[]> {
  if (rows.length === 0) return [];
  return db.insert(backups).values(rows).returning();
}

export async function getBackup(db: Db, orgId: string, id: string): Promise<BackupRow> {
  const [row] = await db
    .select()
    .from(backups)
    .where(and(eq(backups.id, id), eq(backups.orgId, orgId)));
  if (!row) throw new NotFound("backup", id);
  return row;
}

export async function backupsByIds(db: Db, orgId: string, ids: string[]): Promise<BackupRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(backups)
    .where(and(eq(backups.orgId, orgId), inArray(backups.id, ids)));
}

/** Newest first. */
export async function listBackups(db: Db, orgId: string, o: { stack?: string } = {}): Promise<BackupRow[]> {
  return db
    .select()
    .from(backups)
    .where(and(eq(backups.orgId, orgId), o.stack === undefined ? undefined : eq(backups.stack, o.stack)))
    .orderBy(desc(backups.createdAt))
    .limit(1000);
}

export async function finishBackup(
  db: Db,
  orgId: string,
  id: string,
  o: { status: BackupStatus; location?: string; sha256?: string; sizeBytes?: number; error?: string | null },
): Promise<void> {
  await db
    .update(backups)
    .set({
      status: o.status,
      ...(o.location === undefined ? {} : { location: o.location }),
      ...(o.sha256 === undefined ? {} : { sha256: o.sha256 }),
      ...(o.sizeBytes === undefined ? {} : { sizeBytes: o.sizeBytes }),
      ...(o.error === undefined ? {} : { error: o.error }),
      finishedAt: new Date(),
    })
    .where(and(eq(backups.id, id), eq(backups.orgId, orgId)));
}

/** Marks an archive that no longer matches what was recorded; it is never restored. */
export async function markCorrupt(db: Db, orgId: string, id: string, reason: string): Promise<void> {
  await db
    .update(backups)
    .set({ status: "corrupt", error: reason })
    .where(and(eq(backups.id, id), eq(backups.orgId, orgId)));
}

export async function deleteBackup(db: Db, orgId: string, id: string): Promise<void> {
  await db.delete(backups).where(and(eq(backups.id, id), eq(backups.orgId, orgId)));
}

export type BackupScheduleRow = typeof backupSchedules.$inferSelect;

/** Creates or replaces the stack's schedule (one per stack). */
export async function putSchedule(
  db: Db,
  row: Omit<typeof backupSchedules.$inferInsert, "id" | "createdAt" | "updatedAt">,
): Promise<BackupScheduleRow> {
  const [saved] = await db
    .insert(backupSchedules)
    .values(row)
    .onConflictDoUpdate({
      target: backupSchedules.stackId,
      set: {
        cron: row.cron,
        timezone: row.timezone ?? "UTC",
        keepLast: row.keepLast,
        keepDaily: row.keepDaily ?? 0,
        keepWeekly: row.keepWeekly ?? 0,
        createdBy: row.createdBy,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  return saved!;
}

export async function listSchedules(db: Db, orgId: string): Promise<BackupScheduleRow[]> {
  return db
    .select()
    .from(backupSchedules)
    .where(eq(backupSchedules.orgId, orgId))
    .orderBy(asc(backupSchedules.stack));
}

/** A schedule as it fires (no organization at hand), with its organization's slug. */
export async function scheduleById(
  db: Db,
  id: string,
): Promise<(BackupScheduleRow & { org: string }) | undefined> {
  const [row] = await db
    .select({ s: backupSchedules, org: organizations.slug })
    .from(backupSchedules)
    .innerJoin(organizations, eq(organizations.id, backupSchedules.orgId))
    .where(eq(backupSchedules.id, id));
  return row && { ...row.s, org: row.org };
}

export async function deleteSchedule(db: Db, orgId: string, stack: string): Promise<BackupScheduleRow> {
  const [row] = await db
    .delete(backupSchedules)
    .where(and(eq(backupSchedules.orgId, orgId), eq(backupSchedules.stack, stack)))
    .returning();
  if (!row) throw new NotFound("backup schedule of stack", stack);
  return row;
}
