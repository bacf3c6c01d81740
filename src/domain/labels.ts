// Labels are how Berth recognises what it owns. Everything Berth creates carries them, and
// everything Berth looks up is found by them, never by parsing names.

export const LABEL = {
  managed: "berth.managed",
  org: "berth.org",
  stack: "berth.stack",
  service: "berth.service",
  deployment: "berth.deployment",
  /** The Berth installation that owns a service: several can share one swarm. */
  instance: "berth.instance",
} as const;

/** Labels `docker stack deploy` sets; Berth sets them too, so `docker stack ps <org>-<stack>` works. */
export const DOCKER_STACK_LABEL = {
  namespace: "com.docker.stack.namespace",
  image: "com.docker.stack.image",
} as const;

export interface Ownership {
  org: string;
  stack?: string;
  service?: string;
}

/** The labels for an object owned by `owner`, sorted by key so specs stay deterministic. */
export function ownerLabels(owner: Ownership): Record<string, string> {
  const labels: Record<string, string> = { [LABEL.managed]: "true", [LABEL.org]: owner.org };
  if (owner.stack !== undefined) labels[LABEL.stack] = owner.stack;
  if (owner.service !== undefined) labels[LABEL.service] = owner.service;
  return sortRecord(labels);
}

/** Docker's `filters` value that selects objects owned by `owner`. */
export function ownerFilter(owner?: Partial<Ownership> & { instance?: string }): { label: string[] } {
  const label = [`${LABEL.managed}=true`];
  if (owner?.instance !== undefined) label.push(`${LABEL.instance}=${owner.instance}`);
  if (owner?.org !== undefined) label.push(`${LABEL.org}=${owner.org}`);
  if (owner?.stack !== undefined) label.push(`${LABEL.stack}=${owner.stack}`);
  if (owner?.service !== undefined) label.push(`${LABEL.service}=${owner.service}`);
  return { label };
}

export function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Why an object found on the swarm (by name, or by a label filter that may be wider) is not this
 * owner's to read into a plan, update or remove; undefined when it is. The answer never names the
 * object's real owner: it may be another tenant.
 */
export function ownershipProblem(
  labels: Record<string, string>,
  owner: Partial<Ownership> & { instance: string },
): string | undefined {
  if (labels[LABEL.managed] !== "true") return "it was not created by Berth";
  const mismatch = (
    [
      [LABEL.instance, owner.instance],
      [LABEL.org, owner.org],
      [LABEL.stack, owner.stack],
      [LABEL.service, owner.service],
    ] as const
  ).some(([key, want]) => want !== undefined && labels[key] !== want);
  return mismatch ? "it belongs to someone else" : undefined;
}
