// Users, sessions, organizations, memberships, API tokens, quotas and the audit log. Secrets
// (passwords, session and API tokens) are stored as hashes only. Everything an organization owns is
// read through its id.
import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { Conflict, NotFound } from "../domain/errors.js";
import type { CreatorStanding, Role, TokenCreator } from "../domain/roles.js";
import type { Db } from "./db.js";
import {
  apiTokens,
  auditLog,
  memberships,
  organizations,
  type PolicyRelaxations,
  quotas,
  sessions,
  users,
} from "./schema.js";

export type UserRow = typeof users.$inferSelect;
export type OrgRow = typeof organizations.$inferSelect;
export type TokenRow = typeof apiTokens.$inferSelect;
export type QuotaRow = typeof quotas.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;

const isUnique = (err: unknown) => /unique|duplicate/i.test(String((err as Error)?.message ?? err));

// --- users and sessions ---------------------------------------------------------------------------

export async function createUser(
  db: Db,
  v: { email: string; passwordHash: string; platformAdmin?: boolean },
): Promise<UserRow> {
  try {
    const [row] = await db
      .insert(users)
      .values({ email: v.email, passwordHash: v.passwordHash, platformAdmin: v.platformAdmin ?? false })
      .returning();
    return row!;
  } catch (err) {
    if (isUnique(err)) throw new Conflict(`a user with email '${v.email}' already exists`);
    throw err;
  }
}

export async function userByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, email));
  return row;
}

export async function countPlatformAdmins(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(eq(users.platformAdmin, true));
  return row?.n ?? 0;
}

export async function createSession(
  db: Db,
  userId: string,
  tokenHash: string,
  expiresAt: Date,
): Promise<void> {
  await db.insert(sessions).values({ userId, tokenHash, expiresAt });
  await db.delete(sessions).where(lt(sessions.expiresAt, new Date()));
}

export async function userBySession(db: Db, tokenHash: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select({ user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, new Date())));
  return row?.user;
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

// --- organizations and members ----------------------------------------------------------------------

export async function createOrg(db: Db, slug: string, name: string): Promise<OrgRow> {
  try {
    const [row] = await db.insert(organizations).values({ slug, name }).returning();
    return row!;
  } catch (err) {
    if (isUnique(err)) throw new Conflict(`organization '${slug}' already exists`);
    throw err;
  }
}

export async function orgBySlug(db: Db, slug: string): Promise<OrgRow | undefined> {
  const [row] = await db.select().from(organizations).where(eq(organizations.slug, slug));
  return row;
}

/** Every organization (platform admins), or those `userId` is a member of, with the role there. */
export async function listOrgs(db: Db, userId?: string): Promise<(OrgRow & { role: Role | null })[]> {
  if (!userId) {
    const rows = await db.select().from(organizations).orderBy(organizations.slug);
    return rows.map((o) => ({ ...o, role: null }));
  }
  const rows = await db
    .select({ org: organizations, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(eq(memberships.userId, userId))
    .orderBy(organizations.slug);
  return rows.map((r) => ({ ...r.org, role: r.role }));
}

export async function setPolicy(db: Db, orgId: string, policy: PolicyRelaxations): Promise<void> {
  await db.update(organizations).set({ policy }).where(eq(organizations.id, orgId));
}

export async function roleIn(db: Db, orgId: string, userId: string): Promise<Role | undefined> {
  const [row] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
  return row?.role;
}

export async function setMember(db: Db, orgId: string, userId: string, role: Role): Promise<void> {
  await db
    .insert(memberships)
    .values({ orgId, userId, role })
    .onConflictDoUpdate({ target: [memberships.orgId, memberships.userId], set: { role } });
}

/**
 * Removes a member and, in the same transaction, revokes the live tokens they created in the
 * organization (each revocation written to the audit log as `audit` describes it).
 */
export async function removeMember(
  db: Db,
  v: {
    orgId: string;
    userId: string;
    audit: (t: TokenRow) => Omit<AuditEntry, "orgId">;
  },
): Promise<{ removed: boolean; revoked: TokenRow[] }> {
  return db.transaction(async (tx) => {
    const gone = await tx
      .delete(memberships)
      .where(and(eq(memberships.orgId, v.orgId), eq(memberships.userId, v.userId)))
      .returning();
    if (gone.length === 0) return { removed: false, revoked: [] };
    const revoked = await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(
        and(
          eq(apiTokens.orgId, v.orgId),
          eq(apiTokens.creatorKind, "user"),
          eq(apiTokens.createdBy, v.userId),
          isNull(apiTokens.revokedAt),
        ),
      )
      .returning();
    for (const t of revoked) await writeAudit(tx, { orgId: v.orgId, ...v.audit(t) });
    return { removed: true, revoked };
  });
}

export async function listMembers(db: Db, orgId: string) {
  return db
    .select({ userId: users.id, email: users.email, role: memberships.role, since: memberships.createdAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, orgId))
    .orderBy(users.email);
}

// --- API tokens ------------------------------------------------------------------------------------

export async function createToken(
  db: Db,
  v: {
    orgId: string;
    name: string;
    role: Role;
    tokenHash: string;
    creator: TokenCreator;
    expiresAt: Date | null;
  },
): Promise<TokenRow> {
  const { creator, ...rest } = v;
  const [row] = await db
    .insert(apiTokens)
    .values({
      ...rest,
      creatorKind: creator.kind,
      createdBy: creator.kind === "user" ? creator.userId : null,
    })
    .returning();
  return row!;
}

export interface LiveToken {
  row: TokenRow;
  orgSlug: string;
  /** Its creator as of this query: their membership in the token's organization, platform admin or not. */
  creator: CreatorStanding;
}

/**
 * A live token (not revoked, not expired) by its hash, with its organization's slug and its creator's
 * standing, read in the same query.
 */
export async function tokenByHash(db: Db, tokenHash: string): Promise<LiveToken | undefined> {
  const [row] = await db
    .select({
      token: apiTokens,
      slug: organizations.slug,
      creatorId: users.id,
      creatorPlatformAdmin: users.platformAdmin,
      creatorRole: memberships.role,
    })
    .from(apiTokens)
    .innerJoin(organizations, eq(organizations.id, apiTokens.orgId))
    .leftJoin(users, eq(users.id, apiTokens.createdBy))
    .leftJoin(
      memberships,
      and(eq(memberships.orgId, apiTokens.orgId), eq(memberships.userId, apiTokens.createdBy)),
    )
    .where(
      and(
        eq(apiTokens.tokenHash, tokenHash),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, new Date())),
      ),
    );
  if (!row) return undefined;
  let creator: CreatorStanding;
  if (row.token.creatorKind === "admin-token") creator = { kind: "admin-token" };
  else if (row.creatorId === null) creator = { kind: "unknown" };
  else
    creator = {
      kind: "user",
      userId: row.creatorId,
      platformAdmin: row.creatorPlatformAdmin ?? false,
      role: row.creatorRole,
    };
  return { row: row.token, orgSlug: row.slug, creator };
}

