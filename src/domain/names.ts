// Names of organizations, stacks and services, and the one place that scopes them into Swarm
// object names. Names are DNS labels because they end up in hostnames (`tasks.<service>`).
//
// Scoped names must be injective: no two (organization, stack, key) triples may ever produce one
// Swarm name, or one tenant could address another's objects. Organization slugs and stack names
// never contain `_`, so `<org>_<stack>_<key>` splits back into exactly one triple. Berth still
// checks the labels of every object it finds by name (domain/labels.ts `ownershipProblem`): a name
// alone never proves ownership.

import { SYSTEM_ORG } from "./system.js";

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

/** What a compose service key may be: a DNS label that may also hold `_` (as docker takes it). */
const SERVICE_KEY = /^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$/;

/** Swarm refuses object names longer than this. */
export const SWARM_NAME_MAX = 63;

/**
 * Why `value` is not a valid compose service key under a stack whose Swarm names start with
 * `<namespace>_`, or undefined when it is. Keys are not Berth's own names: `_` is taken (the namespace
 * has two parts that hold none, so names stay injective), and any length that keeps the Swarm name
 * within 63 characters, never less than the short form's 20.
 */
export function serviceKeyProblem(value: string, namespace: string): string | undefined {
  const max = Math.max(NAME_LIMITS.service, SWARM_NAME_MAX - namespace.length - 1);
  if (value.length === 0) return "must not be empty";
  if (value.length > max) return `must be at most ${max} characters here (got ${value.length})`;
  if (!SERVICE_KEY.test(value)) {
    return `'${value}' must be lowercase letters, digits, '-' and '_', starting and ending with a letter or digit`;
  }
  return undefined;
}

/**
 * A new stack's namespace on Swarm, `<org>_<stack>` (what `docker stack` calls the stack's name).
 * Stored with the stack when it is first deployed: stacks created before this scheme keep theirs.
 *
 * System stacks are one per installation, so theirs also names the installation:
 * `berth-system-<instance>_<stack>`. Another installation on the same swarm, or what a removed one
 * left behind (a certificate volume), never holds their names. Tenants cannot create `berth-*`
 * organizations, so these namespaces meet no tenant's.
 */
export function stackNamespace(org: string, stack: string, o: { instance?: string } = {}): string {
  return org === SYSTEM_ORG && o.instance ? `${org}-${o.instance}_${stack}` : `${org}_${stack}`;
}

/**
 * The namespace of stacks created before names were made injective: `<org>-<stack>`, where org `t`
 * with stack `x-a` and org `t-x` with stack `a` meet. Kept only for those stacks (their volumes hold
 * data under these names); their objects are protected by the ownership labels.
 */
export function legacyStackNamespace(org: string, stack: string): string {
  return `${org}-${stack}`;
}

/** Name of an object a stack owns (service, network, volume, secret, config): `<namespace>_<key>`. */
export function scopedName(namespace: string, key: string): string {
  return `${namespace}_${key}`;
}

/**
 * The organization's own overlay network: `berth-org-<org>`, or, when another installation sharing
 * the swarm already holds that name, `berth-org-<org>-<instance>`.
 */
export function orgNetworkName(org: string, opts: { instance?: string; taken?: boolean } = {}): string {
  return opts.taken && opts.instance ? `berth-org-${org}-${opts.instance}` : `berth-org-${org}`;
}
