// The system namespace: Berth's own infrastructure (the routing proxy, the image registry and shared
// database servers) lives in an organization no tenant can create, see, name or reach. Its
// stacks are deployed by the same machinery as tenant stacks; its services carry `berth.system`.

/** The reserved organization slug of Berth's own stacks. `POST /orgs` refuses it; tenant routes never resolve it. */
export const SYSTEM_ORG = "berth-system";

/** The stack that runs the routing proxy, and its one service. */
export const PROXY_STACK = "proxy";
export const PROXY_SERVICE = "caddy";

/** The stack that runs Berth's own image registry (multi-node builds), and its one service. */
export const REGISTRY_STACK = "registry";
export const REGISTRY_SERVICE = "registry";

/** Label on every system service (beside Berth's ownership labels). */
export const SYSTEM_LABEL = "berth.system";

/** Slugs tenants may not use: the system namespace, and anything that starts like it. */
export function isReservedOrg(slug: string): boolean {
  return slug === SYSTEM_ORG || slug.startsWith("berth-");
}

/** The deploy job's log line that names the proxy sync of the stack's routes (the CLI waits for it). */
export const ROUTES_SYNC_LINE = "routes changed: proxy sync job";
