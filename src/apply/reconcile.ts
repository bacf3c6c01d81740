// The reconciler's applier: observe, plan with planReconcile, and (when asked) repair. Repairs run
// as `reconcile` jobs; a timer reports drift and, with auto-repair on, queues such a job.
import { RESTORE_JOB } from "../domain/backup.js";
import { ownerFilter } from "../domain/labels.js";
import type { JobContext } from "../jobs/queue.js";
import type { Metrics } from "../observability/metrics.js";
import { imagesToCheck } from "../plan/feasibility.js";
import { type DriftItem, planReconcile } from "../plan/reconcile.js";
import { unfinishedJobs } from "../store/jobs.js";
import { desiredStacks, orgIdOf } from "../store/stacks.js";
import { observeCluster } from "./cluster-facts.js";
import { DEPLOY_JOB, ensureObjectsOf, findOrgNetwork, networkIdsFor } from "./deploy.js";
import type { Platform } from "./platform.js";
import { RESTART_JOB } from "./restart.js";
import { withFileIds } from "./stack-files.js";

export const RECONCILE_JOB = "reconcile";

export async function reconcileOnce(
  p: Platform,
  opts: { org?: string; repair: boolean; say?: (m: string) => Promise<void> },
): Promise<{ drift: DriftItem[]; repaired: number }> {
  const say = opts.say ?? (async () => {});
  const desired = await desiredStacks(p.db, opts.org);
  // A repair first puts back the stacks' networks, secrets and configs that are gone (services
  // cannot be recreated without them), so the plan below finds them.
  if (opts.repair) {
    for (const d of desired) {
      if (d.settled) await ensureObjectsOf(p, { model: d.settled.model, namespace: d.namespace }, say);
    }
  }
  const owned = ownerFilter({ instance: p.instanceId, ...(opts.org ? { org: opts.org } : {}) }).label;
  const live = await p.engine.listLive(owned);
  const orgNetworks = new Map<string, string>();
  for (const org of new Set(desired.map((d) => d.org))) {
    const net = await findOrgNetwork(p, org);
    if (net) orgNetworks.set(org, net.id);
  }
  // The stacks' own networks and the external ones (the proxy's tenant networks, a compose file's
  // `external: true`) by id, as deploy plans them.
  const networkIds = await networkIdsFor(
    p,
    owned,
    desired.flatMap((d) => (d.settled ? [d.settled.model] : [])),
  );
  const byName = new Map(live.map((l) => [l.observed.name, l]));
  const images = desired.flatMap((d) =>
    d.settled ? imagesToCheck(d.settled.model, d.namespace, byName) : [],
  );
  const { drift, actions } = planReconcile(desired, live, {
    instance: p.instanceId,
    orgNetworks,
    networkIds,
    routingMesh: p.cluster.routingMesh,
    hostPortRange: p.hostPortRange,
    updateMonitor: p.updateMonitor,
    usedHostPorts: await p.engine.usedHostPorts(),
    cluster: await observeCluster(p, [...new Set(images)]),
  });
  if (!opts.repair) return { drift, repaired: 0 };
  let repaired = 0;
  const ids = actions.some((a) => a.type !== "remove") ? await fileIds(p) : new Map<string, string>();
  for (const a of actions) {
    if (a.type === "create") await p.engine.createService(withFileIds(a.spec, ids));
    else if (a.type === "update") await p.engine.updateService(a.id, a.version, withFileIds(a.spec, ids));
    else await p.engine.removeService(a.id);
    repaired++;
    const name = a.type === "remove" ? a.name : a.spec.Name;
    await say(`${a.type === "create" ? "recreated" : a.type === "update" ? "set back" : "removed"} ${name}`);
  }
  if (repaired) await p.refreshServices(live.map((l) => l.observed.id));
  return { drift, repaired };
}

/** Every secret's and config's id by `<kind>/<name>`, as withFileIds reads them. */
async function fileIds(p: Platform): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const kind of ["secret", "config"] as const) {
    for (const f of await p.engine.listFiles(kind, [])) ids.set(`${kind}/${f.name}`, f.id);
  }
  return ids;
}

export async function runReconcile(p: Platform, ctx: JobContext): Promise<void> {
  const org = String(ctx.job.payload.org);
  const { drift, repaired } = await reconcileOnce(p, { org, repair: true, say: (m) => ctx.say(m) });
  await ctx.say(drift.length ? `repaired ${repaired} of ${drift.length} drift items` : "no drift");
}

/** Reports drift every interval; with auto-repair, queues a repair job per drifting organization. */
export function startDriftWatch(
  p: Platform,
  opts: { intervalMs: number; autoRepair: boolean; metrics?: Metrics },
) {
  const tick = async () => {
    const { drift } = await reconcileOnce(p, { repair: false });
    const kinds = ["missing", "changed", "orphan", "blocked"] as const;
    for (const k of kinds) opts.metrics?.drift.set({ kind: k }, drift.filter((d) => d.kind === k).length);
    if (!drift.length) return;
    p.log.warn({ drift }, "drift between the database and Swarm");
    if (!opts.autoRepair) return;
    const busy = new Set((await unfinishedJobs(p.db)).map((j) => `${j.type}/${j.orgId}`));
    for (const org of new Set(drift.filter((d) => d.kind !== "blocked").map((d) => d.org))) {
      const orgId = await orgIdOf(p.db, org);
      // A restore scales services to 0 on purpose: not drift to repair while it runs.
      if ([DEPLOY_JOB, RESTART_JOB, RECONCILE_JOB, RESTORE_JOB].some((type) => busy.has(`${type}/${orgId}`)))
        continue;
      await p.jobs.enqueue({
        type: RECONCILE_JOB,
        orgId,
        target: org,
        payload: { org },
        correlationId: `drift-${Date.now()}`,
        requestedBy: "reconciler",
      });
    }
  };
  const timer = setInterval(() => {
    tick().catch((err) => p.log.warn({ err: (err as Error).message }, "drift check failed"));
  }, opts.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), tick };
}
