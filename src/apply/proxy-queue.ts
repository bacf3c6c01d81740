// Queuing proxy-sync jobs (apply/proxy.ts runs them). Apart, so that deployments and route changes
// can ask for a sync without importing the proxy's machinery.
import type { Platform } from "./platform.js";

export const PROXY_SYNC_JOB = "proxy-sync";

/**
 * Queues a proxy sync: an organization's change is that organization's job (its users follow it);
 * Berth's own and a platform admin's have none (`orgId` null). Every call queues a job of its own:
 * one already waiting may be a retry, or was queued before a sync that has loaded the table since,
 * and then it ends without loading (apply/proxy.ts `unlessCovered` compares with its creation), so
 * it cannot stand in for a change made after it. Syncs queued in a burst still make one load.
 */
export async function queueProxySync(
  p: Platform,
  o: { orgId: string | null; correlationId: string; requestedBy: string; routes?: string[] },
): Promise<{ id: string }> {
  const { routes, ...job } = o;
  const queued = await p.jobs.enqueue({
    type: PROXY_SYNC_JOB,
    target: "proxy",
    payload: routes?.length ? { routes } : {},
    ...job,
  });
  return { id: queued.id };
}
