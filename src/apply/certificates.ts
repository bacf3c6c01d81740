// Certificate status, from what the proxy serves: for every host routed with TLS, a handshake with
// the host as SNI (engine ProxyAdmin.servedCertificate) records issuer, expiry and whether it covers
// the host. Kept in memory per control plane (`CertificateBook`), checked after each proxy sync and
// on a timer: hosts with nothing good served every `retryMs`, the rest every `refreshMs` (a
// handshake each, a few at a time). The API, `domain ls` and /metrics read the book; plan/
// certificate-status.ts turns an observation into a status.

import type { TlsMode } from "../plan/caddy-config.js";
import {
  type CertificateObservation,
  type CertificateState,
  certificateState,
  nextCheckAt,
} from "../plan/certificate-status.js";
import { activeRoutes } from "../store/domains.js";
import type { Platform } from "./platform.js";

export interface CertificateBook {
  /** By host: the organization that routes it and the last handshake's observation. */
  seen: Map<string, { org: string; observed: CertificateObservation }>;
  refreshMs: number;
  retryMs: number;
}

export function createCertificateBook(o: { refreshMs: number; retryMs: number }): CertificateBook {
  return { seen: new Map(), ...o };
}

const PARALLEL = 4;

/**
 * Checks the certificates that are due (every one with `all`): one handshake per host with TLS.
 * Hosts no longer routed with TLS are forgotten (and leave /metrics).
 */
export async function checkCertificates(
  p: Platform,
  o: { all?: boolean; force?: (r: { tls: TlsMode }) => boolean } = {},
): Promise<number> {
  const book = p.certificates;
  const routes = (await activeRoutes(p.db)).filter((r) => r.tls !== "off" && r.status === "active");
  const hosts = new Map(routes.map((r) => [r.hostname, r.org]));
  const forced = new Set(routes.filter((r) => o.force?.(r)).map((r) => r.hostname));
  for (const h of [...book.seen.keys()]) if (!hosts.has(h)) book.seen.delete(h);
  const now = new Date();
  const due = [...hosts].filter(
    ([h]) =>
      o.all ||
      forced.has(h) ||
      nextCheckAt(book.seen.get(h)?.observed, { now, refreshMs: book.refreshMs, retryMs: book.retryMs }) <=
        now,
  );
  for (let i = 0; i < due.length; i += PARALLEL) {
    await Promise.all(
      due.slice(i, i + PARALLEL).map(async ([host, org]) => {
        const observed: CertificateObservation = await p.proxyAdmin.servedCertificate(host).then(
          (served) => ({ at: new Date(), served }),
          (err: Error) => ({ at: new Date(), error: err.message }),
        );
        book.seen.set(host, { org, observed });
      }),
    );
  }
  return due.length;
}

/** The certificate state of one route, from the book. */
export function routeCertificate(
  p: Platform,
  r: { hostname: string; tls: TlsMode; status: string; createdAt: Date },
): CertificateState | null {
  return certificateState({
    tls: r.tls,
    routeStatus: r.status,
    routeCreatedAt: r.createdAt,
    observed: p.certificates.seen.get(r.hostname)?.observed,
    now: new Date(),
  });
}

/** Seconds until each served certificate expires, by organization and host (for /metrics). */
export function certificateExpiries(book: CertificateBook): { org: string; host: string; seconds: number }[] {
  const now = Date.now();
  return [...book.seen]
    .filter(([, v]) => "served" in v.observed)
    .map(([host, v]) => ({
      org: v.org,
      host,
      seconds: "served" in v.observed ? (v.observed.served.notAfter.getTime() - now) / 1000 : 0,
    }));
}

/** Checks due certificates every `everyMs` (never two rounds at once). */
export function startCertificateWatch(p: Platform, everyMs: number) {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await checkCertificates(p);
    } catch (err) {
      p.log.warn({ err: (err as Error).message }, "certificate check failed");
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), tick };
}
