// Builds: `POST /builds` takes a build context (a tar, gzipped or not) as its body, with the
// deployment's fields and the build's options in the query, and queues a build job that builds the
// image on the Engine's node and then deploys it; or, with a compose stack's `stack` and `service`,
// only builds and tags it. Deployers may build, as they may deploy.
import type { Readable } from "node:stream";
import { z } from "zod";
import { requestBuild } from "../../apply/build.js";
import type { Platform } from "../../apply/platform.js";
import { parseBuildOptions } from "../../config/build.js";
import { ConfigError } from "../../domain/errors.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";

/** The content types a build context may come as. */
export const BUILD_CONTENT_TYPES = ["application/x-tar", "application/gzip", "application/x-gzip"];

const query = z
  .object({
    deployment: z
      .string()
      .max(64 * 1024)
      .optional(),
    stack: z.string().max(64).optional(),
    service: z.string().max(64).optional(),
    dockerfile: z.string().optional(),
    target: z.string().optional(),
    buildArg: z.union([z.string(), z.array(z.string())]).optional(),
  })
  .strict();

export function buildRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "POST",
      url: "/builds",
      access: "deployer",
      summary:
        "Build an image from the body (a build context: tar, gzipped or not, at most 500 MiB) and deploy it: `deployment` is the short form's JSON without `image`; `dockerfile`, `target` and `buildArg` (KEY=VALUE, repeatable) are the build's options. Queues a build job, which queues the deploy. With `stack` and `service` instead of `deployment`, a compose stack's service is built and tagged only (the job's result names the tag; `berth stack deploy --build` then deploys the stack with it)",
      query,
      upload: { contentTypes: BUILD_CONTENT_TYPES },
      response: R.buildQueued,
      status: 202,
    },
    async ({ query, body, req, audit }) => {
      const { deployment, stack, service, ...rest } = query;
      const options = parseBuildOptions(rest);
      if ((stack === undefined) !== (service === undefined))
        throw new ConfigError(stack === undefined ? "stack" : "service", "stack and service go together");
      if ((deployment === undefined) === (stack === undefined))
        throw new ConfigError("deployment", "give either deployment or stack and service");
      let fields: unknown;
      if (deployment !== undefined) {
        try {
          fields = JSON.parse(deployment);
        } catch {
          throw new ConfigError("deployment", "must be the short form's JSON (name, port, ...)");
        }
      }
      const queued = await requestBuild(p, {
        org: req.org!.slug,
        orgId: req.org!.id,
        policy: req.org!.policy,
        ...(stack !== undefined && service !== undefined
          ? { target: { stack, service } }
          : { deployment: fields }),
        options,
        context: body as unknown as Readable,
        requestedBy: req.caller!.actor,
        correlationId: req.id,
      });
      // Build argument values are not audited (they may be secrets): their names are.
      audit({ image: queued.image, jobId: queued.jobId, buildArgs: Object.keys(options.buildArgs).sort() });
      return queued;
    },
  );
}
