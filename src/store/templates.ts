// Templates (numbered versions) and customer instances, scoped to an organization.
import { and, asc, desc, eq, max, sql } from "drizzle-orm";
import { Conflict, NotFound } from "../domain/errors.js";
import type { InstanceState, TemplateSpec } from "../domain/template.js";
import type { Db } from "./db.js";
import { type InstanceResume, instances, templates } from "./schema.js";

export type TemplateRow = typeof templates.$inferSelect;
export type InstanceRow = typeof instances.$inferSelect;

const isUnique = (err: unknown) => /unique|duplicate/i.test(String((err as Error)?.message ?? err));

/** Stores the next version of the template (1 for a new one); a version taken meanwhile is retried. */
export async function addTemplateVersion(
  db: Db,
  o: { orgId: string; name: string; source: string; spec: TemplateSpec; createdBy: string },
): Promise<TemplateRow> {
  for (let attempt = 0; ; attempt++) {
    const [top] = await db
      .select({ v: max(templates.version) })
      .from(templates)
      .where(and(eq(templates.orgId, o.orgId), eq(templates.name, o.name)));
    try {
      const [row] = await db
        .insert(templates)
        .values({ ...o, version: (top?.v ?? 0) + 1 })
        .returning();
      return row!;
    } catch (err) {
      if (!isUnique(err) || attempt >= 5) throw err;
    }
  }
}

/** One version (the newest when not given). */
export async function getTemplate(
  db: Db,
  orgId: string,
  name: string,
  version?: number,
): Promise<TemplateRow> {
  const [row] = await db
    .select()
    .from(templates)
    .where(
      and(
        eq(templates.orgId, orgId),
        eq(templates.name, name),
        version === undefined ? undefined : eq(templates.version, version),
      ),
    )
    .orderBy(desc(templates.version))
    .limit(1);
  if (!row) throw new NotFound("template", version === undefined ? name : `${name} version ${version}`);
  return row;
}

export async function templateVersions(db: Db, orgId: string, name: string): Promise<number[]> {
  const rows = await db
    .select({ v: templates.version })
    .from(templates)
    .where(and(eq(templates.orgId, orgId), eq(templates.name, name)))
    .orderBy(asc(templates.version));
  return rows.map((r) => r.v);
}

/** Every template with its newest version and how many versions it has. */
export async function listTemplates(db: Db, orgId: string) {
  return db
    .select({
      name: templates.name,
      latest: max(templates.version),
      versions: sql<number>`count(*)::int`,
      updatedAt: max(templates.createdAt),
    })
    .from(templates)
    .where(eq(templates.orgId, orgId))
    .groupBy(templates.name)
    .orderBy(asc(templates.name));
}

/** Records a new instance; Conflict naming it when the name is taken in the organization. */
export async function insertInstance(db: Db, row: typeof instances.$inferInsert): Promise<InstanceRow> {
  try {
    const [r] = await db.insert(instances).values(row).returning();
    return r!;
  } catch (err) {
    if (isUnique(err)) throw new Conflict(`an instance named '${row.name}' exists already`);
    throw err;
  }
}

export async function getInstance(db: Db, orgId: string, name: string): Promise<InstanceRow> {
  const [row] = await db
    .select()
    .from(instances)
    .where(and(eq(instances.orgId, orgId), eq(instances.name, name)));
  if (!row) throw new NotFound("instance", name);
  return row;
}

export async function findInstance(db: Db, orgId: string, name: string): Promise<InstanceRow | undefined> {
  return getInstance(db, orgId, name).catch((err) => {
    if (err instanceof NotFound) return undefined;
    throw err;
  });
}

export async function listInstances(
  db: Db,
  orgId: string,
  o: { template?: string } = {},
): Promise<InstanceRow[]> {
  return db
    .select()
    .from(instances)
    .where(
      and(
        eq(instances.orgId, orgId),
        o.template === undefined ? undefined : eq(instances.template, o.template),
      ),
    )
    .orderBy(asc(instances.name));
}

export async function updateInstance(
  db: Db,
  id: string,
  set: {
    state?: InstanceState;
    version?: number;
    values?: Record<string, string>;
    secrets?: Record<string, string>;
    lastError?: string | null;
    resume?: InstanceResume | null;
  },
): Promise<void> {
  await db
    .update(instances)
    .set({ ...set, updatedAt: new Date() })
    .where(eq(instances.id, id));
}

export async function deleteInstance(db: Db, id: string): Promise<void> {
  await db.delete(instances).where(eq(instances.id, id));
}
