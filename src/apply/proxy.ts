// Keeping the proxy in step with the routing table. A `proxy-sync` job (queued on every route change,
// and by the watch below whenever the proxy runs something else: restarted empty, a stack removed
// with its routes, a config pushed by hand) does, in order:
//   1. the proxy's system stack joins exactly the networks of organizations with routes (a deploy of
//      the system stack when that changes, waited for; skipped while neither the organizations with
//      routes nor the proxy's settings nor its stack's latest revision changed since this process saw
//      it current);
//   2. the whole Caddy config, built by plan/caddy-config.ts, is pushed with one `POST /load` unless
//      the proxy already runs it. A config Caddy refuses leaves the old one serving and fails the job
//      with Caddy's reason.
// A job queued before a sync of this process started, which then loaded the table, does neither
// (`unlessCovered`): that sync read its change. The proxy is deployed on the first route only, so an
// installation without routes binds no ports.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeployFailed, Unavailable } from "../domain/errors.js";
import { scopedName } from "../domain/names.js";
import { PROXY_STACK } from "../domain/system.js";
import { ProxyRefused } from "../engine/proxy-admin.js";
import type { JobContext } from "../jobs/queue.js";
import {
  buildCaddyConfig,
  type ProxyCertificate,
  type ProxyRoute,
  proxyConfigDiffers,
  proxyFeatures,
} from "../plan/caddy-config.js";
import {
  PROXY_ADMIN_SOCKET,
  PROXY_POLICY,
  PROXY_SOCKET_DIR,
  PROXY_VERSION_FILE,
  planProxyStack,
} from "../plan/proxy-stack.js";
import { uploadedCertificatesInUse } from "../store/certificates.js";
import {
  type ActiveRoute,
  activeRoutes,
  deleteRoutes,
  routesById,
  setRouteStatus,
} from "../store/domains.js";
import { getJobById, unfinishedJobs } from "../store/jobs.js";
import { checkCertificates } from "./certificates.js";
import { ensureOrgNetwork, findOrgNetwork } from "./deploy.js";
import type { Platform } from "./platform.js";
import { PROXY_SYNC_JOB, queueProxySync } from "./proxy-queue.js";
import { awaitDeployment, ensureSystemStack, latestSystemRevision, systemStackExists } from "./system.js";

export { PROXY_SYNC_JOB };

function toProxyRoute(r: ActiveRoute): ProxyRoute {
  const notice = r.suspension ?? r.maintenance;
  return {
    host: r.hostname,
    path: r.pathPrefix,
    upstream: { service: scopedName(r.namespace, r.service), port: r.port },
    tls: r.tls,
    httpsRedirect: r.httpsRedirect,
    ...(notice ? { notice } : {}),
  };
}

/** Websockets outlive a route change by this much (when the proxy's Caddy can do it). */
const STREAM_CLOSE_DELAY_MS = 24 * 3600 * 1000;

/** What the running proxy wrote of its version at start (undefined before it has). */
function proxyVersion(p: Platform): string | undefined {
  try {
    return readFileSync(join(p.proxy.socketDir, PROXY_VERSION_FILE), "utf8");
  } catch {
    return undefined;
  }
}

/** Where the private ACME CA's root is copied: the socket directory, which the proxy mounts. */
const ACME_CA_ROOT_FILE = "acme-ca-root.pem";

/**
 * Copies the private ACME CA's root (`BERTH_ACME_CA_ROOT`) where the proxy reads it, when one is set
 * and an `acme` route needs it; a file that cannot be read fails the sync with the reason.
 */
