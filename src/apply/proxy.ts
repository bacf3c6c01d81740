// Keeping the proxy in step with the routing table. A `proxy-sync` job (queued on every route change,
// and by the watch below whenever the proxy runs something else: restarted empty, a stack removed
// with its routes, a config pushed by hand) does, in order:
//   1. the proxy's system stack joins exactly the networks of organizations with routes (a deploy of
//      the system stack when that changes, waited for);
//   2. the whole Caddy config, built by plan/caddy-config.ts, is pushed with one `POST /load` unless
//      the proxy already runs it. A config Caddy refuses leaves the old one serving and fails the job
//      with Caddy's reason.
// The proxy is deployed on the first route only, so an installation without routes binds no ports.

import { scopedName } from "../domain/names.js";
import { PROXY_STACK } from "../domain/system.js";
import type { JobContext } from "../jobs/queue.js";
import { buildCaddyConfig, type ProxyRoute, proxyConfigDiffers } from "../plan/caddy-config.js";
import { PROXY_ADMIN_SOCKET, PROXY_POLICY, planProxyStack } from "../plan/proxy-stack.js";
import { type ActiveRoute, activeRoutes } from "../store/domains.js";
import { unfinishedJobs } from "../store/jobs.js";
import { ensureOrgNetwork, findOrgNetwork } from "./deploy.js";
import type { Platform } from "./platform.js";
import { awaitDeployment, ensureSystemStack, systemStackExists } from "./system.js";

export const PROXY_SYNC_JOB = "proxy-sync";

const ADMIN_WAIT_MS = 60_000;

function toProxyRoute(r: ActiveRoute): ProxyRoute {
  return {
    host: r.hostname,
    path: r.pathPrefix,
    upstream: { service: scopedName(r.namespace, r.service), port: r.port },
    tls: r.tls,
    httpsRedirect: r.httpsRedirect,
  };
}

/** The Caddy config for these routes with this installation's settings. */
export function proxyConfigFor(p: Platform, routes: ActiveRoute[]): Record<string, unknown> {
  return buildCaddyConfig(routes.map(toProxyRoute), {
    adminSocket: PROXY_ADMIN_SOCKET,
    acme: p.proxy.acme,
    tryDurationMs: 5000,
    refreshMs: 1000,
  });
}

export async function runProxySync(p: Platform, ctx: JobContext): Promise<void> {
  const routes = await activeRoutes(p.db);
  if (routes.length === 0 && !(await systemStackExists(p, PROXY_STACK))) {
    await ctx.say("no routes: the proxy is not deployed");
    return;
  }
  // 1. The proxy joins the networks of the organizations with routes, and only those.
  const networks: string[] = [];
  for (const org of [...new Set(routes.map((r) => r.org))].sort()) {
    await ensureOrgNetwork(p, org);
    const net = await findOrgNetwork(p, org);
    if (net) networks.push(net.name);
  }
  const model = planProxyStack({
    image: p.proxy.image,
    httpPort: p.proxy.httpPort,
    httpsPort: p.proxy.httpsPort,
    socketDir: p.proxy.socketDir,
    nodeId: p.cluster.nodeId,
    orgNetworks: networks,
  });
  const deploying = await ensureSystemStack(p, {
    model,
    policy: PROXY_POLICY,
    requestedBy: ctx.job.requestedBy,
    correlationId: ctx.job.correlationId,
  });
  if (deploying) {
    await ctx.say(
      `proxy: deploying system stack revision ${deploying.revision} (${networks.length} networks)`,
    );
    await ctx.progress(20, "waiting for the proxy's system stack");
    await awaitDeployment(p, deploying.deploymentId, ctx.signal);
  }
  // 2. The whole routing table, atomically.
  await ctx.progress(60, "pushing the routing table");
  const config = proxyConfigFor(p, routes);
  const running = await waitForAdmin(p, ctx.signal);
  if (!proxyConfigDiffers(config, running)) {
    await ctx.say("the proxy already serves the routing table");
    return;
  }
  const started = Date.now();
  await p.proxyAdmin.load(config);
  await ctx.say(`the proxy loaded the routing table in ${Date.now() - started} ms`);
}

async function waitForAdmin(p: Platform, signal: AbortSignal): Promise<unknown> {
  const deadline = Date.now() + ADMIN_WAIT_MS;
  for (;;) {
    const running = await p.proxyAdmin.current();
    if (running !== undefined) return running;
    if (Date.now() > deadline || signal.aborted) {
      throw new Error(
        `the proxy's admin API (${p.proxy.socketDir}) did not answer within ${ADMIN_WAIT_MS / 1000} s`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Queues a proxy sync. One asked for by an organization's change is that organization's job (its
 * users follow it); Berth's own (orgId null) is skipped when one is already waiting. A sync that runs
 * already may have read the routes before this change, so it never stands in for a change.
 */
export async function queueProxySync(
  p: Platform,
  o: { orgId: string | null; correlationId: string; requestedBy: string },
): Promise<{ id: string }> {
  if (o.orgId === null) {
    const jobs = await unfinishedJobs(p.db);
    const waiting = jobs.find((j) => j.type === PROXY_SYNC_JOB && j.status === "queued");
    if (waiting) return { id: waiting.id };
  }
  const job = await p.jobs.enqueue({ type: PROXY_SYNC_JOB, target: "proxy", payload: {}, ...o });
  return { id: job.id };
}

/**
 * Every interval, compares what the proxy runs with the routing table and queues a sync when they
 * differ (the proxy restarted empty, a stack went with its routes, someone changed it by hand).
 */
export function startProxyWatch(p: Platform) {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const routes = await activeRoutes(p.db);
      if (routes.length === 0 && !(await systemStackExists(p, PROXY_STACK))) return;
      const running = await p.proxyAdmin.current();
      if (running !== undefined && !proxyConfigDiffers(proxyConfigFor(p, routes), running)) return;
      if ((await unfinishedJobs(p.db)).some((j) => j.type === PROXY_SYNC_JOB)) return;
      p.log.info({ reachable: running !== undefined }, "the proxy does not serve the routing table; syncing");
      await queueProxySync(p, {
        orgId: null,
        correlationId: `proxy-watch-${Date.now()}`,
        requestedBy: "proxy-watch",
      });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => {
    tick().catch((err) => p.log.warn({ err: (err as Error).message }, "proxy check failed"));
  }, p.proxy.syncIntervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), tick };
}
