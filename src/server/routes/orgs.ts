// Organizations: creation (platform admins), members and roles, API tokens, quota and usage, the
// policy relaxations, the isolation check and the audit log.
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { orgUsage, orgVolumeBytes } from "../../apply/admission.js";
import { requestVerifyIsolation } from "../../apply/isolation.js";
import { type Acting, createOrgToken, removeMember, setMemberRole } from "../../apply/members.js";
import type { Platform } from "../../apply/platform.js";
import { ConfigError, NotFound } from "../../domain/errors.js";
import { nameProblem } from "../../domain/names.js";
import { ROLES } from "../../domain/roles.js";
import { isReservedOrg } from "../../domain/system.js";
import { capabilityName } from "../../plan/policy.js";
import {
  createOrg,
  getQuota,
  listAudit,
  listMembers,
  listTokens,
  orgBySlug,
  revokeToken,
  roleIn,
  setMember,
  setPolicy,
  setQuota,
  userByEmail,
} from "../../store/identity.js";
import { callerOrgs, principalOf, roleAllows } from "../access.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { parseId } from "../views.js";
import { email } from "./identity.js";

const slug = z.string().superRefine((v, ctx) => {
  const problem = nameProblem("org", v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const orgParams = z.object({ org: slug }).strict();
const role = z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` });

const createOrgBody = z
  .object({ slug, name: z.string().min(1).max(100).optional(), owner: email.optional() })
  .strict();
const memberBody = z.object({ email, role }).strict();
const tokenBody = z
  .object({
    name: z.string().min(1, "is required").max(64),
    role,
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();
const quotaBody = z
  .object({
    cpus: z.number().positive().max(10_000).nullable().optional(),
    memoryBytes: z.number().int().positive().nullable().optional(),
    services: z.number().int().min(0).max(100_000).nullable().optional(),
    replicas: z.number().int().min(0).max(1_000_000).nullable().optional(),
    volumeBytes: z.number().int().positive().nullable().optional(),
  })
  .strict();
const policyBody = z
  .object({
    placementLabels: z
      .array(z.string().regex(/^[\w.-]{1,64}$/, "must be a node label key"))
      .max(50)
      .optional(),
    bindMounts: z.boolean().optional(),
    hostPortsAnywhere: z.boolean().optional(),
    capabilities: z
      .array(
        z
          .string()
          .regex(/^(CAP_)?[A-Za-z_]{2,32}$/, "must be a capability name such as NET_ADMIN")
          .transform(capabilityName)
          .refine((c) => c !== "ALL", "ALL is never allowed: name each capability"),
      )
      .max(41)
      .optional(),
  })
  .strict();
const isolationBody = z.object({ other: slug }).strict();
const auditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.coerce.number({ error: "must be a cursor from a previous page" }).int().positive().optional(),
  })
  .strict();

const tokenView = (t: Awaited<ReturnType<typeof listTokens>>[number]) => ({
  id: t.id,
  name: t.name,
  role: t.role,
  createdAt: t.createdAt.toISOString(),
  expiresAt: t.expiresAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
});

export function orgRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "GET",
      url: "/orgs",
      access: "signed-in",
      summary: "Organizations the caller can see",
      response: R.orgList,
    },
    async ({ req }) => {
      return { orgs: await callerOrgs(p, req.caller!) };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/orgs",
      response: z.object({ org: z.object({ slug: z.string(), name: z.string() }) }),
      access: "platform",
      summary: "Create an organization (platform admin)",
      body: createOrgBody,
      status: 201,
    },
    async ({ body }) => {
      if (isReservedOrg(body.slug)) {
        throw new ConfigError("slug", `'${body.slug}' is reserved for Berth's own stacks ('berth-...')`);
      }
      const owner = body.owner ? await userByEmail(p.db, body.owner) : undefined;
      if (body.owner && !owner)
        throw new ConfigError("owner", `no user '${body.owner}'; create it first (POST /users)`);
      const org = await createOrg(p.db, body.slug, body.name ?? body.slug);
      if (owner) await setMember(p.db, org.id, owner.id, "owner");
      return { org: { slug: org.slug, name: org.name } };
    },
  );

  r.add(
    {
      method: "GET",
      url: "/orgs/:org",
      access: "viewer",
      summary: "One organization",
      params: orgParams,
      response: z.object({ org: z.object({ slug: z.string(), role: z.string(), policy: R.policy }) }),
    },
    async ({ req }) => ({
      org: { slug: req.org!.slug, role: req.org!.role, policy: req.org!.policy },
    }),
  );

  r.add(
    {
      method: "GET",
      url: "/orgs/:org/members",
      response: z.object({ members: z.array(R.member) }),
      access: "viewer",
      summary: "Members and their roles",
      params: orgParams,
    },
    async ({ req }) => ({
      members: (await listMembers(p.db, req.org!.id)).map((m) => ({ ...m, since: m.since.toISOString() })),
    }),
  );

  r.add(
    {
      method: "PUT",
      url: "/orgs/:org/members",
      response: z.object({ member: z.object({ email: z.string(), role: z.string() }) }),
      access: "admin",
      summary: "Add a member or change a role",
      params: orgParams,
      body: memberBody,
    },
    async ({ body, req, audit }) => {
      const change = await setMemberRole(p, req.org!, acting(req), body);
      audit({ ...change });
      return { member: { email: change.email, role: change.role } };
    },
  );

  r.add(
    {
      method: "DELETE",
      url: "/orgs/:org/members/:email",
      response: z.object({ removed: z.string() }),
      access: "admin",
      summary: "Remove a member",
      params: z.object({ org: slug, email }).strict(),
    },
    async ({ params, req, audit }) => {
      const { email, role, revokedTokens } = await removeMember(p, req.org!, acting(req), params.email);
      audit({ email, role, revokedTokens: revokedTokens.map((t) => t.name) });
      return { removed: params.email };
    },
  );

  r.add(
    {
      method: "GET",
      url: "/orgs/:org/tokens",
      response: z.object({ tokens: z.array(R.token) }),
      access: "admin",
      summary: "API tokens (never their secret)",
      params: orgParams,
    },
    async ({ req }) => ({
      tokens: (await listTokens(p.db, req.org!.id)).map(tokenView),
    }),
  );

  r.add(
    {
      method: "POST",
      url: "/orgs/:org/tokens",
      response: R.token.extend({ token: z.string() }),
      access: "viewer",
      summary:
        "Create an API token scoped to this organization and a role no higher than the caller's; shown once",
      params: orgParams,
      body: tokenBody,
      status: 201,
      rateLimit: 20,
    },
    async ({ body, req }) => {
      const by = { ...acting(req), creator: principalOf(req.caller!) };
      const { token, row } = await createOrgToken(p, req.org!, by, body);
      return { token, ...tokenView(row) };
    },
  );

  r.add(
    {
      method: "DELETE",
      url: "/orgs/:org/tokens/:id",
      response: z.object({ revoked: z.string() }),
      access: "admin",
      summary: "Revoke an API token",
      params: z.object({ org: slug, id: z.string() }).strict(),
    },
    async ({ params, req }) => {
      await revokeToken(p.db, req.org!.id, parseId(params.id, "token"));
      return { revoked: params.id };
    },
  );

  r.add(
    {
      method: "GET",
      url: "/orgs/:org/quota",
      response: z.object({ quota: R.quota }),
      access: "viewer",
      summary: "The organization's quota",
      params: orgParams,
    },
    async ({ req }) => ({
      quota: quotaView(await getQuota(p.db, req.org!.id)),
    }),
  );

  r.add(
    {
      method: "PUT",
      url: "/orgs/:org/quota",
      response: z.object({ quota: R.quota }),
      access: "platform",
      summary: "Set the quota (platform admin); null lifts a limit",
      params: orgParams,
      body: quotaBody,
    },
    async ({ body, req }) => ({ quota: quotaView(await setQuota(p.db, req.org!.id, body)) }),
  );

  r.add(
    {
      method: "GET",
      url: "/orgs/:org/usage",
      response: R.usage,
      access: "viewer",
      summary: "What the organization's stacks use, beside its quota",
      params: orgParams,
    },
    async ({ req }) => {
      const { others } = await orgUsage(p, req.org!.id);
      const volumeBytes = await orgVolumeBytes(p, req.org!.slug);
      return { usage: { ...others, volumeBytes }, quota: quotaView(await getQuota(p.db, req.org!.id)) };
    },
  );

  r.add(
    {
      method: "GET",
      url: "/orgs/:org/policy",
      response: z.object({ policy: R.policy }),
      access: "platform",
      summary: "The workload policy rules lifted for this organization (platform admin)",
      params: orgParams,
    },
    async ({ req }) => ({ policy: req.org!.policy }),
  );

  r.add(
    {
      method: "PUT",
      url: "/orgs/:org/policy",
      response: z.object({ policy: R.policy }),
      access: "platform",
      summary: "Lift workload policy rules for this organization (platform admin)",
      params: orgParams,
      body: policyBody,
    },
    async ({ body, req }) => {
      await setPolicy(p.db, req.org!.id, body);
      return { policy: body };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/orgs/:org/verify-isolation",
      response: z.object({ jobId: z.string() }),
      access: "admin",
      summary:
        "Queue a job that sends real traffic: within the organization it must connect, to the other one it must not (the report is the job's result)",
      params: orgParams,
      body: isolationBody,
      status: 202,
    },
    async ({ body, req }) => {
      const other = await orgBySlug(p.db, body.other);
      const c = req.caller!;
      const allowed =
        other &&
        (c.platformAdmin ||
          (!c.token &&
            c.userId &&
            roleAllows((await roleIn(p.db, other.id, c.userId)) ?? "viewer", "admin")));
      if (!other || !allowed || other.slug === req.org!.slug) {
        if (other?.slug === req.org!.slug) throw new ConfigError("other", "must be another organization");
        throw new NotFound("organization", body.other);
      }
      return requestVerifyIsolation(p, {
        orgId: req.org!.id,
        a: req.org!.slug,
        b: other.slug,
        requestedBy: c.actor,
        correlationId: req.id,
      });
    },
  );

  r.add(
    {
      method: "GET",
      url: "/orgs/:org/audit",
      response: R.audit,
      access: "admin",
      summary: "Audit log: who changed what, when, from where (newest first)",
      params: orgParams,
      query: auditQuery,
    },
    async ({ query, req }) => {
      const rows = await listAudit(p.db, req.org!.id, query.limit, query.cursor);
      return {
        entries: rows.map((a) => ({ ...a, at: a.at.toISOString() })),
        nextCursor: rows.length === query.limit ? (rows.at(-1)?.id ?? null) : null,
      };
    },
  );
}

function acting(req: FastifyRequest): Acting {
  return { actor: req.caller!.actor, role: req.org!.role, sourceAddress: req.ip };
}

function quotaView(q: Awaited<ReturnType<typeof getQuota>>) {
  return {
    cpus: q?.cpus ?? null,
    memoryBytes: q?.memoryBytes ?? null,
    services: q?.services ?? null,
    replicas: q?.replicas ?? null,
    volumeBytes: q?.volumeBytes ?? null,
  };
}
