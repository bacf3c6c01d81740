// The HTTP API. Routes validate input through the config layer, call the apply layer, and map
// domain errors at this edge only.
import { randomUUID } from "node:crypto";
import Fastify from "fastify";
import type { Logger } from "pino";
import { deployStack } from "../apply/deploy.js";
import type { Platform } from "../apply/platform.js";
import type { RolloutMonitor } from "../apply/rollout-monitor.js";
import { removeStack, viewStacks } from "../apply/stacks.js";
import { DEFAULT_ORG } from "../config/defaults.js";
import { parseShortForm } from "../config/short-form.js";
import { ConfigError } from "../domain/errors.js";
import { nameProblem } from "../domain/names.js";
import { ensureOrg, getDeployment } from "../store/stacks.js";
import { bearerAuth } from "./auth.js";
import { errorHandler } from "./http-errors.js";

export interface AppDeps {
  platform: Platform;
  monitor: RolloutMonitor;
  token: string;
  logger: Logger;
  ping: { db: () => Promise<void>; docker: () => Promise<void> };
}

export function buildApp(deps: AppDeps) {
  const { platform: p } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
  });
  app.setErrorHandler(errorHandler);
  app.addHook("onSend", async (req, reply) => {
    reply.header("x-request-id", req.id);
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

  app.register(
    async (api) => {
      api.addHook("onRequest", bearerAuth(deps.token));
      const org = DEFAULT_ORG;

      api.post("/deployments", async (req, reply) => {
        const model = parseShortForm(req.body, org);
        const deployment = await deployStack(p, { model, requestedBy: "admin" });
        deps.monitor.follow(deployment);
        return reply.status(202).send({ deployment: deploymentView(deployment, model.name) });
      });

      api.get<{ Params: { id: string } }>("/deployments/:id", async (req) => {
        if (!UUID.test(req.params.id)) throw new ConfigError("id", "must be a deployment id (UUID)");
        const orgId = await ensureOrg(p.db, org);
        const d = await getDeployment(p.db, orgId, req.params.id);
        return { deployment: deploymentView(d, d.stackName) };
      });

      api.get("/stacks", async () => ({ stacks: await viewStacks(p, org) }));

      api.delete<{ Params: { name: string } }>("/stacks/:name", async (req) => {
        const problem = nameProblem("stack", req.params.name);
        if (problem) throw new ConfigError("name", problem);
        return removeStack(p, org, req.params.name);
      });
    },
    { prefix: "/api/v1" },
  );

  app.setNotFoundHandler((req, reply) => {
    reply
      .status(404)
      .send({ error: { code: "not_found", message: `no route ${req.method} ${req.url.split("?")[0]}` } });
  });
  return app;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function deploymentView(
  d: {
    id: string;
    revision: number;
    status: string;
    reason: string | null;
    createdAt: Date;
    finishedAt: Date | null;
  },
  stack: string,
) {
  return {
    id: d.id,
    stack,
    revision: d.revision,
    status: d.status,
    reason: d.reason,
    createdAt: new Date(d.createdAt).toISOString(),
    finishedAt: d.finishedAt ? new Date(d.finishedAt).toISOString() : null,
  };
}
