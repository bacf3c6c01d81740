// Stacks and their deployments (immutable revisions). Every read and write is scoped to an
// organization id; another organization's stack is simply not found.
import { and, asc, desc, eq, inArray, notInArray, sql } from "drizzle-orm";
import { Conflict, NotFound } from "../domain/errors.js";
import type { StackModel } from "../domain/stack.js";
import type { Db } from "./db.js";
import {
  type BuiltImageRecord,
  type DeploymentStatus,
  deployments,
  hostPorts,
  jobs,
  organizations,
  type ServiceAction,
  stacks,
} from "./schema.js";

export type DeploymentRow = typeof deployments.$inferSelect;
export type StackRow = typeof stacks.$inferSelect;

/** The organization's id, read only; NotFound when there is none of that slug. */
export async function orgIdOf(db: Db, slug: string): Promise<string> {
  const [row] = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.slug, slug));
  if (!row) throw new NotFound("organization", slug);
  return row.id;
}

/** Creates the organization unless it exists (first start); returns its id. */
export async function ensureOrg(db: Db, slug: string): Promise<string> {
  await db.insert(organizations).values({ slug, name: slug }).onConflictDoNothing();
  const [row] = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.slug, slug));
  return row!.id;
}

/** Records a new revision of `model`, creating the stack on its first deployment. */
export async function createDeployment(
  db: Db,
  opts: {
    id: string;
    orgId: string;
    /** The stack's namespace on Swarm, recorded when the stack is created (kept afterwards). */
    namespace: string;
    /** The model Berth deploys (the input with its decisions, such as host ports, filled in). */
    model: StackModel;
    /** The model as the user gave it; the model itself when not given. */
    input?: StackModel;
    /** The revision whose input this deployment replays. */
    rollbackOf?: number;
    requestedBy: string;
    jobId?: string;
    /** The images a build job made for this deployment. */
    builds?: BuiltImageRecord[];
    /** Host ports the stack's services publish, reserved for it in the same transaction. */
    ports?: { service: string; port: number }[];
  },
): Promise<{ stack: StackRow; deployment: DeploymentRow }> {
  try {
    return await db.transaction(async (tx) => {
      await tx
        .insert(stacks)
        .values({ orgId: opts.orgId, name: opts.model.name, namespace: opts.namespace })
        .onConflictDoUpdate({ target: [stacks.orgId, stacks.name], set: { updatedAt: sql`now()` } });
      const [stack] = await tx
        .select()
        .from(stacks)
        .where(and(eq(stacks.orgId, opts.orgId), eq(stacks.name, opts.model.name)));
      if (opts.ports) await reservePorts(tx, { orgId: opts.orgId, stackId: stack!.id, ports: opts.ports });
      const [last] = await tx
        .select({ revision: deployments.revision })
        .from(deployments)
        .where(eq(deployments.stackId, stack!.id))
        .orderBy(desc(deployments.revision))
        .limit(1);
      const [deployment] = await tx
        .insert(deployments)
        .values({
          id: opts.id,
          stackId: stack!.id,
          revision: (last?.revision ?? 0) + 1,
          input: opts.input ?? opts.model,
          spec: opts.model,
          ...(opts.rollbackOf === undefined ? {} : { rollbackOf: opts.rollbackOf }),
          status: "pending",
          requestedBy: opts.requestedBy,
          ...(opts.jobId ? { jobId: opts.jobId } : {}),
          ...(opts.builds ? { builds: opts.builds } : {}),
        })
        .returning();
      return { stack: stack!, deployment: deployment! };
    });
  } catch (err) {
    if (err instanceof PortTaken) throw err;
    if (isUniqueViolation(err)) {
      throw new Conflict(
        `another deployment of stack '${opts.model.name}' started at the same moment; try again`,
      );
    }
    throw err;
  }
}

export async function updateDeployment(
  db: Db,
  id: string,
  patch: { status: DeploymentStatus; reason?: string; actions?: Record<string, ServiceAction> },
): Promise<void> {
  const terminal =
    patch.status === "succeeded" ||
    patch.status === "failed" ||
    patch.status === "rolled_back" ||
    patch.status === "cancelled";
  await db
    .update(deployments)
    .set({ ...patch, ...(terminal ? { finishedAt: sql`now()` } : {}) })
    .where(eq(deployments.id, id));
}

export async function getDeployment(
  db: Db,
  orgId: string,
  id: string,
): Promise<DeploymentRow & { stackName: string }> {
  const [row] = await db
    .select({ d: deployments, stackName: stacks.name })
    .from(deployments)
    .innerJoin(stacks, eq(stacks.id, deployments.stackId))
    .where(and(eq(deployments.id, id), eq(stacks.orgId, orgId)));
  if (!row) throw new NotFound("deployment", id);
  return { ...row.d, stackName: row.stackName };
}

