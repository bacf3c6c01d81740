// Routes (the `domains` table). Every query a tenant's request makes takes its organization id; the
// proxy sync alone reads every organization's routes (`activeRoutes`).
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import { ConfigError, Conflict } from "../domain/errors.js";
import { SYSTEM_ORG } from "../domain/system.js";
import type { Db } from "./db.js";
import {
  domains,
  organizations,
  type RouteNotice,
  type RouteStatus,
  stacks,
  type TLS_MODES,
} from "./schema.js";

export type DomainRow = typeof domains.$inferSelect;
export type TlsMode = (typeof TLS_MODES)[number];

export interface NewDomain {
  orgId: string;
  stackId: string;
  hostname: string;
  pathPrefix: string;
  service: string;
  port: number;
  tls: TlsMode;
  httpsRedirect: boolean;
  status?: RouteStatus;
  managedByStack?: boolean;
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Serializes claims of one host name across organizations (and control planes). */
async function lockHost(tx: Tx, hostname: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`berth.domain:${hostname}`}))`);
}

/**
 * Whether `d` may be stored beside the routes that hold its host now: a host belongs to one
 * organization (a Conflict that does not say who holds it), a host and path to one route, and every
 * route of a host shares one TLS mode (the proxy takes one certificate policy per host).
 */
function claimProblem(
  d: NewDomain,
  held: { orgId: string; pathPrefix: string; tls: TlsMode; stackId: string; managedByStack: boolean }[],
): Error | undefined {
  if (held.some((h) => h.orgId !== d.orgId)) return new Conflict(`host '${d.hostname}' is already taken`);
  const same = held.find((h) => h.pathPrefix === d.pathPrefix);
  if (same) {
    return new Conflict(
      same.managedByStack
        ? `${d.hostname}${d.pathPrefix} is already routed by a stack of this organization`
        : `${d.hostname}${d.pathPrefix} is already routed in this organization; remove it first (berth domain rm)`,
    );
  }
  const other = held.find((h) => h.tls !== d.tls);
  if (other) {
    return new ConfigError(
      "tls",
      `${d.hostname}${other.pathPrefix || "/"} uses tls ${other.tls}; every route of a host uses the same TLS mode`,
    );
  }
  return undefined;
}

async function heldRoutes(tx: Tx, hostname: string, except?: { stackId: string }) {
  const rows = await tx
    .select({
      orgId: domains.orgId,
      pathPrefix: domains.pathPrefix,
      tls: domains.tls,
      stackId: domains.stackId,
      managedByStack: domains.managedByStack,
    })
    .from(domains)
    .where(eq(domains.hostname, hostname));
  return except ? rows.filter((r) => !(r.managedByStack && r.stackId === except.stackId)) : rows;
}

/**
 * Records a route. The checks (claimProblem) and the insert run under a lock on the host name, so
 * two organizations cannot both win.
 */
export async function insertDomain(db: Db, d: NewDomain): Promise<DomainRow> {
  return db.transaction(async (tx) => {
    await lockHost(tx, d.hostname);
    const problem = claimProblem(d, await heldRoutes(tx, d.hostname));
    if (problem) throw problem;
    const [row] = await tx.insert(domains).values(d).returning();
    return row!;
  });
}

/** Whether another organization routes the host now. */
export async function hostHeldByAnother(db: Db, orgId: string, hostname: string): Promise<boolean> {
  const rows = await db
    .select({ id: domains.id })
    .from(domains)
    .where(and(eq(domains.hostname, hostname), ne(domains.orgId, orgId)))
    .limit(1);
  return rows.length > 0;
}

/** Throws what storing these routes would run into now (claimProblem), storing nothing. */
export async function checkClaims(db: Db, routes: NewDomain[]): Promise<void> {
  for (const d of routes) {
    const held = await heldRoutes(db as unknown as Tx, d.hostname, { stackId: d.stackId });
    const problem = claimProblem(d, held);
    if (problem) throw problem;
  }
}

/**
 * Makes the stack's own routes (those its deployments manage) exactly `routes`: those no longer
 * wanted go, new ones are stored `pending`, changed ones are updated (and `pending` again). A route
 * kept as it was keeps its state (maintenance, suspension). Returns whether anything changed.
 */
export async function replaceStackRoutes(
  db: Db,
  o: { orgId: string; stackId: string; routes: NewDomain[] },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const hosts = [...new Set(o.routes.map((r) => r.hostname))].sort();
    for (const h of hosts) await lockHost(tx, h);
    const current = await tx
      .select()
      .from(domains)
      .where(and(eq(domains.stackId, o.stackId), eq(domains.managedByStack, true)));
    const key = (r: { hostname: string; pathPrefix: string }) => `${r.hostname}${r.pathPrefix}`;
    const wanted = new Map(o.routes.map((r) => [key(r), r]));
    let changed = false;
    const gone = current.filter((c) => !wanted.has(key(c))).map((c) => c.id);
    if (gone.length) {
      await tx.delete(domains).where(inArray(domains.id, gone));
      changed = true;
    }
    for (const r of o.routes) {
      const now = current.find((c) => key(c) === key(r));
      if (!now) {
        const problem = claimProblem(r, await heldRoutes(tx, r.hostname, { stackId: o.stackId }));
        if (problem) throw problem;
        await tx.insert(domains).values({ ...r, status: "pending", managedByStack: true });
        changed = true;
      } else if (
        now.service !== r.service ||
        now.port !== r.port ||
        now.tls !== r.tls ||
        now.httpsRedirect !== r.httpsRedirect ||
        now.status === "failed"
      ) {
        const problem = claimProblem(r, await heldRoutes(tx, r.hostname, { stackId: o.stackId }));
        if (problem) throw problem;
        await tx
          .update(domains)
          .set({
            service: r.service,
            port: r.port,
            tls: r.tls,
            httpsRedirect: r.httpsRedirect,
            status: "pending",
            error: null,
          })
          .where(eq(domains.id, now.id));
        changed = true;
      }
    }
    return changed;
  });
}

export interface DomainView extends DomainRow {
  stack: string;
}

export async function listDomains(db: Db, orgId: string): Promise<DomainView[]> {
  const rows = await db
    .select({ d: domains, stack: stacks.name })
    .from(domains)
    .innerJoin(stacks, eq(stacks.id, domains.stackId))
    .where(eq(domains.orgId, orgId))
    .orderBy(domains.hostname, domains.pathPrefix);
  return rows.map((r) => ({ ...r.d, stack: r.stack }));
}

/** Removes the organization's routes of `hostname` (one path prefix, or all of them); returns how many. */
export async function deleteDomains(
  db: Db,
  orgId: string,
  hostname: string,
  pathPrefix?: string,
): Promise<number> {
  const rows = await db
    .delete(domains)
    .where(
      and(
        eq(domains.orgId, orgId),
        eq(domains.hostname, hostname),
        pathPrefix === undefined ? undefined : eq(domains.pathPrefix, pathPrefix),
      ),
    )
    .returning({ id: domains.id });
  return rows.length;
}

export interface ActiveRoute {
  id: string;
  org: string;
  hostname: string;
  pathPrefix: string;
  /** The stack's namespace on Swarm: the upstream is `<namespace>_<service>`. */
  namespace: string;
  service: string;
  port: number;
  tls: TlsMode;
  httpsRedirect: boolean;
  status: RouteStatus;
  maintenance: RouteNotice | null;
  suspension: RouteNotice | null;
}

/** Every organization's routes the proxy should serve (all but those it refused). */
export async function activeRoutes(db: Db): Promise<ActiveRoute[]> {
  return db
    .select({
      id: domains.id,
      org: organizations.slug,
      hostname: domains.hostname,
      pathPrefix: domains.pathPrefix,
      namespace: stacks.namespace,
      service: domains.service,
      port: domains.port,
      tls: domains.tls,
      httpsRedirect: domains.httpsRedirect,
      status: domains.status,
      maintenance: domains.maintenance,
      suspension: domains.suspension,
    })
    .from(domains)
    .innerJoin(stacks, eq(stacks.id, domains.stackId))
    .innerJoin(organizations, eq(organizations.id, domains.orgId))
    .where(and(ne(organizations.slug, SYSTEM_ORG), ne(domains.status, "failed")))
    .orderBy(domains.hostname, domains.pathPrefix);
}

/** The routes by id (any organization): what a proxy-sync job added. */
export async function routesById(db: Db, ids: string[]): Promise<DomainRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(domains).where(inArray(domains.id, ids));
}

export async function setRouteStatus(
  db: Db,
  ids: string[],
  status: RouteStatus,
  error: string | null = null,
): Promise<void> {
  if (ids.length === 0) return;
  // Only routes still waiting: a route a later change made pending again is not marked by an older load.
  await db
    .update(domains)
    .set({ status, error })
    .where(and(inArray(domains.id, ids), status === "active" ? eq(domains.status, "pending") : undefined));
}

export async function deleteRoutes(db: Db, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return (await db.delete(domains).where(inArray(domains.id, ids)).returning({ id: domains.id })).length;
}

/** Puts the organization's routes of a host (or one path of it) in maintenance, or back (null). */
export async function setMaintenance(
  db: Db,
  o: { orgId: string; hostname: string; pathPrefix?: string; notice: RouteNotice | null },
): Promise<number> {
  const rows = await db
    .update(domains)
    .set({ maintenance: o.notice })
    .where(
      and(
        eq(domains.orgId, o.orgId),
        eq(domains.hostname, o.hostname),
        o.pathPrefix === undefined ? undefined : eq(domains.pathPrefix, o.pathPrefix),
      ),
    )
    .returning({ id: domains.id });
  return rows.length;
}

/**
 * Suspends (notice) or resumes (null) every route of one organization, or of all (orgId null).
 * Suspension is kept apart from each route's own state, so a resume gives back exactly what was there.
 */
export async function setSuspension(
  db: Db,
  o: { orgId: string | null; notice: RouteNotice | null },
): Promise<number> {
  const rows = await db
    .update(domains)
    .set({ suspension: o.notice })
    .where(
      and(
        o.orgId === null ? undefined : eq(domains.orgId, o.orgId),
        o.notice === null ? sql`${domains.suspension} is not null` : undefined,
      ),
    )
    .returning({ id: domains.id });
  return rows.length;
}

/**
 * Puts the stack's routes that are not in maintenance already in maintenance (`notice`); returns
 * their ids, so that exactly these can be given back later (clearMaintenance).
 */
export async function stackRoutesToMaintenance(
  db: Db,
  o: { orgId: string; stackId: string; notice: RouteNotice },
): Promise<string[]> {
  const rows = await db
    .update(domains)
    .set({ maintenance: o.notice })
    .where(
      and(eq(domains.orgId, o.orgId), eq(domains.stackId, o.stackId), sql`${domains.maintenance} is null`),
    )
    .returning({ id: domains.id });
  return rows.map((r) => r.id);
}

/** Takes these routes of the organization out of maintenance. */
export async function clearMaintenance(db: Db, orgId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db
    .update(domains)
    .set({ maintenance: null })
    .where(and(eq(domains.orgId, orgId), inArray(domains.id, ids)))
    .returning({ id: domains.id });
  return rows.length;
}
