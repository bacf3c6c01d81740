import { describe, expect, it } from "vitest";
import { type CertificateObservation, certificateState, nextCheckAt } from "./certificate-status.js";

const now = new Date("2026-06-01T12:00:00Z");
const day = 86_400_000;
const at = new Date(now.getTime() - 1000);
const served = (
  over: Partial<{ notAfter: Date; notBefore: Date; covers: boolean }> = {},
): CertificateObservation => ({
  at,
  served: {
    issuer: "CN=Caddy Local Authority",
    notBefore: new Date(now.getTime() - day),
    notAfter: new Date(now.getTime() + 60 * day),
    fingerprint: "AA",
    covers: true,
    ...over,
  },
});
const old = new Date(now.getTime() - 3600_000);
const state = (observed: CertificateObservation | undefined, over: Record<string, unknown> = {}) =>
  certificateState({ tls: "internal", routeStatus: "active", routeCreatedAt: old, observed, now, ...over });

describe("certificateState", () => {
  it("tls off has no certificate", () => {
    expect(state(served(), { tls: "off" })).toBeNull();
  });

  it.each([
    ["not checked yet", undefined, {}, { status: "pending", checkedAt: null }],
    ["the route not loaded yet", served(), { routeStatus: "pending" }, { status: "pending" }],
    ["served and far from expiry", served(), {}, { status: "valid", issuer: "CN=Caddy Local Authority" }],
    [
      "a 90-day certificate, 3 days left",
      served({ notAfter: new Date(now.getTime() + 3 * day), notBefore: new Date(now.getTime() - 87 * day) }),
      {},
      { status: "expiring" },
    ],
    [
      "a 12-hour certificate with 5 hours left (renewed at 4)",
      served({
        notAfter: new Date(now.getTime() + 5 * 3600_000),
        notBefore: new Date(now.getTime() - 7 * 3600_000),
      }),
      {},
      { status: "valid" },
    ],
    [
      "a 12-hour certificate with 2 hours left",
      served({
        notAfter: new Date(now.getTime() + 2 * 3600_000),
        notBefore: new Date(now.getTime() - 10 * 3600_000),
      }),
      {},
      { status: "expiring" },
    ],
    ["served but expired", served({ notAfter: new Date(now.getTime() - 1) }), {}, { status: "expired" }],
    [
      "served for other names",
      served({ covers: false }),
      {},
      { status: "error", error: expect.stringMatching(/does not cover/) },
    ],
    [
      "no handshake, young route",
      { at, error: "alert internal error" },
      { routeCreatedAt: new Date(now.getTime() - 60_000) },
      { status: "pending", error: "alert internal error" },
    ],
    [
      "no handshake, old route",
      { at, error: "alert internal error" },
      {},
      { status: "error", error: "alert internal error", checkedAt: at },
    ],
  ])("%s", (_what, observed, over, want) => {
    expect(state(observed as CertificateObservation | undefined, over)).toMatchObject(want);
  });

  it("checks soon while nothing good is served, then on the slow cycle", () => {
    const o = { now, refreshMs: 900_000, retryMs: 10_000 };
    expect(nextCheckAt(undefined, o)).toEqual(now);
    expect(nextCheckAt(served(), o)).toEqual(new Date(at.getTime() + 900_000));
    expect(nextCheckAt({ at, error: "x" }, o)).toEqual(new Date(at.getTime() + 10_000));
    expect(nextCheckAt(served({ covers: false }), o)).toEqual(new Date(at.getTime() + 10_000));
  });
});