/** Used-at is informational: written at most once a minute per token. */
export async function markTokenUsed(db: Db, t: TokenRow, now: Date): Promise<void> {
  if (now.getTime() - (t.lastUsedAt?.getTime() ?? 0) <= 60_000) return;
  await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, t.id));
}

/** The live tokens a user created in an organization. */
export async function liveTokensBy(db: Db, orgId: string, userId: string): Promise<TokenRow[]> {
  return db
    .select()
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.orgId, orgId),
        eq(apiTokens.creatorKind, "user"),
        eq(apiTokens.createdBy, userId),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, new Date())),
      ),
    )
    .orderBy(apiTokens.name);
}

export async function listTokens(db: Db, orgId: string): Promise<TokenRow[]> {
  return db.select().from(apiTokens).where(eq(apiTokens.orgId, orgId)).orderBy(desc(apiTokens.createdAt));
}

export async function revokeToken(db: Db, orgId: string, id: string): Promise<void> {
  const done = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.orgId, orgId), eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning();
  if (done.length === 0) throw new NotFound("token", id);
}

// --- quotas ---------------------------------------------------------------------------------------

export async function getQuota(db: Db, orgId: string): Promise<QuotaRow | undefined> {
  const [row] = await db.select().from(quotas).where(eq(quotas.orgId, orgId));
  return row;
}

export async function setQuota(
  db: Db,
  orgId: string,
  q: Partial<Pick<QuotaRow, "cpus" | "memoryBytes" | "services" | "replicas" | "volumeBytes">>,
): Promise<QuotaRow> {
  const [row] = await db
    .insert(quotas)
    .values({ orgId, ...q })
    .onConflictDoUpdate({ target: quotas.orgId, set: { ...q, updatedAt: new Date() } })
    .returning();
  return row!;
}

// --- audit ----------------------------------------------------------------------------------------

export interface AuditEntry {
  orgId: string | null;
  actor: string;
  action: string;
  target: string;
  sourceAddress: string | null;
  details?: Record<string, unknown>;
}

export async function writeAudit(db: Db, v: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({ ...v, details: v.details ?? {} });
}

/** Newest first; `before` is the id of the last row of the previous page. */
export async function listAudit(
  db: Db,
  orgId: string | null,
  limit: number,
  before?: number,
): Promise<AuditRow[]> {
  const scope = orgId ? eq(auditLog.orgId, orgId) : undefined;
  const page = before === undefined ? undefined : lt(auditLog.id, before);
  return db.select().from(auditLog).where(and(scope, page)).orderBy(desc(auditLog.id)).limit(limit);
}
