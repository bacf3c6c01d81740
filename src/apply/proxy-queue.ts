// Queuing proxy-sync jobs (apply/proxy.ts runs them). Apart, so that deployments and route changes
// can ask for a sync without importing the proxy's machinery.
import { unfinishedJobs } from "../store/jobs.js";
import type { Platform } from "./platform.js";

export const PROXY_SYNC_JOB = "proxy-sync";

/**
 * Queues a proxy sync. One asked for by an organization's change is that organization's job (its
 * users follow it); Berth's own (orgId null) is skipped when one is already waiting. A sync that runs
 * already may have read the routes before this change, so it never stands in for a change.
 */
export async function queueProxySync(
  p: Platform,
  o: { orgId: string | null; correlationId: string; requestedBy: string; routes?: string[] },
): Promise<{ id: string }> {
  const { routes, ...job } = o;
  if (o.orgId === null) {
    const jobs = await unfinishedJobs(p.db);
    const waiting = jobs.find((j) => j.type === PROXY_SYNC_JOB && j.status === "queued");
    if (waiting) return { id: waiting.id };
  }
  const queued = await p.jobs.enqueue({
    type: PROXY_SYNC_JOB,
    target: "proxy",
    payload: routes?.length ? { routes } : {},
    ...job,
  });
  return { id: queued.id };
}
