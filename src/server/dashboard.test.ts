// Serving the dashboard without a database or Docker: its page at / and at every page path with the
// strict Content-Security-Policy, assets by hash, the API's own 404s kept, and a change marked
// cross-site refused before anything else runs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Platform } from "../apply/platform.js";
import { createChangeFeed } from "../observability/changes.js";
import { createMetrics } from "../observability/metrics.js";
import { csrfToken } from "./access.js";
import { buildApp, DASHBOARD_CSP } from "./app.js";

const INDEX = '<!doctype html><script type="module" src="/assets/index-abc.js"></script>';
let dir: string;
let app: ReturnType<typeof buildApp>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "berth-web-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), INDEX);
  writeFileSync(join(dir, "assets/index-abc.js"), "console.log(1)");
  app = buildApp({
    platform: {} as Platform,
    token: "bootstrap-token-for-tests",
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
    ping: { db: async () => {}, docker: async () => {} },
    webRoot: dir,
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the dashboard's files", () => {
  it("serves the page at / and at page paths, with the strict policy", async () => {
    for (const url of ["/", "/stacks/web", "/jobs/123", "/login"]) {
      const res = await app.inject({ method: "GET", url, headers: { accept: "text/html" } });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
      expect(res.headers["x-frame-options"]).toBe("DENY");
      expect(res.headers["cache-control"]).toBe("no-cache");
    }
    expect(DASHBOARD_CSP).not.toContain("unsafe");
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
  });

  it("serves hashed assets as immutable, and 404s in the API's shape for the rest", async () => {
    const asset = await app.inject({ method: "GET", url: "/assets/index-abc.js" });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toContain("immutable");
    for (const [url, accept] of [
      ["/assets/missing.js", "*/*"],
      ["/api/v1/nope", "text/html"],
      ["/stacks/web", "application/json"],
    ]) {
      const res = await app.inject({ method: "GET", url: url!, headers: { accept: accept! } });
      expect(res.statusCode, url).toBe(404);
      expect(JSON.parse(res.body).error.code).toBe("not_found");
    }
  });

  it("refuses a change a browser marks as cross-site, whatever it carries, before authentication", async () => {
    for (const site of ["cross-site", "same-site"]) {
      const res = await app.inject({
        method: "POST",
        url: "/api/v1/deployments",
        headers: { "sec-fetch-site": site, "content-type": "text/plain", cookie: "berth_session=x" },
        payload: "{}",
      });
      expect(res.statusCode).toBe(403);
      expect(JSON.parse(res.body).error.message).toContain("another site");
    }
    // Reads are not refused for it (a link from elsewhere may open a page).
    const read = await app.inject({ method: "GET", url: "/", headers: { "sec-fetch-site": "cross-site" } });
    expect(read.statusCode).toBe(200);
  });
});

describe("the CSRF token and the change feed", () => {
  it("derives a session's CSRF token from the session alone", () => {
    expect(csrfToken("bs_a")).toBe(csrfToken("bs_a"));
    expect(csrfToken("bs_a")).not.toBe(csrfToken("bs_b"));
    expect(csrfToken("bs_a")).not.toContain("bs_a");
  });

  it("delivers changes to subscribers until they unsubscribe, whatever one listener throws", () => {
    const feed = createChangeFeed();
    const seen: string[] = [];
    const off = feed.subscribe((c) => seen.push(c.kind));
    feed.subscribe(() => {
      throw new Error("a broken listener");
    });
    feed.publish({ kind: "stack", orgId: "o", stack: "web" });
    off();
    feed.publish({ kind: "job", orgId: "o", jobId: "j" });
    expect(seen).toEqual(["stack"]);
    expect(feed.listeners()).toBe(1);
  });
});