/** Any organization's deployment, with its stack's namespace: for jobs, which carry their own scope. */
export async function getDeploymentById(
  db: Db,
  id: string,
): Promise<(DeploymentRow & { namespace: string }) | undefined> {
  const [row] = await db
    .select({ d: deployments, namespace: stacks.namespace })
    .from(deployments)
    .innerJoin(stacks, eq(stacks.id, deployments.stackId))
    .where(eq(deployments.id, id));
  return row && { ...row.d, namespace: row.namespace };
}

/** The stack's newest deployment that succeeded before `revision`: the one a failed revision returns to. */
export async function lastSucceeded(
  db: Db,
  stackId: string,
  revision: number,
): Promise<DeploymentRow | undefined> {
  const [row] = await db
    .select()
    .from(deployments)
    .where(
      and(
        eq(deployments.stackId, stackId),
        eq(deployments.status, "succeeded"),
        sql`${deployments.revision} < ${revision}`,
      ),
    )
    .orderBy(desc(deployments.revision))
    .limit(1);
  return row;
}

/** A stack's revisions, newest first (without their models, except the images each service runs). */
export async function listRevisions(db: Db, orgId: string, stack: string) {
  const { id } = await getStack(db, orgId, stack);
  return db
    .select({
      id: deployments.id,
      revision: deployments.revision,
      status: deployments.status,
      reason: deployments.reason,
      requestedBy: deployments.requestedBy,
      rollbackOf: deployments.rollbackOf,
      jobId: deployments.jobId,
      createdAt: deployments.createdAt,
      finishedAt: deployments.finishedAt,
      images: sql<
        Record<string, string>
      >`coalesce((select jsonb_object_agg(s->>'name', s->>'image') from jsonb_array_elements(${deployments.spec}->'services') s), '{}'::jsonb)`,
    })
    .from(deployments)
    .where(eq(deployments.stackId, id))
    .orderBy(desc(deployments.revision));
}

/** One revision of the organization's stack; NotFound when the stack or the revision does not exist. */
export async function getRevision(
  db: Db,
  orgId: string,
  stack: string,
  revision: number,
): Promise<DeploymentRow> {
  const { id } = await getStack(db, orgId, stack);
  const [row] = await db
    .select()
    .from(deployments)
    .where(and(eq(deployments.stackId, id), eq(deployments.revision, revision)));
  if (!row) throw new NotFound("revision", `${stack} ${revision}`);
  return row;
}

/** Deletes these revisions of the stack, but only finished ones (a running one may still be needed). */
export async function deleteRevisions(db: Db, stackId: string, revisions: number[]): Promise<number> {
  if (!revisions.length) return 0;
  const rows = await db
    .delete(deployments)
    .where(
      and(
        eq(deployments.stackId, stackId),
        inArray(deployments.revision, revisions),
        inArray(deployments.status, ["succeeded", "failed", "rolled_back", "cancelled"]),
      ),
    )
    .returning({ id: deployments.id });
  return rows.length;
}

/** The namespace of the organization's stack of that name, if it exists. */
export async function stackNamespaceOf(db: Db, orgId: string, name: string): Promise<string | undefined> {
  const [row] = await db
    .select({ namespace: stacks.namespace })
    .from(stacks)
    .where(and(eq(stacks.orgId, orgId), eq(stacks.name, name)));
  return row?.namespace;
}

/** Deployments not yet finished, across organizations. */
export async function unfinishedDeployments(db: Db): Promise<DeploymentRow[]> {
  return db
    .select()
    .from(deployments)
    .where(inArray(deployments.status, ["pending", "running"]))
    .orderBy(asc(deployments.createdAt));
}

export interface StackSummary {
  stack: StackRow;
  latest: DeploymentRow;
  /** The newest revision that succeeded: what runs when a newer one failed or was rolled back. */
  liveRevision: number | null;
}

/** Every stack of the organization (or the one named) with its latest revision. */
export async function listStacks(db: Db, orgId: string, name?: string): Promise<StackSummary[]> {
  const rows = await db
    .selectDistinctOn([stacks.id], {
      stack: stacks,
      latest: deployments,
      liveRevision: sql<
        number | null
      >`(select max(d.revision) from ${deployments} d where d.stack_id = ${stacks.id} and d.status = 'succeeded')`,
    })
    .from(stacks)
    .innerJoin(deployments, eq(deployments.stackId, stacks.id))
    .where(name === undefined ? eq(stacks.orgId, orgId) : and(eq(stacks.orgId, orgId), eq(stacks.name, name)))
    .orderBy(stacks.id, desc(deployments.revision));
  return rows.sort((a, b) => a.stack.name.localeCompare(b.stack.name));
}

/** The model of each stack's latest revision (what the organization asked to run). */
export async function latestModels(db: Db, orgId: string): Promise<StackModel[]> {
  return (await listStacks(db, orgId)).map((r) => r.latest.spec);
}

export async function getStack(db: Db, orgId: string, name: string): Promise<StackRow> {
  const [row] = await db
    .select()
    .from(stacks)
    .where(and(eq(stacks.orgId, orgId), eq(stacks.name, name)));
  if (!row) throw new NotFound("stack", name);
  return row;
}

