// The HTTP API. Routes validate input through the config layer, call the apply layer, and map
// domain errors at this edge only.
import { randomUUID } from "node:crypto";
import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyReply } from "fastify";
import type { Logger } from "pino";
import type { Platform } from "../apply/platform.js";
import { MAX_BODY_BYTES, MAX_PATH_SEGMENT_CHARS } from "../config/limits.js";
import type { Metrics } from "../observability/metrics.js";
import { authenticate } from "./access.js";
import { clientError, errorHandler, notFound } from "./http-errors.js";
import { jsonBodyParser } from "./json-body.js";
import { DOCS_CSP, docsPage, openApiDocument } from "./openapi.js";
import { type RegisteredRoute, Routes } from "./registry.js";
import { backupScheduleRoutes } from "./routes/backup-schedules.js";
import { backupRoutes } from "./routes/backups.js";
import { day2Routes } from "./routes/day2.js";
import { deploymentRoutes } from "./routes/deployments.js";
import { domainRoutes } from "./routes/domains.js";
import { driftRoutes } from "./routes/drift.js";
import { historyRoutes } from "./routes/history.js";
import { identityRoutes } from "./routes/identity.js";
import { jobRoutes } from "./routes/jobs.js";
import { orgRoutes } from "./routes/orgs.js";
import { stackRoutes } from "./routes/stacks.js";

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
}

const VERSION = "1";

export function buildApp(deps: AppDeps) {
  const { platform: p, metrics } = deps;
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
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFound);
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    "application/json",
    { parseAs: "string" },
    jsonBodyParser(app.getDefaultJsonParser("error", "error")),
  );
  app.addHook("onRequest", async (_req, reply) => secureHeaders(reply));
  app.addHook("onSend", async (req, reply) => {
    reply.header("x-request-id", req.id);
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
      api.addHook("onRequest", async (req) => authenticate(p, deps.token, req));
      const routes = new Routes(api, p);
      identityRoutes(routes, p);
      orgRoutes(routes, p);
      deploymentRoutes(routes, p);
      stackRoutes(routes, p);
      historyRoutes(routes, p);
      day2Routes(routes, p);
      jobRoutes(routes, p);
      driftRoutes(routes, p);
      domainRoutes(routes, p);
      backupRoutes(routes, p);
      backupScheduleRoutes(routes, p);
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
