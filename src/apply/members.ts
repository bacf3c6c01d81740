// Members and API tokens of an organization: who may give which role, which tokens a caller may make,
// and what a member's tokens become when the member's role changes (they grant no more than it; see
// `tokenGrant`) or the member leaves (revoked, in the same transaction, and audited).
import { Forbidden, NotFound } from "../domain/errors.js";
import { type Role, roleAllows, type TokenCreator } from "../domain/roles.js";
import { newSecret, tokenHash } from "../security/passwords.js";
import {
  createToken,
  liveTokensBy,
  removeMember as removeMembership,
  roleIn,
  setMember,
  type TokenRow,
  userByEmail,
} from "../store/identity.js";
import type { Platform } from "./platform.js";

export interface OrgRef {
  id: string;
  slug: string;
}

/** Who acts, for the rules (their role in the organization) and the audit log. */
export interface Acting {
  actor: string;
  role: Role;
  sourceAddress: string | null;
}

export interface MemberChange {
  email: string;
  role: Role;
  /** The role before, if the user was a member. */
  previous: Role | null;
  /** The member's live tokens that now grant only `role`, not the role they were made with. */
  cappedTokens: string[];
}

/** Adds a member or changes a member's role. */
export async function setMemberRole(
  p: Platform,
  org: OrgRef,
  by: Acting,
  v: { email: string; role: Role },
): Promise<MemberChange> {
  const user = await userByEmail(p.db, v.email);
  if (!user) throw new NotFound("user", v.email);
  if (v.role === "owner" && !roleAllows(by.role, "owner"))
    throw new Forbidden("only an owner may make owners");
  const previous = (await roleIn(p.db, org.id, user.id)) ?? null;
  if (previous === "owner" && !roleAllows(by.role, "owner"))
    throw new Forbidden("only an owner may change an owner");
  await setMember(p.db, org.id, user.id, v.role);
  // A platform admin's tokens are capped by that status, not by the membership.
  const live = user.platformAdmin ? [] : await liveTokensBy(p.db, org.id, user.id);
  const capped = live.filter((t) => !roleAllows(v.role, t.role));
  return { email: user.email, role: v.role, previous, cappedTokens: capped.map((t) => t.name) };
}

/** Removes a member and revokes the tokens they created in the organization. */
export async function removeMember(
  p: Platform,
  org: OrgRef,
  by: Acting,
  email: string,
): Promise<{ email: string; role: Role; revokedTokens: Pick<TokenRow, "id" | "name">[] }> {
  const user = await userByEmail(p.db, email);
  const current = user ? await roleIn(p.db, org.id, user.id) : undefined;
  if (!user || !current) throw new NotFound("member", email);
  if (current === "owner" && !roleAllows(by.role, "owner"))
    throw new Forbidden("only an owner may remove an owner");
  const { removed, revoked } = await removeMembership(p.db, {
    orgId: org.id,
    userId: user.id,
    audit: (t) => ({
      actor: by.actor,
      action: "revoke token",
      target: `/api/v1/orgs/${org.slug}/tokens/${t.id}`,
      sourceAddress: by.sourceAddress,
      details: { name: t.name, reason: `its creator ${user.email} was removed from the organization` },
    }),
  });
  // Removed meanwhile by another request: the same answer as if it had been first.
  if (!removed) throw new NotFound("member", email);
  return {
    email: user.email,
    role: current,
    revokedTokens: revoked.map((t) => ({ id: t.id, name: t.name })),
  };
}

/** A new token: no higher than the caller's role, answering to `creator`. The secret is shown once. */
export async function createOrgToken(
  p: Platform,
  org: OrgRef,
  by: Acting & { creator: TokenCreator },
  v: { name: string; role: Role; expiresInDays?: number | undefined },
): Promise<{ token: string; row: TokenRow }> {
  if (!roleAllows(by.role, v.role)) throw new Forbidden(`a ${by.role} cannot create a ${v.role} token`);
  const token = newSecret("berth_");
  const row = await createToken(p.db, {
    orgId: org.id,
    name: v.name,
    role: v.role,
    tokenHash: tokenHash(token),
    creator: by.creator,
    expiresAt: v.expiresInDays ? new Date(Date.now() + v.expiresInDays * 86_400_000) : null,
  });
  return { token, row };
}