function installAcmeCaRoot(p: Platform, routes: ActiveRoute[]): void {
  const from = p.proxy.acme.caRootFile;
  if (!from || !routes.some((r) => r.tls === "acme")) return;
  let pem: string;
  try {
    pem = readFileSync(from, "utf8");
  } catch (err) {
    throw new Error(`BERTH_ACME_CA_ROOT: cannot read ${from}: ${(err as Error).message}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error(`BERTH_ACME_CA_ROOT: ${from} holds no PEM certificate`);
  }
  writeFileSync(join(p.proxy.socketDir, ACME_CA_ROOT_FILE), pem, { mode: 0o644 });
}

/** Uploaded certificates the routes use, keys opened: they exist in the clear only in the pushed config. */
export async function proxyCertificates(p: Platform): Promise<ProxyCertificate[]> {
  return (await uploadedCertificatesInUse(p.db)).map((c) => ({
    host: c.hostname,
    certPem: c.certPem,
    keyPem: p.sealer.open(c.keySealed).toString("utf8"),
  }));
}

/** The Caddy config for these routes (and uploaded certificates) with this installation's settings. */
export function proxyConfigFor(
  p: Platform,
  routes: ActiveRoute[],
  certificates: ProxyCertificate[] = [],
): Record<string, unknown> {
  const features = proxyFeatures(proxyVersion(p));
  const { caRootFile, ...acme } = p.proxy.acme;
  return buildCaddyConfig(
    routes.map(toProxyRoute),
    {
      adminSocket: PROXY_ADMIN_SOCKET,
      acme: {
        ...acme,
        ...(caRootFile ? { trustedRootFile: `${PROXY_SOCKET_DIR}/${ACME_CA_ROOT_FILE}` } : {}),
      },
      tryDurationMs: 5000,
      refreshMs: 1000,
      ...(features.streamCloseDelay ? { streamCloseDelayMs: STREAM_CLOSE_DELAY_MS } : {}),
    },
    certificates,
  );
}

/**
 * The job. Routes it was queued for (`payload.routes`: a `domain add`, a deployment's routes) are
 * all-or-nothing: when the sync fails (the proxy refused them, could not be deployed, did not
 * answer), they are removed again, the job fails for good with the reason, and nothing is left
 * stored. Routes another change made are never removed here; the proxy refusing them only marks
 * them `failed` (left out of every config), for their own job to remove.
 */
export async function runProxySync(p: Platform, ctx: JobContext): Promise<void> {
  await keepOrUndo(p, ctx, () => unlessCovered(p, ctx, () => syncProxy(p, ctx)));
}

/**
 * When (the database's clock) the latest sync of this process that loaded the table had started:
 * whatever changed before then, it read and loaded.
 */
const loadedThrough = new WeakMap<Platform, Date>();

/**
 * Coalescing: runs `sync`, unless a sync of this process that started after this job was queued has
 * loaded the table since. A change is stored before its job is queued, and a sync reads the table
 * after it starts, so that sync carried the change: syncs queued back to back during a burst of
 * changes make one load, not one each. (The job's own routes are still checked by keepOrUndo.)
 */
export async function unlessCovered(p: Platform, ctx: JobContext, sync: () => Promise<void>): Promise<void> {
  const covered = loadedThrough.get(p);
  if (covered && covered > ctx.job.createdAt) {
    await ctx.say(`a sync started after this change (${covered.toISOString()}) loaded the table with it`);
    return;
  }
  const startedAt = (await getJobById(p.db, ctx.job.id))?.startedAt;
  await sync();
  const latest = loadedThrough.get(p);
  if (startedAt && !(latest && latest >= startedAt)) loadedThrough.set(p, startedAt);
}

/** Runs `sync`; then the job's own routes (`payload.routes`) are active, or removed and the job fails. */
export async function keepOrUndo(p: Platform, ctx: JobContext, sync: () => Promise<void>): Promise<void> {
  const own = Array.isArray(ctx.job.payload.routes) ? (ctx.job.payload.routes as string[]) : [];
  const undo = async (why: string) => {
    const rows = (await routesById(p.db, own)).filter((r) => r.status !== "active");
    if (rows.length === 0) return undefined;
    await deleteRoutes(
      p.db,
      rows.map((r) => r.id),
    );
    const names = rows.map((r) => `${r.hostname}${r.pathPrefix}`).join(", ");
    await ctx.say(`${names}: not kept (${why})`, "warn");
    return new DeployFailed(`${names}: ${why}; the route was not kept`);
  };
  try {
    await sync();
  } catch (err) {
    // A shutdown resumes the job on the next start: the routes wait for it.
    if (ctx.signal.aborted || own.length === 0) throw err;
    const failed = await undo((err as Error).message);
    // A proxy that did not answer may still apply the config it was sent once it does (a paused or
    // stalled Caddy reads the queued request later): a sync without the removed routes follows.
    if (failed && err instanceof Unavailable) {
      await queueProxySync(p, {
        orgId: null,
        correlationId: ctx.job.correlationId,
        requestedBy: ctx.job.requestedBy,
      });
    }
    throw failed ?? err;
  }
  const refused = (await routesById(p.db, own)).find((r) => r.status === "failed");
  if (refused) throw (await undo(refused.error ?? "the proxy refused it")) ?? new Error("refused");
}

async function syncProxy(p: Platform, ctx: JobContext): Promise<void> {
  const t0 = performance.now();
  const routes = await activeRoutes(p.db);
  if (routes.length === 0 && !(await systemStackExists(p, PROXY_STACK))) {
    await ctx.say("no routes: the proxy is not deployed");
    return;
  }
  const read = performance.now();
  try {
    await ensureProxyStack(p, ctx, routes);
  } catch (err) {
    proxyStackSeen.delete(p);
    throw err;
  }
  const stack = performance.now();
  // 2. The whole routing table, atomically.
  const push = await pushRoutingTable(p, ctx, routes);
  const spent = (a: number, b: number) => Math.round(b - a);
  await ctx.say(
    `the proxy loaded ${routes.length} routes in ${spent(t0, performance.now())} ms (routes read ${spent(t0, read)} ms, proxy stack ${spent(read, stack)} ms, config built ${push.buildMs} ms, load ${push.loadMs} ms, routes marked ${push.statusMs} ms)`,
  );
  // 3. Certificates of hosts not checked yet (new routes) and uploaded ones (a renewal may have
  // replaced them), in the background: the job is done.
  checkCertificates(p, { force: (r) => r.tls === "upload" }).catch((err: Error) =>
    p.log.warn({ err: err.message }, "certificate check failed"),
  );
}

/**
 * What this process last saw the proxy's system stack current for: the settings and organizations
 * it was planned from, and the revision that ran them. While both still hold (the latest revision
 * is that one), a sync skips step 1 (network look-ups on the Engine, sealing and comparing the
 * stack's model), which a route change almost never affects.
 */
const proxyStackSeen = new WeakMap<Platform, { inputs: string; revisionId: string }>();

/** 1. The proxy joins the networks of the organizations with routes, and only those. */
async function ensureProxyStack(p: Platform, ctx: JobContext, routes: ActiveRoute[]): Promise<void> {
  const orgs = [...new Set(routes.map((r) => r.org))].sort();
  const inputs = JSON.stringify({ orgs, proxy: p.proxy, nodeId: p.cluster.nodeId });
  const seen = proxyStackSeen.get(p);
  if (seen?.inputs === inputs) {
    const latest = await latestSystemRevision(p, PROXY_STACK);
    if (latest?.id === seen.revisionId && latest.status === "succeeded") return;
  }
  const networks: string[] = [];
  for (const org of orgs) {
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
    nodeLabel: p.proxy.nodeLabel,
    migrateRequests: p.proxy.migrateRequests,
    orgNetworks: networks,
  });
  const deploying = await ensureSystemStack(p, {
    model,
    // Its socket directory is inside Berth's data directory, which no other bind mount may reach.
    policy: {
      ...PROXY_POLICY,
      hostPaths: [p.proxy.socketDir],
      ...(p.proxy.nodeLabel ? { placementLabels: [p.proxy.nodeLabel.key] } : {}),
    },
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
  const latest = await latestSystemRevision(p, PROXY_STACK);
  if (latest?.status === "succeeded") proxyStackSeen.set(p, { inputs, revisionId: latest.id });
}

/**
 * Loads the whole routing table into the proxy; new routes become active. The config is sent
 * without first reading what the proxy runs: Caddy compares it with its own and does nothing when
 * it is the same (so a repeat neither restarts servers nor closes connections), which spares a read
 * and a comparison of the whole table on every change. Only when the admin API does not answer is
 * it waited for (up to `BERTH_PROXY_ADMIN_TIMEOUT`).
 */
export async function pushRoutingTable(
  p: Platform,
  ctx: JobContext,
  routes: ActiveRoute[],
): Promise<{ buildMs: number; loadMs: number; statusMs: number }> {
  const t0 = performance.now();
  installAcmeCaRoot(p, routes);
  const pending = routes.filter((r) => r.status === "pending");
  const certificates = await proxyCertificates(p);
  const config = proxyConfigFor(p, routes, certificates);
  const built = performance.now();
  let loaded = built;
  try {
    await loadWhenReady(p, ctx.signal, config);
    loaded = performance.now();
    await setRouteStatus(p.db, ids(pending), "active");
  } catch (err) {
    if (!(err instanceof ProxyRefused) || pending.length === 0) throw err;
    await ctx.say(`${err.message}; finding the new routes it refuses`, "warn");
    await isolateRefused(p, ctx, routes, certificates);
    loaded = performance.now();
  }
  const end = performance.now();
  return {
    buildMs: Math.round(built - t0),
    loadMs: Math.round(loaded - built),
    statusMs: Math.round(end - loaded),
  };
}

/** `load`, and when the admin API does not answer (starting, paused), waits for it and loads again. */
async function loadWhenReady(p: Platform, signal: AbortSignal, config: unknown): Promise<void> {
  try {
    await p.proxyAdmin.load(config, Math.min(p.proxy.adminWaitMs, 30_000));
  } catch (err) {
    if (!(err instanceof Unavailable)) throw err;
    await waitForAdmin(p, signal);
    await p.proxyAdmin.load(config);
  }
}

const ids = (routes: { id: string }[]) => routes.map((r) => r.id);

/**
 * The proxy refused the table with new (pending) routes in it. The routes it served before are
 * loaded alone (refused too: the fault is not the new routes', the job fails and the old config
 * keeps serving), then each new route on top of those accepted so far: a new route refused on its
 * own is marked `failed` with the proxy's reason and left out.
 */
async function isolateRefused(
  p: Platform,
  ctx: JobContext,
  routes: ActiveRoute[],
  certificates: ProxyCertificate[],
): Promise<void> {
  const accepted = routes.filter((r) => r.status !== "pending");
  await p.proxyAdmin.load(proxyConfigFor(p, accepted, certificates));
  for (const r of routes.filter((x) => x.status === "pending")) {
    try {
      await p.proxyAdmin.load(proxyConfigFor(p, [...accepted, r], certificates));
      accepted.push(r);
      await setRouteStatus(p.db, [r.id], "active");
    } catch (err) {
      if (!(err instanceof ProxyRefused)) throw err;
      await setRouteStatus(p.db, [r.id], "failed", err.message);
      await ctx.say(`${r.hostname}${r.pathPrefix}: ${err.message}`, "warn");
    }
  }
}

async function waitForAdmin(p: Platform, signal: AbortSignal): Promise<unknown> {
  const deadline = Date.now() + p.proxy.adminWaitMs;
  for (;;) {
    const left = deadline - Date.now();
    const running = await p.proxyAdmin.current(Math.max(1000, Math.min(left, 30_000)));
    if (running !== undefined) return running;
    if (Date.now() > deadline || signal.aborted) {
      throw new Unavailable(
        `the proxy's admin API (${p.proxy.socketDir}) did not answer within ${p.proxy.adminWaitMs / 1000} s`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
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
      const running = await p.proxyAdmin.current(Math.min(p.proxy.adminWaitMs, 30_000));
      const want = proxyConfigFor(p, routes, await proxyCertificates(p));
      if (running !== undefined && !proxyConfigDiffers(want, running)) return;
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
