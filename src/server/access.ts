// Who is calling and in which organization. A request authenticates with the bootstrap admin token,
// an organization's API token (Bearer), or a session cookie from `POST /auth/login`. Organization
// routes then resolve the organization (`:org` in the path, else the `X-Berth-Org` header, else the
// token's own, else the default one) and the caller's role there. Not being a member reads
// as "not found", so that other organizations' existence does not leak. An API token grants what
// `tokenGrant` says: its role, capped by its creator's role now.
import { createHash, timingSafeEqual } from "node:crypto";
import type {} from "@fastify/cookie";
import type { FastifyRequest } from "fastify";
import type { Platform } from "../apply/platform.js";
import { DEFAULT_ORG } from "../config/defaults.js";
import { Forbidden, NotFound, Unauthorized } from "../domain/errors.js";
import { nameProblem } from "../domain/names.js";
import {
  type CreatorStanding,
  type Role,
  roleAllows,
  type TokenCreator,
  tokenGrant,
} from "../domain/roles.js";
import { isReservedOrg } from "../domain/system.js";
import type { PolicyRelaxations } from "../plan/policy.js";
import { tokenHash } from "../security/passwords.js";
import { listOrgs, markTokenUsed, orgBySlug, roleIn, tokenByHash, userBySession } from "../store/identity.js";

export { isRole, roleAllows } from "../domain/roles.js";

export const SESSION_COOKIE = "berth_session";
/** The header a change made with the session cookie must carry (CSRF defense; tokens need none). */
export const CSRF_HEADER = "x-berth-csrf";

/**
 * The session's CSRF token: derived from the session secret, so it needs no storage and dies with
 * the session. The dashboard reads it from `GET /me` (a same-origin read another site cannot make) and
 * sends it as X-Berth-CSRF; a forged cross-site request cannot know it.
 */
export function csrfToken(session: string): string {
  return createHash("sha256").update(`berth-csrf:${session}`).digest("base64url");
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** What a route requires: a role in the organization, a platform admin, any signed-in caller, or nobody. */
export type Access = Role | "platform" | "signed-in" | "public";

export interface Caller {
  /** For the audit log: `admin-token`, `user:<email>`, `token:<name>@<org>`. */
  actor: string;
  userId?: string;
  platformAdmin: boolean;
  /**
   * Set when the caller is an organization's API token: it acts there only, with `role` as granted
   * now, on behalf of `creator`.
   */
  token?: { id: string; orgSlug: string; role: Role; creator: TokenCreator };
}

export interface OrgContext {
  id: string;
  slug: string;
  /** The caller's role here (platform admins act as owners). */
  role: Role;
  policy: PolicyRelaxations;
}

declare module "fastify" {
  interface FastifyRequest {
    caller?: Caller;
    org?: OrgContext;
    /** Why the credentials sent identify nobody: refused, except on public routes. */
    credentialProblem?: string;
    /** The session secret, when the caller was identified by the session cookie. */
    session?: string;
  }
}

/**
 * Identifies the caller, or leaves `req.caller` unset: when no credentials were sent, or when they
 * identify nobody (`req.credentialProblem` says why; `authorize` refuses it on any route that is not
 * public, so a stale cookie never stands in the way of signing in).
 */
export async function authenticate(p: Platform, bootstrapToken: string, req: FastifyRequest): Promise<void> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const given = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!given) {
      req.credentialProblem = "the Authorization header must be 'Bearer <token>'";
      return;
    }
    const a = Buffer.from(tokenHash(given));
    const b = Buffer.from(tokenHash(bootstrapToken));
    if (timingSafeEqual(a, b)) {
      req.caller = { actor: "admin-token", platformAdmin: true };
      return;
    }
    const t = await tokenByHash(p.db, tokenHash(given));
    const role = t && tokenGrant(t.row.role, t.creator);
    if (!t || !role || t.creator.kind === "unknown") {
      req.credentialProblem = "invalid, expired or revoked API token";
      return;
    }
    await markTokenUsed(p.db, t.row, new Date());
    req.caller = {
      actor: `token:${t.row.name}@${t.orgSlug}`,
      platformAdmin: false,
      token: { id: t.row.id, orgSlug: t.orgSlug, role, creator: answersTo(t.creator) },
    };
    return;
  }
  const cookie = req.cookies?.[SESSION_COOKIE];
  if (cookie) {
    const user = await userBySession(p.db, tokenHash(cookie));
    if (!user) {
      req.credentialProblem = "the session has expired; sign in again";
      return;
    }
    req.caller = { actor: `user:${user.email}`, userId: user.id, platformAdmin: user.platformAdmin };
    req.session = cookie;
  }
}

