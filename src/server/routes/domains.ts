// Routes to an organization's services (`berth domain ...`); the proxy picks them up through a
// proxy-sync job. Platform admins see the system stacks (`berth system ps`).
import { z } from "zod";
import { routeCertificate } from "../../apply/certificates.js";
import {
  addDomain,
  domainsOf,
  removeDomain,
  setDomainMaintenance,
  setHostCertificate,
  suspendRoutes,
} from "../../apply/domains.js";
import type { Platform } from "../../apply/platform.js";
import { systemStacks } from "../../apply/system.js";
import type { CertificateState } from "../../plan/certificate-status.js";
import type { DomainRow } from "../../store/domains.js";
import { TLS_MODES } from "../../store/schema.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";

const addBody = z
  .object({
    host: z.string().min(1, "is required").max(1000),
    stack: z.string().min(1, "is required").max(64),
    service: z.string().min(1, "is required").max(64),
    port: z.number({ error: "must be a port number" }).int().min(1).max(65535),
    path: z.string().max(300).optional(),
    tls: z.enum(TLS_MODES, { error: `must be one of ${TLS_MODES.join(", ")}` }).default("acme"),
    httpsRedirect: z.boolean().default(false),
    /** With `tls: "upload"`: the PEM chain (leaf first) and its private key (sealed at rest, never returned). */
    certificate: z.lazy(() => certificateBody).optional(),
  })
  .strict();
const pem = z
  .string()
  .min(1, "is required")
  .max(64 * 1024, "must be at most 64 KiB of PEM");
const certificateBody = z.object({ cert: pem, key: pem }).strict();
const hostParams = z.object({ host: z.string().min(1).max(1000) }).strict();
const removeQuery = z.object({ path: z.string().max(300).optional() }).strict();

const noticeBody = z
  .object({
    message: z.string().max(1000).optional(),
    retryAfter: z.number({ error: "must be seconds" }).int().min(0).max(604_800).optional(),
  })
  .strict();
const maintenanceBody = noticeBody.extend({ path: z.string().max(300).optional() }).strict();

const certificateView = (c: CertificateState | null) =>
  c && {
    status: c.status,
    issuer: c.issuer,
    notAfter: c.notAfter?.toISOString() ?? null,
    error: c.error,
    checkedAt: c.checkedAt?.toISOString() ?? null,
  };

const view = (p: Platform, d: DomainRow & { stack: string }) => ({
  host: d.hostname,
  path: d.pathPrefix,
  stack: d.stack,
  service: d.service,
  port: d.port,
  tls: d.tls,
  httpsRedirect: d.httpsRedirect,
  status: d.status,
  error: d.error,
  source: d.managedByStack ? ("stack" as const) : ("domain" as const),
  maintenance: d.maintenance ?? null,
  suspension: d.suspension ?? null,
  certificate: certificateView(routeCertificate(p, d)),
  createdAt: d.createdAt.toISOString(),
});

const changed = z.object({ changed: z.number().int(), jobId: z.string() });

