// Roles within an organization, and the rule for what an API token may do. A token borrows its
// creator's rights: it never grants more than the creator holds in that organization now.

export const ROLES = ["owner", "admin", "deployer", "viewer"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 1, deployer: 2, admin: 3, owner: 4 };

export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

export function isRole(v: string): v is Role {
  return (ROLES as readonly string[]).includes(v);
}

/** The lower of two roles. */
export function lowerRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

/**
 * Who a token answers to: a user (a member, or a platform admin), or the bootstrap admin token. A token
 * created with another token answers to that token's creator.
 */
export type TokenCreator = { kind: "user"; userId: string } | { kind: "admin-token" };

/** What is known of a token's creator at the moment the token is used. */
export type CreatorStanding =
  /** The installation's root credential: it stands as long as the installation does. */
  | { kind: "admin-token" }
  /** `role`: the creator's membership in the token's organization, if any. */
  | { kind: "user"; userId: string; platformAdmin: boolean; role: Role | null }
  /** The user was deleted, or the token predates recorded creators: nobody answers for it. */
  | { kind: "unknown" };

/**
 * The role a token grants: its own, capped by what its creator holds now (platform admins act as
 * owners everywhere). Undefined: it grants nothing, like a revoked token.
 */
export function tokenGrant(tokenRole: Role, creator: CreatorStanding): Role | undefined {
  switch (creator.kind) {
    case "admin-token":
      return tokenRole;
    case "unknown":
      return undefined;
    case "user": {
      const cap = creator.platformAdmin ? "owner" : creator.role;
      return cap ? lowerRole(tokenRole, cap) : undefined;
    }
  }
}
