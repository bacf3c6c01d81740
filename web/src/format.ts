// Pure helpers of the domains, backups and system screens: what a route's state is, how sizes and
// checksums read, and the request bodies built from their forms. No DOM, no fetch: unit-tested.
import type { Domain } from "./api";

/** A route's state as `berth domain ls` prints it: pending, active, maintenance, suspended (or failed). */
export function routeState(d: Pick<Domain, "status" | "maintenance" | "suspension">): string {
  if (d.status !== "active") return d.status;
  if (d.suspension) return "suspended";
  return d.maintenance ? "maintenance" : "active";
}

/** Why a route answers 503 instead of its service, when it does. */
export function routeNotice(d: Pick<Domain, "maintenance" | "suspension">): string | undefined {
  return (d.suspension ?? d.maintenance)?.message || undefined;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${UNITS[i]}`;
}

export const shortSha = (sha: string | null | undefined) => (sha ? sha.slice(0, 12) : "–");

export interface DomainForm {
  host: string;
  service: string;
  port: string;
  path: string;
  tls: string;
  httpsRedirect: boolean;
}

/**
 * The body of `POST /domains`. Nothing is checked here: the API checks everything and names the
 * field, which the form then marks. A port that is not a number is sent as null so that the API
 * answers "port: must be a port number".
 */
export function domainBody(stack: string, f: DomainForm) {
  const port = f.port.trim() === "" ? Number.NaN : Number(f.port);
  return {
    host: f.host.trim(),
    stack,
    service: f.service,
    port: Number.isFinite(port) ? port : null,
    ...(f.path.trim() ? { path: f.path.trim() } : {}),
    tls: f.tls,
    httpsRedirect: f.httpsRedirect,
  };
}

/**
 * A route's own endpoint (`DELETE /domains/:host[/maintenance]`): the host, and its path prefix
 * ("" for the whole host) so that only this route is touched, not the host's other paths.
 */
export function routeUrl(d: Pick<Domain, "host" | "path">, suffix = ""): string {
  return `/domains/${encodeURIComponent(d.host)}${suffix}?path=${encodeURIComponent(d.path)}`;
}

/** The body of `PUT /stacks/:name/backup-schedule`; an empty time zone is left to the API (UTC). */
export function scheduleBody(f: { cron: string; keepLast: string; timezone: string }) {
  const keep = Number(f.keepLast);
  return {
    cron: f.cron.trim(),
    keepLast: f.keepLast.trim() !== "" && Number.isFinite(keep) ? keep : null,
    ...(f.timezone.trim() ? { timezone: f.timezone.trim() } : {}),
  };
}

/** The body of a maintenance or suspension notice: blank fields are left to the API's defaults. */
export function noticeBody(f: { message: string; retryAfter?: string }) {
  const retry = f.retryAfter?.trim() ? Number(f.retryAfter) : undefined;
  return {
    ...(f.message.trim() ? { message: f.message.trim() } : {}),
    ...(retry === undefined ? {} : { retryAfter: Number.isFinite(retry) ? retry : null }),
  };
}