export function domainRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "GET",
      url: "/domains",
      access: "viewer",
      summary: "The organization's routes: host (and path prefix) to a service port",
      response: z.object({ domains: z.array(R.domain) }),
    },
    async ({ req }) => ({ domains: (await domainsOf(p, req.org!.id)).map((d) => view(p, d)) }),
  );

  r.add(
    {
      method: "POST",
      url: "/domains",
      access: "deployer",
      summary:
        "Route a host (and optional path prefix) to a service port of a stack's live revision; queues a proxy sync",
      body: addBody,
      status: 202,
      response: z.object({ domain: R.domain, jobId: z.string() }),
    },
    async ({ body, req }) => {
      const { domain, jobId } = await addDomain(
        p,
        { org: req.org!, requestedBy: req.caller!.actor, correlationId: req.id },
        body,
      );
      return { domain: view(p, { ...domain, stack: body.stack }), jobId };
    },
  );

  r.add(
    {
      method: "PUT",
      url: "/domains/:host/certificate",
      access: "deployer",
      summary:
        "Upload (or replace) the organization's certificate for a host, for its routes with tls upload; queues a proxy sync",
      params: hostParams,
      body: certificateBody,
      response: z.object({
        host: z.string(),
        issuer: z.string(),
        notAfter: z.string(),
        fingerprint: z.string(),
        jobId: z.string(),
      }),
    },
    async ({ params, body, req }) => {
      const r = await setHostCertificate(
        p,
        { org: req.org!, requestedBy: req.caller!.actor, correlationId: req.id },
        { host: params.host, ...body },
      );
      return { ...r, notAfter: r.notAfter.toISOString() };
    },
  );

  r.add(
    {
      method: "DELETE",
      url: "/domains/:host",
      access: "deployer",
      summary: "Remove the routes of a host (or of one path prefix); queues a proxy sync",
      params: hostParams,
      query: removeQuery,
      response: z.object({ removed: z.number().int(), jobId: z.string() }),
    },
    async ({ params, query, req }) =>
      removeDomain(
        p,
        { org: req.org!, requestedBy: req.caller!.actor, correlationId: req.id },
        { host: params.host, ...(query.path === undefined ? {} : { path: query.path }) },
      ),
  );

  r.add(
    {
      method: "PUT",
      url: "/domains/:host/maintenance",
      access: "deployer",
      summary:
        "Put a host's routes (or one path's) in maintenance: 503 with the message and Retry-After; queues a proxy sync",
      params: hostParams,
      body: maintenanceBody,
      response: changed,
    },
    async ({ params, body, req }) => {
      const { path, ...notice } = body ?? {};
      const r = await setDomainMaintenance(
        p,
        { org: req.org!, requestedBy: req.caller!.actor, correlationId: req.id },
        { host: params.host, ...(path === undefined ? {} : { path }), notice },
      );
      return { changed: r.changed, jobId: r.jobId };
    },
  );

  r.add(
    {
      method: "DELETE",
      url: "/domains/:host/maintenance",
      access: "deployer",
      summary: "Back from maintenance: the host's routes (or one path's) serve their service again",
      params: hostParams,
      query: removeQuery,
      response: changed,
    },
    async ({ params, query, req }) => {
      const r = await setDomainMaintenance(
        p,
        { org: req.org!, requestedBy: req.caller!.actor, correlationId: req.id },
        { host: params.host, ...(query.path === undefined ? {} : { path: query.path }) },
      );
      return { changed: r.changed, jobId: r.jobId };
    },
  );

  for (const action of ["suspend", "resume"] as const) {
    const resume = action === "resume";
    r.add(
      {
        method: "POST",
        url: `/routes/${action}`,
        access: "admin",
        summary: resume
          ? "Resume every route of the organization: each serves exactly as before the suspension"
          : "Suspend every route of the organization (an incident): each answers 503 with the message, nothing is deleted",
        body: resume ? z.object({}).strict().optional() : noticeBody.optional(),
        response: changed,
      },
      async ({ body, req }) =>
        suspendRoutes(
          p,
          { org: req.org!, requestedBy: req.caller!.actor, correlationId: req.id },
          { notice: body ?? undefined, resume },
        ),
    );
    r.add(
      {
        method: "POST",
        url: `/system/routes/${action}`,
        access: "platform",
        summary: resume
          ? "Resume every organization's routes (platform admin)"
          : "Suspend every organization's routes at once (platform admin): each answers 503 with the message",
        body: resume ? z.object({}).strict().optional() : noticeBody.optional(),
        response: changed,
      },
      async ({ body, req }) =>
        suspendRoutes(
          p,
          { org: null, requestedBy: req.caller!.actor, correlationId: req.id },
          { notice: body ?? undefined, resume },
        ),
    );
  }

  r.add(
    {
      method: "GET",
      url: "/system/stacks",
      access: "platform",
      summary: "Berth's own system stacks (the routing proxy) with their services and tasks (platform admin)",
      response: z.object({ stacks: z.array(R.stack) }),
    },
    async () => ({ stacks: await systemStacks(p) }),
  );
}
