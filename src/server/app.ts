// The HTTP API. Routes validate input through the config layer, call the apply layer, and map
// domain errors at this edge only.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyReply } from "fastify";
import type { Logger } from "pino";
import type { Platform } from "../apply/platform.js";
import { MAX_BODY_BYTES, MAX_PATH_SEGMENT_CHARS } from "../config/limits.js";
import { type ChangeFeed, createChangeFeed } from "../observability/changes.js";
import type { Metrics } from "../observability/metrics.js";
import { authenticate, refuseCrossSite } from "./access.js";
import { clientError, errorHandler, notFound } from "./http-errors.js";
import { jsonBodyParser } from "./json-body.js";
import { DOCS_CSP, docsPage, openApiDocument } from "./openapi.js";
import { type RegisteredRoute, Routes } from "./registry.js";
import { backupScheduleRoutes } from "./routes/backup-schedules.js";
import { backupRoutes } from "./routes/backups.js";
import { BUILD_CONTENT_TYPES, buildRoutes } from "./routes/builds.js";
import { databaseRoutes } from "./routes/databases.js";
import { day2Routes } from "./routes/day2.js";
import { deploymentRoutes } from "./routes/deployments.js";
import { domainRoutes } from "./routes/domains.js";
import { driftRoutes } from "./routes/drift.js";
import { envRoutes } from "./routes/env.js";
import { eventRoutes } from "./routes/events.js";
import { historyRoutes } from "./routes/history.js";
import { identityRoutes } from "./routes/identity.js";
import { jobRoutes } from "./routes/jobs.js";
import { orgRoutes } from "./routes/orgs.js";
import { stackRoutes } from "./routes/stacks.js";
import { statsRoutes } from "./routes/stats.js";
import { templateRoutes } from "./routes/templates.js";

export interface AppDeps {
  platform: Platform;
  token: string;
  logger: Logger;
  metrics: Metrics;
  ping: { db: () => Promise<void>; docker: () => Promise<void> };
  /** Receives the declared routes (tests drive every endpoint with them). */
  onRoutes?: (routes: RegisteredRoute[]) => void;
  /**
   * Addresses or CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed
   * (the client's address for rate limits and the audit log; HTTPS for the session cookie's Secure).
   */
  trustedProxies?: string[];
  /** The in-process change feed (observer, job queue) that live pages listen to. */
  changes?: ChangeFeed;
  /** The built dashboard (default: `dist/web` beside the compiled server); not served when missing. */
  webRoot?: string;
}

