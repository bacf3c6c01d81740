import { z } from "zod";
import { diffRevisions, requestRollback, stackHistory } from "../../apply/history.js";
import type { Platform } from "../../apply/platform.js";
import { revisionNumber, revisionText } from "../../config/revision.js";
import { queuedBehind } from "../../store/stacks.js";
import { idempotent } from "../idempotency.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { deploymentView, revisionView } from "../views.js";
import { nameParams } from "./stacks.js";

const diffQuery = z.object({ from: revisionText, to: revisionText.optional() }).strict();
// No body at all is the same as {}: roll back to the revision before the live one.
const rollbackBody = z.object({ to: revisionNumber.optional() }).strict().optional();

export function historyRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "GET",
      url: "/stacks/:name/history",
      access: "viewer",
      summary:
        "A stack's revisions, newest first, with the images they run; `live` is the newest that succeeded",
      params: nameParams,
      response: R.history,
    },
    async ({ params, req }) => {
      const h = await stackHistory(p, req.org!.slug, params.name);
      return { ...h, revisions: h.revisions.map(revisionView) };
    },
  );

  r.add(
    {
      method: "GET",
      url: "/stacks/:name/diff",
      access: "viewer",
      summary:
        "What changed between two revisions (`to` defaults to the newest), service by service; env keys, never secret values",
      params: nameParams,
      query: diffQuery,
      response: R.revisionDiff,
    },
    async ({ params, query, req }) =>
      diffRevisions(p, {
        org: req.org!.slug,
        stack: params.name,
        from: query.from,
        ...(query.to === undefined ? {} : { to: query.to }),
      }),
  );

  r.add(
    {
      method: "POST",
      url: "/stacks/:name/rollback",
      access: "deployer",
      summary:
        "Deploy an earlier revision's input again as a new revision (`to`, else the one before the live one); queues a deploy job",
      params: nameParams,
      body: rollbackBody,
      response: z.object({ deployment: R.deployment, jobId: z.string() }),
      status: 202,
    },
    async ({ params, body, req, reply }) =>
      idempotent(p, req, reply, async () => {
        const { deployment, jobId } = await requestRollback(p, {
          org: req.org!.slug,
          stack: params.name,
          ...(body?.to === undefined ? {} : { to: body.to }),
          policy: req.org!.policy,
          requestedBy: req.caller!.actor,
          correlationId: req.id,
        });
        return {
          deployment: deploymentView(deployment, params.name, await queuedBehind(p.db, deployment)),
          jobId,
        };
      }),
  );
}
