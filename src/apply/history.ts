// A stack's history: its revisions, what changed between two of them, and rollback. A rollback is a
// new revision made from an old revision's input (the user's model), deployed like any other: the
// same admission, and Berth's own choices (host ports) made afresh.
import { NotFound } from "../domain/errors.js";
import type { StackModel } from "../domain/stack.js";
import { liveRevision, rollbackTarget } from "../plan/history.js";
import { diffModels } from "../plan/model-diff.js";
import type { PolicyRelaxations } from "../plan/policy.js";
import { getRevision, listRevisions, orgIdOf } from "../store/stacks.js";
import { requestDeploy } from "./deploy.js";
import type { Platform } from "./platform.js";

/** The stack's revisions, newest first, and which one is live (the newest that succeeded). */
export async function stackHistory(p: Platform, org: string, stack: string) {
  const revisions = await listRevisions(p.db, await orgIdOf(p.db, org), stack);
  const live = liveRevision(revisions) ?? null;
  return { stack, live, revisions: revisions.map((r) => ({ ...r, live: r.revision === live })) };
}

/** What changed from revision `from` to revision `to` (the newest when not given), in their inputs. */
export async function diffRevisions(
  p: Platform,
  o: { org: string; stack: string; from: number; to?: number },
) {
  const orgId = await orgIdOf(p.db, o.org);
  const to = o.to ?? (await listRevisions(p.db, orgId, o.stack))[0]?.revision;
  if (to === undefined) throw new NotFound("revision", `${o.stack} (latest)`);
  const [a, b] = await Promise.all([
    getRevision(p.db, orgId, o.stack, o.from),
    getRevision(p.db, orgId, o.stack, to),
  ]);
  return { stack: o.stack, from: o.from, to, ...diffModels(a.input, b.input) };
}

/**
 * Queues a deployment of an earlier revision's input: revision `to`, else the newest that succeeded
 * before the live one. Recorded as a new revision that says which one it rolls back to.
 */
export async function requestRollback(
  p: Platform,
  o: {
    org: string;
    stack: string;
    to?: number;
    policy: PolicyRelaxations;
    requestedBy: string;
    correlationId: string;
  },
) {
  const orgId = await orgIdOf(p.db, o.org);
  const target = rollbackTarget(await listRevisions(p.db, orgId, o.stack), {
    stack: o.stack,
    ...(o.to === undefined ? {} : { to: o.to }),
  });
  const { input } = await getRevision(p.db, orgId, o.stack, target);
  const model: StackModel = { ...input, org: o.org, name: o.stack };
  return requestDeploy(p, {
    model,
    policy: o.policy,
    requestedBy: o.requestedBy,
    correlationId: o.correlationId,
    rollbackOf: target,
  });
}