export async function deleteStack(db: Db, orgId: string, name: string): Promise<void> {
  await db.delete(stacks).where(and(eq(stacks.orgId, orgId), eq(stacks.name, name)));
}

/** Holds `ports` for the stack, releasing the ones it no longer publishes; Conflict if one is taken. */
async function reservePorts(
  tx: Pick<Db, "delete" | "insert">,
  opts: { orgId: string; stackId: string; ports: { service: string; port: number }[] },
): Promise<void> {
  const wanted = opts.ports.map((p) => p.port);
  await tx
    .delete(hostPorts)
    .where(
      and(
        eq(hostPorts.stackId, opts.stackId),
        wanted.length ? notInArray(hostPorts.port, wanted) : undefined,
      ),
    );
  if (!opts.ports.length) return;
  const held = await tx
    .insert(hostPorts)
    .values(opts.ports.map((p) => ({ ...p, orgId: opts.orgId, stackId: opts.stackId })))
    .onConflictDoUpdate({
      target: hostPorts.port,
      set: { service: sql`excluded.service` },
      setWhere: eq(hostPorts.stackId, opts.stackId),
    })
    .returning({ port: hostPorts.port });
  const taken = wanted.filter((p) => !held.some((h) => h.port === p));
  if (taken.length) throw new PortTaken(taken);
}

export class PortTaken extends Conflict {
  constructor(readonly ports: number[]) {
    super(`host port ${ports.join(", ")} was just taken by another deployment`);
  }
}

/** Ports reserved by every stack except `<org>/<stack>`. */
export async function reservedPorts(db: Db, except: { orgId: string; stack: string }): Promise<Set<number>> {
  const rows = await db
    .select({ port: hostPorts.port })
    .from(hostPorts)
    .innerJoin(stacks, eq(stacks.id, hostPorts.stackId))
    .where(sql`not (${stacks.orgId} = ${except.orgId} and ${stacks.name} = ${except.stack})`);
  return new Set(rows.map((r) => r.port));
}

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === "23505") return true;
  }
  return false;
}

/**
 * Deployments recorded whose job was never queued (the process died in between) can never run;
 * they are marked failed so that nobody waits for them.
 */
export async function failOrphanedDeployments(db: Db): Promise<number> {
  const rows = await db
    .update(deployments)
    .set({ status: "failed", reason: "interrupted before its job was queued", finishedAt: sql`now()` })
    .where(
      and(
        eq(deployments.status, "pending"),
        sql`not exists (select 1 from ${jobs} where ${jobs.id} = ${deployments.jobId})`,
      ),
    )
    .returning({ id: deployments.id });
  return rows.length;
}

export interface DesiredStackRow {
  org: string;
  name: string;
  namespace: string;
  latestStatus: DeploymentStatus;
  settled?: { deploymentId: string; model: StackModel };
}

/** Each stack's newest deployment status and its newest successful deployment (the desired state). */
export async function desiredStacks(db: Db, org?: string): Promise<DesiredStackRow[]> {
  const scope = org ? eq(organizations.slug, org) : undefined;
  const latest = await db
    .selectDistinctOn([stacks.id], {
      stackId: stacks.id,
      org: organizations.slug,
      name: stacks.name,
      namespace: stacks.namespace,
      status: deployments.status,
    })
    .from(stacks)
    .innerJoin(organizations, eq(organizations.id, stacks.orgId))
    .innerJoin(deployments, eq(deployments.stackId, stacks.id))
    .where(scope)
    .orderBy(stacks.id, desc(deployments.revision));
  const settled = await db
    .selectDistinctOn([stacks.id], { stackId: stacks.id, id: deployments.id, spec: deployments.spec })
    .from(stacks)
    .innerJoin(organizations, eq(organizations.id, stacks.orgId))
    .innerJoin(deployments, eq(deployments.stackId, stacks.id))
    .where(and(scope, eq(deployments.status, "succeeded")))
    .orderBy(stacks.id, desc(deployments.revision));
  const ok = new Map(settled.map((s) => [s.stackId, s]));
  return latest.map((l) => {
    const s = ok.get(l.stackId);
    return {
      org: l.org,
      name: l.name,
      namespace: l.namespace,
      latestStatus: l.status,
      ...(s ? { settled: { deploymentId: s.id, model: s.spec } } : {}),
    };
  });
}

/**
 * The revision a pending deployment waits for: the newest earlier one of its stack still pending or
 * running (deploys of a stack run one at a time, in order). Null when it is not waiting for one.
 */
export async function queuedBehind(
  db: Db,
  d: { stackId: string; revision: number; status: string },
): Promise<number | null> {
  if (d.status !== "pending") return null;
  const [row] = await db
    .select({ revision: sql<number | null>`max(${deployments.revision})` })
    .from(deployments)
    .where(
      and(
        eq(deployments.stackId, d.stackId),
        sql`${deployments.revision} < ${d.revision}`,
        inArray(deployments.status, ["pending", "running"]),
      ),
    );
  return row?.revision === null || row?.revision === undefined ? null : Number(row.revision);
}
