// Observed state of services and nodes, written by the observer and read by `ps` and the API.
import { and, eq, inArray, notInArray, sql } from "drizzle-orm";
import type { TaskSummary } from "../plan/observe.js";
import type { ObservedNode } from "../plan/observed.js";
import type { Db } from "./db.js";
import { nodes, organizations, services, stacks } from "./schema.js";

export type ServiceRow = typeof services.$inferSelect;

/** Stack ids by `<org>/<stack>`, to place observed services. */
export async function stackIndex(db: Db): Promise<Map<string, { orgId: string; stackId: string }>> {
  const rows = await db
    .select({ org: organizations.slug, orgId: organizations.id, stack: stacks.name, stackId: stacks.id })
    .from(stacks)
    .innerJoin(organizations, eq(organizations.id, stacks.orgId));
  return new Map(rows.map((r) => [`${r.org}/${r.stack}`, { orgId: r.orgId, stackId: r.stackId }]));
}

export interface ServiceStateRow {
  orgId: string;
  stackId: string;
  name: string;
  swarmId: string;
  image: string;
  desiredReplicas: number;
  runningReplicas: number;
  ports: number[];
  tasks: TaskSummary[];
}

export async function upsertServiceStates(db: Db, rows: ServiceStateRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insert(services)
    .values(rows.map((r) => ({ ...r, presence: "present" as const })))
    .onConflictDoUpdate({
      target: [services.stackId, services.name],
      set: {
        swarmId: sql`excluded.swarm_id`,
        image: sql`excluded.image`,
        desiredReplicas: sql`excluded.desired_replicas`,
        runningReplicas: sql`excluded.running_replicas`,
        ports: sql`excluded.ports`,
        tasks: sql`excluded.tasks`,
        presence: sql`'present'`,
        observedAt: sql`now()`,
      },
    });
}

/** Services Swarm no longer has: by swarm id (an event), or all not in `present` (a full resync). */
export async function markMissing(db: Db, opts: { swarmIds?: string[]; allBut?: string[] }): Promise<void> {
  const where = opts.swarmIds
    ? inArray(services.swarmId, opts.swarmIds)
    : opts.allBut?.length
      ? notInArray(services.swarmId, opts.allBut)
      : undefined;
  await db
    .update(services)
    .set({ presence: "missing", runningReplicas: 0, tasks: [], observedAt: sql`now()` })
    .where(and(eq(services.presence, "present"), where));
}

/** Observed services of an organization, or of one of its stacks. */
export async function serviceStates(db: Db, orgId: string, stackId?: string): Promise<ServiceRow[]> {
  const where = stackId
    ? and(eq(services.orgId, orgId), eq(services.stackId, stackId))
    : eq(services.orgId, orgId);
  return db.select().from(services).where(where);
}

export async function replaceNodes(db: Db, observed: ObservedNode[]): Promise<void> {
  await db.transaction(async (tx) => {
    if (observed.length) {
      await tx
        .insert(nodes)
        .values(
          observed.map((n) => ({
            id: n.id,
            hostname: n.hostname,
            role: n.role,
            status: n.status,
            availability: n.availability,
            address: n.address ?? null,
            labels: n.labels,
          })),
        )
        .onConflictDoUpdate({
          target: nodes.id,
          set: {
            hostname: sql`excluded.hostname`,
            role: sql`excluded.role`,
            status: sql`excluded.status`,
            availability: sql`excluded.availability`,
            address: sql`excluded.address`,
            labels: sql`excluded.labels`,
            observedAt: sql`now()`,
          },
        });
    }
    await tx.delete(nodes).where(
      observed.length
        ? notInArray(
            nodes.id,
            observed.map((n) => n.id),
          )
        : undefined,
    );
  });
}

export async function listNodes(db: Db) {
  return db.select().from(nodes).orderBy(nodes.hostname);
}
