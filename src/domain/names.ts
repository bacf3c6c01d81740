// Names of organizations, stacks and services, and the one place that scopes them into Swarm
// object names. Names are DNS labels because they end up in hostnames (`tasks.<service>`).

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export const NAME_LIMITS = { org: 16, stack: 24, service: 20 } as const;

/** Returns why `value` is not a valid name of `kind`, or undefined when it is. */
export function nameProblem(kind: keyof typeof NAME_LIMITS, value: string): string | undefined {
  const max = NAME_LIMITS[kind];
  if (value.length === 0) return "must not be empty";
  if (value.length > max) return `must be at most ${max} characters (got ${value.length})`;
  if (!DNS_LABEL.test(value)) {
    return `'${value}' must be lowercase letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** The stack's namespace on Swarm, `<org>-<stack>`: what `docker stack` calls the stack's name. */
export function stackNamespace(org: string, stack: string): string {
  return `${org}-${stack}`;
}

/** Name of an object a stack owns (service, network, volume, secret, config): `<org>-<stack>_<key>`. */
export function stackObjectName(org: string, stack: string, key: string): string {
  return `${stackNamespace(org, stack)}_${key}`;
}

/** Swarm service name: `<org>-<stack>_<service>` (at most 62 characters, under Docker's 63). */
export function swarmServiceName(org: string, stack: string, service: string): string {
  return stackObjectName(org, stack, service);
}

/** The organization's own overlay network. */
export function orgNetworkName(org: string): string {
  return `berth-org-${org}`;
}
