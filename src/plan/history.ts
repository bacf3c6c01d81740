// Decisions about a stack's revisions: which one is live, which one a rollback replays, and which
// old ones the history no longer keeps. Pure: the caller reads the revisions and acts on the answer.
import { Conflict, NotFound } from "../domain/errors.js";

export interface RevisionState {
  revision: number;
  /** pending, running, succeeded, failed, rolled_back or cancelled. */
  status: string;
}

const FINISHED = new Set(["succeeded", "failed", "rolled_back", "cancelled"]);

/** The live revision: the newest that succeeded (a newer one that failed left it running). */
export function liveRevision(revisions: readonly RevisionState[]): number | undefined {
  return newest(revisions.filter((r) => r.status === "succeeded"));
}

/**
 * The revision a rollback replays: the one asked for (any finished revision), else the newest that
 * succeeded before the live one. NotFound for a revision the history does not have; Conflict when
 * there is nothing to roll back to.
 */
export function rollbackTarget(
  revisions: readonly RevisionState[],
  opts: { stack: string; to?: number },
): number {
  const { stack, to } = opts;
  if (to !== undefined) {
    const asked = revisions.find((r) => r.revision === to);
    if (!asked) throw new NotFound("revision", `${stack} ${to}`);
    if (!FINISHED.has(asked.status)) {
      throw new Conflict(`revision ${to} of stack '${stack}' is still ${asked.status}; wait until it ends`);
    }
    return to;
  }
  const live = liveRevision(revisions);
  if (live === undefined) {
    throw new Conflict(
      `stack '${stack}' has no live revision (none succeeded), so nothing to roll back from`,
    );
  }
  const before = newest(revisions.filter((r) => r.status === "succeeded" && r.revision < live));
  if (before === undefined) {
    throw new Conflict(
      `stack '${stack}' has no succeeded revision before the live one (${live}) ; name the revision to roll back to`,
    );
  }
  return before;
}

/**
 * The revisions to delete so that the history keeps the newest `keep`: only finished ones, and never
 * the live one, however old.
 */
export function revisionsToPrune(revisions: readonly RevisionState[], keep: number): number[] {
  const live = liveRevision(revisions);
  return [...revisions]
    .sort((a, b) => b.revision - a.revision)
    .slice(Math.max(keep, 0))
    .filter((r) => FINISHED.has(r.status) && r.revision !== live)
    .map((r) => r.revision)
    .sort((a, b) => a - b);
}

function newest(revisions: readonly RevisionState[]): number | undefined {
  return revisions.reduce<number | undefined>(
    (m, r) => (m === undefined || r.revision > m ? r.revision : m),
    undefined,
  );
}
