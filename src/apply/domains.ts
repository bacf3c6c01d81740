// Routes of an organization (`berth domain ...`, a service's `domains`): validated before anything is
// stored, stored `pending`, and pushed to the proxy by a proxy-sync job that keeps them only when the
// proxy serves them (apply/proxy.ts). Every query is scoped to the caller's organization; a host
// another organization holds is a Conflict that does not say who holds it.
import { parseUploadedCertificate } from "../config/certificate.js";
import { normalizeHostname, normalizePathPrefix } from "../config/hostname.js";
import { checkStackRoutes, normalizeNotice, normalizeRoute } from "../config/route.js";
import { ConfigError, Conflict, NotFound } from "../domain/errors.js";
import type { ServiceModel, StackModel } from "../domain/stack.js";
import { hasHostCertificate, putHostCertificate } from "../store/certificates.js";
import {
  checkClaims,
  type DomainRow,
  deleteRoutes,
  hostHeldByAnother,
  insertDomain,
  listDomains,
  type NewDomain,
  replaceStackRoutes,
  setMaintenance,
  setSuspension,
  type TlsMode,
} from "../store/domains.js";
import type { RouteNotice } from "../store/schema.js";
import { getStack, lastSucceeded } from "../store/stacks.js";
import type { Platform } from "./platform.js";
import { queueProxySync } from "./proxy-queue.js";

export interface DomainInput {
  host: string;
  stack: string;
  service: string;
  port: number;
  path?: string;
  tls: TlsMode;
  httpsRedirect: boolean;
  /** PEM certificate chain and private key, for `tls: "upload"`. */
  certificate?: { cert: string; key: string } | undefined;
}

interface Acting {
  org: { id: string; slug: string };
  requestedBy: string;
  correlationId: string;
}

const NEWEST = 2 ** 31 - 1;

/** Ports a route may target: those the service publishes and those its own routes name. */
function routablePorts(s: ServiceModel): number[] {
  return [...new Set([...s.ports.map((pt) => pt.target), ...(s.domains ?? []).map((d) => d.port)])].sort(
    (a, b) => a - b,
  );
}

/**
 * Stores the route `pending` and queues the sync that makes it `active`, or removes it again when the
 * proxy does not take it. Everything that can be checked is checked before anything is stored.
 */
export async function addDomain(
  p: Platform,
  a: Acting,
  input: DomainInput,
): Promise<{ domain: DomainRow; jobId: string }> {
  const route = normalizeRoute(input);
  const certificate = await uploadFor(p, a.org.id, route, input.certificate);
  const stack = await getStack(p.db, a.org.id, input.stack).catch(() => {
    throw new ConfigError("stack", `no stack '${input.stack}' in this organization`);
  });
  const live = await lastSucceeded(p.db, stack.id, NEWEST);
  if (!live) throw new ConfigError("stack", `stack '${input.stack}' has no revision that succeeded yet`);
  const service = live.spec.services.find((s) => s.name === input.service);
  if (!service) {
    const names = live.spec.services.map((s) => s.name).join(", ");
    throw new ConfigError(
      "service",
      `stack '${input.stack}' has no service '${input.service}' (it has ${names})`,
    );
  }
  const ports = routablePorts(service);
  if (!ports.includes(input.port)) {
    throw new ConfigError(
      "port",
      `service '${input.service}' does not expose port ${input.port} (${ports.length ? `it exposes ${ports.join(", ")}` : "it exposes none"})`,
    );
  }
  const domain = await insertDomain(p.db, {
    orgId: a.org.id,
    stackId: stack.id,
    hostname: route.host,
    pathPrefix: route.path,
    service: input.service,
    port: input.port,
    tls: route.tls,
    httpsRedirect: route.httpsRedirect,
    status: "pending",
  });
  // Stored once the host is this organization's (insertDomain checked the claim).
  if (certificate) await putHostCertificate(p.db, { orgId: a.org.id, ...certificate });
  const job = await queueProxySync(p, {
    orgId: a.org.id,
    correlationId: a.correlationId,
    requestedBy: a.requestedBy,
    routes: [domain.id],
  });
  return { domain, jobId: job.id };
}