/**
 * The dashboard's Content-Security-Policy: its own scripts, styles and fonts only (no inline script or
 * style, nothing from another origin), API calls to this origin, no frames, no plugins.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "font-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../web/", import.meta.url));

const VERSION = "1";

export function buildApp(deps: AppDeps) {
  const { platform: p, metrics } = deps;
  const changes = deps.changes ?? createChangeFeed();
  const webRoot = deps.webRoot ?? DEFAULT_WEB_ROOT;
  const dashboard = existsSync(`${webRoot}/index.html`);
  // Open streams (live feed, job events, followed logs) end when the server closes, so that closing
  // never waits for a browser tab.
  const closing = new AbortController();
  const app = Fastify({
    loggerInstance: deps.logger,
    // One limit for every route: a compose document with its secrets and configs inlined included.
    bodyLimit: MAX_BODY_BYTES,
    routerOptions: { maxParamLength: MAX_PATH_SEGMENT_CHARS },
    trustProxy: deps.trustedProxies?.length ? deps.trustedProxies : false,
    // Refusals before routing (a malformed URL, an overlong path segment) run no hooks: the
    // headers every response carries are set here, then the one error shape.
    frameworkErrors: (err, req, reply) => {
      secureHeaders(reply);
      reply.header("x-request-id", req.id);
      errorHandler(err, req, reply);
    },
    clientErrorHandler: clientError,
    // A caller's X-Request-Id (when sane) becomes the correlation id that follows the request into
    // its jobs' logs.
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
  });
  app.addHook("preClose", async () => closing.abort());
  app.setErrorHandler(errorHandler);
  // Paths the dashboard routes itself (/stacks/web, /jobs/...) answer with its page; the API's
  // unknown paths and everything that is not a page request get the one error shape.
  app.setNotFoundHandler((req, reply) => {
    const page =
      dashboard &&
      (req.method === "GET" || req.method === "HEAD") &&
      !req.url.startsWith("/api/") &&
      !req.url.startsWith("/assets/") &&
      (req.headers.accept ?? "").includes("text/html");
    if (page) return reply.header("cache-control", "no-cache").sendFile("index.html");
    return notFound(req, reply);
  });
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    "application/json",
    { parseAs: "string" },
    jsonBodyParser(app.getDefaultJsonParser("error", "error")),
  );
  app.addHook("onRequest", async (_req, reply) => secureHeaders(reply));
  app.addHook("onSend", async (req, reply) => {
    reply.header("x-request-id", req.id);
    // Every HTML page (the dashboard) gets the strict policy unless it set its own (the API docs).
    const type = String(reply.getHeader("content-type") ?? "");
    if (type.startsWith("text/html") && !reply.hasHeader("content-security-policy")) {
      reply.header("content-security-policy", DASHBOARD_CSP);
      reply.header("x-frame-options", "DENY");
      reply.header("referrer-policy", "no-referrer");
    }
  });
  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unmatched";
    metrics.httpDuration.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const checks: Record<string, string> = {};
    for (const [name, ping] of Object.entries(deps.ping)) {
      checks[name] = await ping().then(
        () => "ok",
        (err: Error) => err.message,
      );
    }
    const ready = Object.values(checks).every((c) => c === "ok");
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks });
  });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.register(cookie);
  if (dashboard) {
    app.register(fastifyStatic, {
      root: webRoot,
      prefix: "/",
      // Routes for the files that exist at start; every other path is the not-found handler's.
      wildcard: false,
      index: "index.html",
      setHeaders: (res, path) => {
        // Vite names assets by content hash: they never change under a name.
        if (path.includes("/assets/")) res.header("cache-control", "public, max-age=31536000, immutable");
        else res.header("cache-control", "no-cache");
      },
    });
  }
  // Only routes that ask for it (login, token creation) are limited, per client address.
  app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(new Error(`too many requests; try again in ${Math.ceil(ctx.ttl / 1000)} s`), {
        statusCode: 429,
      }),
  });
  app.register(
    async (api) => {
      api.addHook("onRequest", async (req) => {
        refuseCrossSite(req);
        await authenticate(p, deps.token, req);
      });
      // A build context is handed to its route unread: the route bounds and stores it.
      api.addContentTypeParser(BUILD_CONTENT_TYPES, (_req, payload, done) => done(null, payload));
      const routes = new Routes(api, p);
      identityRoutes(routes, p);
      orgRoutes(routes, p);
      deploymentRoutes(routes, p);
      stackRoutes(routes, p, closing.signal);
      historyRoutes(routes, p);
      day2Routes(routes, p);
      envRoutes(routes, p);
      statsRoutes(routes, p);
      jobRoutes(routes, p, changes, closing.signal);
      eventRoutes(routes, p, changes, closing.signal);
      driftRoutes(routes, p);
      domainRoutes(routes, p);
      backupRoutes(routes, p);
      databaseRoutes(routes, p);
      backupScheduleRoutes(routes, p);
      buildRoutes(routes, p);
      templateRoutes(routes, p);
      const doc = openApiDocument(routes.all, VERSION);
      api.get("/openapi.json", async () => doc);
      const docs = docsPage(routes.all);
      api.get("/docs", async (_req, reply) =>
        reply.type("text/html; charset=utf-8").header("content-security-policy", DOCS_CSP).send(docs),
      );
      deps.onRoutes?.(routes.all);
    },
    { prefix: "/api/v1" },
  );
  return app;
}

/**
 * On the raw response, so that streams written past Fastify (log and job events) carry it too:
 * browsers must not read a JSON error or a log line as HTML.
 */
function secureHeaders(reply: FastifyReply): void {
  reply.raw.setHeader("x-content-type-options", "nosniff");
}
