// Routes of an organization (`berth domain ...`): validated against the stack's live revision, stored,
// and pushed to the proxy by a proxy-sync job. Every query is scoped to the caller's organization;
// a host another organization holds is a Conflict that does not say who holds it.
import { normalizeHostname, normalizePathPrefix } from "../config/hostname.js";
import { ConfigError, NotFound } from "../domain/errors.js";
import { type DomainRow, deleteDomains, insertDomain, listDomains, type TlsMode } from "../store/domains.js";
import { getStack, lastSucceeded } from "../store/stacks.js";
import type { Platform } from "./platform.js";
import { queueProxySync } from "./proxy.js";

export interface DomainInput {
  host: string;
  stack: string;
  service: string;
  port: number;
  path?: string;
  tls: TlsMode;
  httpsRedirect: boolean;
}

interface Acting {
  org: { id: string; slug: string };
  requestedBy: string;
  correlationId: string;
}

const NEWEST = 2 ** 31 - 1;

export async function addDomain(
  p: Platform,
  a: Acting,
  input: DomainInput,
): Promise<{ domain: DomainRow; jobId: string }> {
  const hostname = normalizeHostname(input.host, "host");
  const pathPrefix = normalizePathPrefix(input.path, "path");
  if (input.tls === "acme" && hostname.startsWith("*.")) {
    throw new ConfigError(
      "tls",
      "a wildcard host cannot get an ACME certificate over HTTP (it needs DNS-01); use tls internal or off",
    );
  }
  if (input.httpsRedirect && input.tls === "off") {
    throw new ConfigError("httpsRedirect", "a redirect to HTTPS needs tls acme or internal");
  }
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
  const ports = [...new Set(service.ports.map((pt) => pt.target))];
  if (!ports.includes(input.port)) {
    throw new ConfigError(
      "port",
      `service '${input.service}' does not expose port ${input.port} (${ports.length ? `it exposes ${ports.join(", ")}` : "it exposes none"})`,
    );
  }
  const domain = await insertDomain(p.db, {
    orgId: a.org.id,
    stackId: stack.id,
    hostname,
    pathPrefix,
    service: input.service,
    port: input.port,
    tls: input.tls,
    httpsRedirect: input.httpsRedirect,
  });
  const job = await queueProxySync(p, {
    orgId: a.org.id,
    correlationId: a.correlationId,
    requestedBy: a.requestedBy,
  });
  return { domain, jobId: job.id };
}

export function domainsOf(p: Platform, orgId: string) {
  return listDomains(p.db, orgId);
}

/** Removes the organization's routes of the host (or one path prefix of it); another's host is "not found". */
export async function removeDomain(
  p: Platform,
  a: Acting,
  o: { host: string; path?: string },
): Promise<{ removed: number; jobId: string }> {
  const hostname = normalizeHostname(o.host, "host");
  const pathPrefix = o.path === undefined ? undefined : normalizePathPrefix(o.path, "path");
  const removed = await deleteDomains(p.db, a.org.id, hostname, pathPrefix);
  if (!removed) throw new NotFound("domain", `${hostname}${pathPrefix ?? ""}`);
  const job = await queueProxySync(p, {
    orgId: a.org.id,
    correlationId: a.correlationId,
    requestedBy: a.requestedBy,
  });
  return { removed, jobId: job.id };
}