/**
 * The certificate to store with a route: checked (covers the host, valid now, the key is the
 * certificate's) and the key sealed; nothing when the route is not `upload`, or when the
 * organization uploaded one for the host before (a second path of the host) and sends none.
 */
async function uploadFor(
  p: Platform,
  orgId: string,
  route: { host: string; tls: TlsMode },
  certificate: DomainInput["certificate"],
) {
  if (route.tls !== "upload") {
    if (certificate) throw new ConfigError("certificate", "is only for tls upload");
    return undefined;
  }
  if (!certificate) {
    if (await hasHostCertificate(p.db, orgId, route.host)) return undefined;
    throw new ConfigError(
      "certificate",
      `tls upload needs a certificate and its key (--cert, --key): none uploaded for ${route.host}`,
    );
  }
  return sealedCertificate(p, route.host, certificate);
}

function sealedCertificate(p: Platform, host: string, c: { cert: string; key: string }) {
  const parsed = parseUploadedCertificate({ ...c, host }, new Date());
  return {
    hostname: host,
    certPem: parsed.certPem,
    keySealed: p.sealer.seal(Buffer.from(parsed.keyPem)),
    issuer: parsed.issuer,
    fingerprint: parsed.fingerprint,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
  };
}

/**
 * Uploads (or replaces: a renewal) the organization's certificate for a host. The host must not be
 * another organization's (a Conflict that does not say whose); the routes of the host in `upload`
 * mode serve the new certificate once the queued sync has loaded it. A stack's `tls: upload` domains
 * need the certificate uploaded first.
 */
export async function setHostCertificate(
  p: Platform,
  a: Acting,
  o: { host: string; cert: string; key: string },
): Promise<{ host: string; notAfter: Date; issuer: string; fingerprint: string; jobId: string }> {
  const host = normalizeHostname(o.host, "host");
  const sealed = sealedCertificate(p, host, o);
  if (await hostHeldByAnother(p.db, a.org.id, host)) throw new Conflict(`host '${host}' is already taken`);
  await putHostCertificate(p.db, { orgId: a.org.id, ...sealed });
  const job = await queueProxySync(p, {
    orgId: a.org.id,
    correlationId: a.correlationId,
    requestedBy: a.requestedBy,
  });
  return {
    host,
    notAfter: sealed.notAfter,
    issuer: sealed.issuer,
    fingerprint: sealed.fingerprint,
    jobId: job.id,
  };
}

export function domainsOf(p: Platform, orgId: string) {
  return listDomains(p.db, orgId);
}

/** The organization's routes of a host (or of one path prefix of it); another's host is "not found". */
async function routesOfHost(p: Platform, orgId: string, o: { host: string; path?: string | undefined }) {
  const hostname = normalizeHostname(o.host, "host");
  const pathPrefix = o.path === undefined ? undefined : normalizePathPrefix(o.path, "path");
  const rows = (await listDomains(p.db, orgId)).filter(
    (d) => d.hostname === hostname && (pathPrefix === undefined || d.pathPrefix === pathPrefix),
  );
  if (rows.length === 0) throw new NotFound("domain", `${hostname}${pathPrefix ?? ""}`);
  return { hostname, pathPrefix, rows };
}

/** Removes the organization's routes of the host (or one path prefix of it). */
export async function removeDomain(
  p: Platform,
  a: Acting,
  o: { host: string; path?: string },
): Promise<{ removed: number; jobId: string }> {
  const { rows } = await routesOfHost(p, a.org.id, o);
  const managed = rows.find((r) => r.managedByStack);
  if (managed) {
    throw new Conflict(
      `${managed.hostname}${managed.pathPrefix} is routed by stack '${managed.stack}' (its service's domains); change or remove the stack instead`,
    );
  }
  const removed = await deleteRoutes(
    p.db,
    rows.map((r) => r.id),
  );
  const job = await queueProxySync(p, {
    orgId: a.org.id,
    correlationId: a.correlationId,
    requestedBy: a.requestedBy,
  });
  return { removed, jobId: job.id };
}

const MAINTENANCE_MESSAGE = "This site is down for maintenance.";
const SUSPENDED_MESSAGE = "This site is temporarily unavailable.";

/**
 * Puts the routes of a host (or one path of it) in maintenance (503 with the message and
 * Retry-After), or back to serving their service (`notice` undefined).
 */