/**
 * CSRF defense, before anything else runs: a browser's cross-site request that changes something is
 * refused whatever it carries (Sec-Fetch-Site, which pages cannot forge), and `authorize` refuses a
 * change made with the session cookie that lacks the session's CSRF token. API tokens in the
 * Authorization header are never sent by a browser on its own, so they need neither.
 */
export function refuseCrossSite(req: FastifyRequest): void {
  if (SAFE_METHODS.has(req.method) || req.headers.authorization !== undefined) return;
  const site = req.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") {
    throw new Forbidden("a change cannot be requested from another site");
  }
}

function checkCsrf(req: FastifyRequest): void {
  if (!req.session || SAFE_METHODS.has(req.method)) return;
  const given = req.headers[CSRF_HEADER];
  const a = Buffer.from(typeof given === "string" ? given : "");
  const b = Buffer.from(csrfToken(req.session));
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new Forbidden(
      "a change made with the session cookie needs the X-Berth-CSRF header (csrfToken from GET /api/v1/me)",
    );
  }
}

function answersTo(c: Exclude<CreatorStanding, { kind: "unknown" }>): TokenCreator {
  return c.kind === "user" ? { kind: "user", userId: c.userId } : c;
}

/**
 * Whom a token the caller creates answers to: the signed-in user, the admin token, or, for a token
 * creating a token, the same creator (so it cannot outlive the rights it came from).
 */
export function principalOf(c: Caller): TokenCreator {
  if (c.token) return c.token.creator;
  if (c.userId) return { kind: "user", userId: c.userId };
  return { kind: "admin-token" };
}

/** The organizations a caller can act in, with its role in each (platform admins: all, as owners). */
export async function callerOrgs(
  p: Platform,
  c: Caller,
): Promise<{ slug: string; name?: string; role: Role }[]> {
  if (c.token) return [{ slug: c.token.orgSlug, role: c.token.role }];
  const rows = (await listOrgs(p.db, c.platformAdmin ? undefined : c.userId)).filter(
    (o) => !isReservedOrg(o.slug),
  );
  return rows.map((o) => ({ slug: o.slug, name: o.name, role: o.role ?? "owner" }));
}

/** Checks `access` for the request and, for organization routes, fills `req.org`. */
export async function authorize(p: Platform, req: FastifyRequest, access: Access): Promise<void> {
  if (access === "public") return;
  const caller = req.caller;
  if (!caller)
    throw new Unauthorized(
      req.credentialProblem ?? "sign in (berth login) or send an API token: Authorization: Bearer <token>",
    );
  checkCsrf(req);
  if (access === "signed-in") return;
  if (access === "platform") {
    if (!caller.platformAdmin) throw new Forbidden("only a platform admin may do this");
    // A platform route about one organization (`:org`) gets it resolved like any other.
    if (!(req.params as { org?: string } | undefined)?.org) return;
  }
  const slug = requestedOrg(req);
  // The system namespace is nobody's organization: not even a platform admin acts in it here.
  if (nameProblem("org", slug) || isReservedOrg(slug) || (caller.token && caller.token.orgSlug !== slug)) {
    throw new NotFound("organization", slug.slice(0, 64));
  }
  const org = await orgBySlug(p.db, slug);
  if (!org) throw new NotFound("organization", slug);
  let role: Role | undefined;
  if (caller.platformAdmin) role = "owner";
  else if (caller.token) role = caller.token.role;
  else if (caller.userId) role = await roleIn(p.db, org.id, caller.userId);
  if (!role) throw new NotFound("organization", slug);
  if (access !== "platform" && !roleAllows(role, access)) {
    throw new Forbidden(`this needs the ${access} role in '${slug}'; you are ${role}`);
  }
  req.org = { id: org.id, slug: org.slug, role, policy: org.policy };
}

function requestedOrg(req: FastifyRequest): string {
  const fromPath = (req.params as { org?: string } | undefined)?.org;
  if (fromPath) return fromPath;
  // A token scoped to one organization that names another gets "not found", like any other caller.
  const header = req.headers["x-berth-org"];
  if (typeof header === "string" && header) return header;
  return req.caller?.token?.orgSlug ?? DEFAULT_ORG;
}
