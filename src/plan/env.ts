// Environment decisions, pure: a service's variables as its revision asked for them, the model with
// them replaced, and what that replacement changes (keys only: values are not repeated in audit logs).
import type { StackModel } from "../domain/stack.js";
import { pickService } from "./day2.js";

/** A service's variables: a null value is a bare name (the container gets it unset, as docker sends it). */
export type Environment = Record<string, string | null>;

export interface EnvChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

/** The variables of the service named (or the stack's only one), sorted by name. */
export function serviceEnv(
  model: StackModel,
  o: { service?: string },
): { service: string; environment: Environment } {
  const service = pickService(
    model.services.map((s) => s.name),
    { stack: model.name, ...(o.service === undefined ? {} : { service: o.service }) },
  );
  const env = model.services.find((s) => s.name === service)!.env ?? {};
  return { service, environment: sortEnv(env) };
}

/** The model with one service's variables replaced by `environment`, and what that changes. */
export function withEnvironment(
  model: StackModel,
  o: { service?: string; environment: Environment },
): { model: StackModel; service: string; changes: EnvChanges } {
  const { service, environment: before } = serviceEnv(model, o);
  const after = sortEnv(o.environment);
  return {
    model: {
      ...model,
      services: model.services.map((s) => (s.name === service ? { ...s, env: after } : s)),
    },
    service,
    changes: envChanges(before, after),
  };
}

/** Which keys `after` adds, removes and changes relative to `before` (each list sorted). */
export function envChanges(before: Environment, after: Environment): EnvChanges {
  const keys = (e: Environment) => Object.keys(e).sort();
  return {
    added: keys(after).filter((k) => !(k in before)),
    removed: keys(before).filter((k) => !(k in after)),
    changed: keys(after).filter((k) => k in before && before[k] !== after[k]),
  };
}

function sortEnv(env: Environment): Environment {
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