export async function setDomainMaintenance(
  p: Platform,
  a: Acting,
  o: { host: string; path?: string; notice?: { message?: string; retryAfter?: number } },
): Promise<{ changed: number; jobId: string; notice: RouteNotice | null }> {
  const notice = o.notice ? normalizeNotice(o.notice, { message: MAINTENANCE_MESSAGE }) : null;
  const { hostname, pathPrefix } = await routesOfHost(p, a.org.id, o);
  const changed = await setMaintenance(p.db, {
    orgId: a.org.id,
    hostname,
    ...(pathPrefix === undefined ? {} : { pathPrefix }),
    notice,
  });
  const job = await queueProxySync(p, {
    orgId: a.org.id,
    correlationId: a.correlationId,
    requestedBy: a.requestedBy,
  });
  return { changed, jobId: job.id, notice };
}

/**
 * Suspends every route of one organization (`org`) or of all of them (`org` null: platform admins
 * only, checked by the route): each answers 503 with the notice at once; nothing is deleted and each
 * route's own state (maintenance, target) is kept, so a resume gives back exactly what was there.
 */
export async function suspendRoutes(
  p: Platform,
  a: Omit<Acting, "org"> & { org: { id: string } | null },
  o: { notice?: { message?: string; retryAfter?: number } | undefined; resume?: boolean },
): Promise<{ changed: number; jobId: string }> {
  const notice = o.resume ? null : normalizeNotice(o.notice ?? {}, { message: SUSPENDED_MESSAGE });
  const changed = await setSuspension(p.db, { orgId: a.org?.id ?? null, notice });
  const job = await queueProxySync(p, {
    orgId: a.org?.id ?? null,
    correlationId: a.correlationId,
    requestedBy: a.requestedBy,
  });
  return { changed, jobId: job.id };
}

// --- routes that come with a stack (a service's `domains`) -----------------------------------------

function stackRoutes(model: StackModel, stackId: string, orgId: string): NewDomain[] {
  return model.services.flatMap((s) =>
    (s.domains ?? []).map((d) => ({
      orgId,
      stackId,
      hostname: d.host,
      pathPrefix: d.path,
      service: s.name,
      port: d.port,
      tls: d.tls,
      httpsRedirect: d.httpsRedirect,
    })),
  );
}

/**
 * Before a deployment is recorded: its routes are consistent and no host is held by another
 * organization (409, holder unnamed) or routed otherwise in this one.
 */
export async function checkStackDomains(p: Platform, orgId: string, model: StackModel): Promise<void> {
  const all = model.services.flatMap((s) =>
    (s.domains ?? []).map((route, i) => ({ at: `services.${s.name}.domains.${i}.`, route })),
  );
  if (all.length === 0) return;
  checkStackRoutes(all);
  for (const { at, route } of all) {
    if (route.tls === "upload" && !(await hasHostCertificate(p.db, orgId, route.host))) {
      throw new ConfigError(
        `${at}tls`,
        `no certificate uploaded for ${route.host}; upload it first (berth domain cert ${route.host} --cert ... --key ...)`,
      );
    }
  }
  const existing = await getStack(p.db, orgId, model.name).catch(() => undefined);
  await checkClaims(p.db, stackRoutes(model, existing?.id ?? "", orgId));
}

/**
 * Once a revision is live: the stack's routes become exactly its services' `domains` (new and changed
 * ones `pending`), and a proxy sync is queued for them. Returns the sync job, when one was needed.
 */
export async function applyStackDomains(
  p: Platform,
  o: { model: StackModel; stackId: string; orgId: string; correlationId: string; requestedBy: string },
): Promise<{ jobId: string } | undefined> {
  const changed = await replaceStackRoutes(p.db, {
    orgId: o.orgId,
    stackId: o.stackId,
    routes: stackRoutes(o.model, o.stackId, o.orgId),
  });
  if (!changed) return undefined;
  const pending = (await listDomains(p.db, o.orgId)).filter(
    (d) => d.stackId === o.stackId && d.status === "pending",
  );
  const job = await queueProxySync(p, {
    orgId: o.orgId,
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
    routes: pending.map((d) => d.id),
  });
  return { jobId: job.id };
}
