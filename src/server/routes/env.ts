// A running stack's environment: read one service's variables, replace them (a new revision from the
// live one's input, like a scale; queues a deploy job).
import { z } from "zod";
import { readStackEnv, requestSetEnv } from "../../apply/env.js";
import type { Platform } from "../../apply/platform.js";
import { ENV_NAME, ENV_NAME_RULE } from "../../config/env-name.js";
import { MAX_ENV_VALUE_CHARS } from "../../config/limits.js";
import { queuedBehind } from "../../store/stacks.js";
import { idempotent } from "../idempotency.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { deploymentView } from "../views.js";
import { serviceName } from "./day2.js";
import { nameParams } from "./stacks.js";

const MAX_VARIABLES = 500;

const envQuery = z.object({ service: serviceName.optional() }).strict();
const envBody = z
  .object({
    service: serviceName.optional(),
    environment: z
      .record(
        z.string().regex(ENV_NAME, ENV_NAME_RULE).max(256),
        z.string().max(MAX_ENV_VALUE_CHARS, `must be at most ${MAX_ENV_VALUE_CHARS} characters`).nullable(),
      )
      .refine((e) => Object.keys(e).length <= MAX_VARIABLES, `at most ${MAX_VARIABLES} variables`),
    /** The live revision the caller read: refused (409) when another one is live now. */
    base: z.number().int().positive().optional(),
  })
  .strict();

export function envRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "GET",
      url: "/stacks/:name/env",
      access: "viewer",
      summary:
        "One service's environment variables (`service` may be left out in a stack of one), as the live revision asked for them",
      params: nameParams,
      query: envQuery,
      response: R.stackEnv,
    },
    async ({ params, query, req }) => ({
      stack: params.name,
      ...(await readStackEnv(p, {
        org: req.org!.slug,
        stack: params.name,
        ...(query.service === undefined ? {} : { service: query.service }),
      })),
    }),
  );

  r.add(
    {
      method: "PUT",
      url: "/stacks/:name/env",
      access: "deployer",
      summary:
        "Replace one service's environment variables: a new revision from the live one's input; queues a deploy job",
      params: nameParams,
      body: envBody,
      response: R.envSet,
      status: 202,
    },
    async ({ params, body, req, reply, audit }) =>
      idempotent(p, req, reply, async () => {
        const r = await requestSetEnv(p, {
          org: req.org!.slug,
          stack: params.name,
          environment: body.environment,
          ...(body.service === undefined ? {} : { service: body.service }),
          ...(body.base === undefined ? {} : { expectedBase: body.base }),
          policy: req.org!.policy,
          requestedBy: req.caller!.actor,
          correlationId: req.id,
        });
        // Names only: values may be credentials someone put in env after all.
        audit({ service: r.service, ...r.changes, revision: r.deployment.revision });
        return {
          deployment: deploymentView(r.deployment, params.name, await queuedBehind(p.db, r.deployment)),
          jobId: r.jobId,
          service: r.service,
          base: r.base,
          changes: r.changes,
        };
      }),
  );
}
