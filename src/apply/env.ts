// A running stack's environment: read one service's variables from the revision that runs, and
// replace them, which is a new revision made from the live one's input (requestLiveChange, as a
// scale is). Values are stored as given (env is not for secrets: a compose `secrets:` entry is sealed
// at rest and mounted as a file), so they are read back as they are.
import { NotFound } from "../domain/errors.js";
import { type EnvChanges, type Environment, serviceEnv, withEnvironment } from "../plan/env.js";
import { liveRevision } from "../plan/history.js";
import { type DeploymentRow, getRevision, listRevisions, orgIdOf } from "../store/stacks.js";
import { type ChangeRequest, requestLiveChange } from "./day2.js";
import type { Platform } from "./platform.js";

export interface StackEnv {
  service: string;
  /** The revision read: the live one, or the newest when none has succeeded yet. */
  revision: number;
  live: boolean;
  environment: Environment;
}

/** One service's variables (or the only service's) as the live revision asked for them. */
export async function readStackEnv(
  p: Platform,
  o: { org: string; stack: string; service?: string },
): Promise<StackEnv> {
  const orgId = await orgIdOf(p.db, o.org);
  const revisions = await listRevisions(p.db, orgId, o.stack);
  if (revisions.length === 0) throw new NotFound("stack", o.stack);
  const live = liveRevision(revisions);
  const revision = live ?? Math.max(...revisions.map((r) => r.revision));
  const { input } = await getRevision(p.db, orgId, o.stack, revision);
  const read = serviceEnv(
    { ...input, org: o.org, name: o.stack },
    o.service === undefined ? {} : { service: o.service },
  );
  return { ...read, revision, live: live === revision };
}

/** Replaces one service's variables: a new revision from the live one's input, queued as a deploy job. */
export async function requestSetEnv(
  p: Platform,
  o: ChangeRequest & { service?: string; environment: Environment },
): Promise<{ deployment: DeploymentRow; jobId: string; service: string; base: number; changes: EnvChanges }> {
  return requestLiveChange(p, o, (input) =>
    withEnvironment(input, {
      environment: o.environment,
      ...(o.service === undefined ? {} : { service: o.service }),
    }),
  );
}
