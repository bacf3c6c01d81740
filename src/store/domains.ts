// Routes (the `domains` table). Every query a tenant's request makes takes its organization id; the
// proxy sync alone reads every organization's routes (`activeRoutes`).
import { and, eq, ne, sql } from "drizzle-orm";
import { Conflict } from "../domain/errors.js";
import { SYSTEM_ORG } from "../domain/system.js";
import type { Db } from "./db.js";
import { domains, organizations, stacks, type TLS_MODES } from "./schema.js";

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
}

/**
 * Records a route. A host held by another organization is a Conflict that does not say who holds it;
 * the check and the insert run under a lock on the host name, so two organizations cannot both win.
 */
export async function insertDomain(db: Db, d: NewDomain): Promise<DomainRow> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`berth.domain:${d.hostname}`}))`);
    const held = await tx
      .select({ orgId: domains.orgId, pathPrefix: domains.pathPrefix })
      .from(domains)
      .where(eq(domains.hostname, d.hostname));
    if (held.some((h) => h.orgId !== d.orgId)) {
      throw new Conflict(`host '${d.hostname}' is already taken`);
    }
    if (held.some((h) => h.pathPrefix === d.pathPrefix)) {
      throw new Conflict(
        `${d.hostname}${d.pathPrefix} is already routed in this organization; remove it first (berth domain rm)`,
      );
    }
    const [row] = await tx.insert(domains).values(d).returning();
    return row!;
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
  org: string;
  hostname: string;
  pathPrefix: string;
  /** The stack's namespace on Swarm: the upstream is `<namespace>_<service>`. */
  namespace: string;
  service: string;
  port: number;
  tls: TlsMode;
  httpsRedirect: boolean;
}

/** Every organization's routes: what the proxy serves. */
export async function activeRoutes(db: Db): Promise<ActiveRoute[]> {
  return db
    .select({
      org: organizations.slug,
      hostname: domains.hostname,
      pathPrefix: domains.pathPrefix,
      namespace: stacks.namespace,
      service: domains.service,
      port: domains.port,
      tls: domains.tls,
      httpsRedirect: domains.httpsRedirect,
    })
    .from(domains)
    .innerJoin(stacks, eq(stacks.id, domains.stackId))
    .innerJoin(organizations, eq(organizations.id, domains.orgId))
    .where(ne(organizations.slug, SYSTEM_ORG))
    .orderBy(domains.hostname, domains.pathPrefix);
}
