// What Berth says about a route's certificate: decided from what the proxy actually served for the
// host at the last check (a TLS handshake with SNI), the route's own state and the time. Pure.
import type { TlsMode } from "./caddy-config.js";

export type CertificateStatus = "pending" | "valid" | "expiring" | "expired" | "error";

/** What one handshake with the proxy saw for a host. */
export type CertificateObservation =
  | {
      at: Date;
      served: { issuer: string; notBefore: Date; notAfter: Date; fingerprint: string; covers: boolean };
    }
  | { at: Date; error: string };

export interface CertificateState {
  status: CertificateStatus;
  issuer: string | null;
  notAfter: Date | null;
  error: string | null;
  checkedAt: Date | null;
}

/**
 * A certificate is `expiring` under 14 days left, or under a quarter of its lifetime for short-lived
 * ones (Caddy's internal CA issues 12-hour certificates and renews them with a third left): past
 * the point where a renewal should have replaced it.
 */
export const EXPIRING_MS = 14 * 86_400_000;
/** A route this young with nothing served yet is still `pending` (ACME takes seconds to minutes). */
export const ISSUANCE_GRACE_MS = 10 * 60_000;

export function certificateState(o: {
  tls: TlsMode;
  routeStatus: string;
  routeCreatedAt: Date;
  observed: CertificateObservation | undefined;
  now: Date;
}): CertificateState | null {
  if (o.tls === "off") return null;
  const seen = o.observed;
  if (!seen || o.routeStatus === "pending") {
    return { status: "pending", issuer: null, notAfter: null, error: null, checkedAt: seen?.at ?? null };
  }
  if ("error" in seen) {
    const young = o.now.getTime() - o.routeCreatedAt.getTime() < ISSUANCE_GRACE_MS;
    return {
      status: young ? "pending" : "error",
      issuer: null,
      notAfter: null,
      error: seen.error,
      checkedAt: seen.at,
    };
  }
  const { served } = seen;
  const base = { issuer: served.issuer, notAfter: served.notAfter, checkedAt: seen.at };
  if (!served.covers) {
    return { ...base, status: "error", error: "the certificate served does not cover this host" };
  }
  const left = served.notAfter.getTime() - o.now.getTime();
  if (left <= 0) return { ...base, status: "expired", error: null };
  const lifetime = served.notAfter.getTime() - served.notBefore.getTime();
  const expiring = left < Math.min(EXPIRING_MS, lifetime / 4);
  return { ...base, status: expiring ? "expiring" : "valid", error: null };
}

/** When a host's certificate is checked next: soon while nothing good is served, else on the slow cycle. */
export function nextCheckAt(
  observed: CertificateObservation | undefined,
  o: { now: Date; refreshMs: number; retryMs: number },
): Date {
  if (!observed) return o.now;
  const good = "served" in observed && observed.served.covers && observed.served.notAfter > o.now;
  return new Date(observed.at.getTime() + (good ? o.refreshMs : o.retryMs));
}
