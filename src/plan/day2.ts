// Day-2 decisions, pure: which revision a scale starts from and the model it asks for, which services
// a restart replaces and the spec that does it, and whether a stack is busy with a rollout. The
// callers read revisions and live services beforehand and act on the answer.
import { ConfigError, Conflict, NotFound } from "../domain/errors.js";
import type { StackModel } from "../domain/stack.js";
import { liveRevision, type RevisionState } from "./history.js";
import { forceUpdateOf } from "./service-spec.js";
import type { SwarmServiceSpec } from "./swarm-types.js";

const IN_FLIGHT = new Set(["pending", "running"]);

/** Whether a revision in this state is still being rolled out (its job has not ended). */
export function inFlight(status: string): boolean {
  return IN_FLIGHT.has(status);
}

/**
 * Refuses a change to a stack while its newest revision is still rolling out: a scale or restart
 * then would race that job (a scale built on the live revision would also undo it).
 */
export function refuseWhileRollingOut(revisions: readonly RevisionState[], stack: string): void {
  const newest = [...revisions].sort((a, b) => b.revision - a.revision)[0];
  if (newest && inFlight(newest.status)) {
    throw new Conflict(
      `stack '${stack}' revision ${newest.revision} is still ${newest.status}; wait until it ends (berth status ${stack})`,
    );
  }
}

/**
 * The revision a scale starts from: the live one (the newest that succeeded), which is what runs,
 * even when a newer revision failed (Berth returned the stack to the live one, or it never ran).
 * Conflict while a revision rolls out, or when none succeeded.
 */
export function scaleBase(revisions: readonly RevisionState[], stack: string): number {
  refuseWhileRollingOut(revisions, stack);
  const live = liveRevision(revisions);
  if (live === undefined) {
    throw new Conflict(`stack '${stack}' has no live revision (none succeeded) to scale; deploy it first`);
  }
  return live;
}

/**
 * The revision a change to a running stack (a scale, an environment edit) starts from: `scaleBase`'s,
 * and, when the caller says which live revision it read and changed, refused as a conflict when
 * another one is live now (its edit would silently drop what that revision changed).
 */
export function changeBase(revisions: readonly RevisionState[], stack: string, expected?: number): number {
  const base = scaleBase(revisions, stack);
  if (expected !== undefined && expected !== base) {
    throw new Conflict(
      `stack '${stack}' now runs revision ${base}, not ${expected}; read it again and retry`,
    );
  }
  return base;
}

/**
 * The service a day-2 command acts on: the one named, or the stack's only one. A stack of several
 * needs the name (refused naming them); a name the stack does not have is not found.
 */
export function pickService(services: readonly string[], o: { stack: string; service?: string }): string {
  if (o.service !== undefined) {
    if (!services.includes(o.service)) throw new NotFound("service", `${o.stack}/${o.service}`);
    return o.service;
  }
  if (services.length === 1) return services[0]!;
  const names = [...services].sort().join(", ");
  throw new ConfigError("service", `stack '${o.stack}' has ${services.length} services (${names}); name one`);
}

/** The model with one service's replica count changed (and that service); a global service has none to change. */
export function scaledModel(
  model: StackModel,
  o: { service?: string; replicas: number },
): { model: StackModel; service: string } {
  const name = pickService(
    model.services.map((s) => s.name),
    { stack: model.name, ...(o.service === undefined ? {} : { service: o.service }) },
  );
  const target = model.services.find((s) => s.name === name)!;
  if (target.mode === "global") {
    throw new ConfigError(
      "service",
      `${name} is a global service (one task per node); it has no replica count`,
    );
  }
  return {
    model: {
      ...model,
      services: model.services.map((s) => (s.name === name ? { ...s, replicas: o.replicas } : s)),
    },
    service: name,
  };
}

export interface RestartTarget {
  service: string;
  /** The ForceUpdate counter the restart sets: one more than the service had when it was asked for. */
  forceUpdate: number;
}

/**
 * What a restart asks for: every live service of the stack (or the one named), each with its next
 * ForceUpdate counter. Recorded with the job, so a retried job does not restart twice.
 */
export function restartTargets(
  live: readonly { service: string; spec: unknown }[],
  o: { stack: string; service?: string },
): RestartTarget[] {
  if (live.length === 0) throw new Conflict(`stack '${o.stack}' has no services running to restart`);
  const chosen =
    o.service === undefined
      ? live
      : live.filter(
          (l) =>
            l.service ===
            pickService(
              live.map((x) => x.service),
              { ...o, service: o.service },
            ),
        );
  return [...chosen]
    .sort((a, b) => a.service.localeCompare(b.service))
    .map((l) => ({ service: l.service, forceUpdate: forceUpdateOf(l.spec) + 1 }));
}

/**
 * The update that restarts a service: its stored spec, unchanged but for the ForceUpdate counter. None
 * when the service already has that counter (an earlier attempt of the same restart applied it).
 */
export function restartStep(
  liveSpec: unknown,
  forceUpdate: number,
): { action: "update"; spec: SwarmServiceSpec } | { action: "none" } {
  if (forceUpdateOf(liveSpec) >= forceUpdate) return { action: "none" };
  const spec = liveSpec as SwarmServiceSpec;
  return {
    action: "update",
    spec: { ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: forceUpdate } },
  };
}
