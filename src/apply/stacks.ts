// Reading stacks with what runs (from the database, which the observer keeps current), and
// removing them. Services are found by label.
import { NotFound } from "../domain/errors.js";
import { LABEL, ownerFilter } from "../domain/labels.js";
import type { TaskSummary } from "../plan/observe.js";
import { listDomains } from "../store/domains.js";
import { jobEnded } from "../store/jobs.js";
import { listNodes, serviceStates } from "../store/services.js";
import { deleteStack, getStack, listStacks, orgIdOf } from "../store/stacks.js";
import type { Platform } from "./platform.js";
import { queueProxySync } from "./proxy-queue.js";

export interface ServiceView {
  name: string;
  image: string;
  replicas: number;
  running: number;
  ports: number[];
  tasks: (TaskSummary & { nodeName?: string })[];
  observedAt: string;
}

export interface StackView {
  name: string;
  revision: number;
  status: string;
  /** The revision that runs (the newest that succeeded), when the latest did not. */
  liveRevision: number | null;
  reason: string | null;
  deploymentId: string;
  updatedAt: string;
  services: ServiceView[];
}

/** The organization's stacks with what runs; only the one named, when `name` is given. */
export async function viewStacks(p: Platform, org: string, name?: string): Promise<StackView[]> {
  const orgId = await orgIdOf(p.db, org);
  const rows = await listStacks(p.db, orgId, name);
  if (name !== undefined && rows.length === 0) return [];
  const states = await serviceStates(p.db, orgId, name === undefined ? undefined : rows[0]!.stack.id);
  // Tasks name their node by id; people know nodes by hostname (the observer keeps the node list).
  const hostnames = new Map((await listNodes(p.db)).map((n) => [n.id, n.hostname]));
  const byStack = new Map<string, ServiceView[]>();
  for (const s of states) {
    if (s.presence !== "present") continue;
    const list = byStack.get(s.stackId) ?? [];
    list.push({
      name: s.name,
      image: s.image ?? "",
      replicas: s.desiredReplicas,
      running: s.runningReplicas,
      ports: s.ports,
      tasks: s.tasks.map((t) => {
        const nodeName = t.node ? hostnames.get(t.node) : undefined;
        return nodeName ? { ...t, nodeName } : t;
      }),
      observedAt: new Date(s.observedAt).toISOString(),
    });
    byStack.set(s.stackId, list);
  }
  return rows.map(({ stack, latest, liveRevision }) => ({
    name: stack.name,
    revision: latest.revision,
    status: latest.status,
    liveRevision: liveRevision === null ? null : Number(liveRevision),
    reason: latest.reason,
    deploymentId: latest.id,
    updatedAt: new Date(stack.updatedAt).toISOString(),
    services: (byStack.get(stack.id) ?? []).sort((a, b) => a.name.localeCompare(b.name)),
  }));
}

/** What a removal removed, and what it left. */
export interface RemovedStack {
  removed: string[];
  networks: number;
  secrets: number;
  configs: number;
  volumes: number;
  /** Objects still in use after 30 s (named so they can be removed later). */
  left: string[];
  /** Routes to the stack's services, removed with it. */
  routes: number;
}

/** How long a removal waits for the proxy to stop serving the stack's routes before its services go. */
const PROXY_SYNC_WAIT_MS = 30_000;

/**
 * Removes a stack: its record and routes (waiting until the proxy no longer serves them), then its
 * services (found by label), then, once their tasks are gone, the networks, secrets and configs it
 * owns; its volumes only when asked.
 */
export async function removeStack(
  p: Platform,
  org: string,
  name: string,
  opts: {
    volumes?: boolean;
    requestedBy?: string;
    correlationId?: string;
    /** Progress, as a removal job reports it. */
    say?: (message: string, percent: number) => Promise<void>;
  } = {},
): Promise<RemovedStack> {
  const say = opts.say ?? (async () => {});
  const orgId = await orgIdOf(p.db, org);
  // A retried removal finds the record gone already and removes what is left.
  const stack = await getStack(p.db, orgId, name).catch((err) => {
    if (err instanceof NotFound) return undefined;
    throw err;
  });
  const routes = stack ? (await listDomains(p.db, orgId)).filter((d) => d.stackId === stack.id).length : 0;
  // The record goes first: from then on nothing desires the stack, so the reconciler cannot recreate
  // services being removed, and should this stop half-way it removes what is left as orphans. Its
  // routes go with it (cascade); the proxy stops serving them before its services go.
  await deleteStack(p.db, orgId, name);
  if (routes) {
    const sync = await queueProxySync(p, {
      orgId,
      correlationId: opts.correlationId ?? `stack-rm-${Date.now()}`,
      requestedBy: opts.requestedBy ?? "stack-rm",
    });
    await say(
      `${routes} route${routes === 1 ? "" : "s"} removed; waiting for the proxy to stop serving them`,
      10,
    );
    const synced = await jobEnded(p.db, sync.id, { timeoutMs: PROXY_SYNC_WAIT_MS });
    if (synced?.status !== "succeeded") {
      await say(
        `the proxy sync ${synced ? synced.status : "is still running"} (job ${sync.id}); removing the services anyway`,
        20,
      );
    }
  }
  const owner = ownerFilter({ org, stack: name, instance: p.instanceId }).label;
  const services = await p.engine.listServices(owner);
  for (const s of services) await p.engine.removeService(s.id);
  await say(`${services.length} services removed; waiting for their tasks to stop`, 30);
  const ids = services.map((s) => s.id);
  const owned = [
    ...(await p.engine.listNetworks(owner)),
    ...(await p.engine.listFiles("secret", owner)),
    ...(await p.engine.listFiles("config", owner)),
    ...(opts.volumes ? await p.engine.listVolumes(owner) : []),
  ];
  // Networks, secrets and volumes stay busy until the services' containers are gone.
  for (let i = 0; i < 120 && owned.length > 0; i++) {
    if ((await p.engine.tasksOf(ids)).length === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await say("removing networks, secrets and configs", 60);
  const counts = { networks: 0, secrets: 0, configs: 0, volumes: 0 };
  const left: string[] = [];
  const count = (ok: boolean, kind: keyof typeof counts, name: string) => {
    if (ok) counts[kind]++;
    else left.push(name);
  };
  for (const n of await p.engine.listNetworks(owner)) {
    count(await retryBusy(() => p.engine.removeNetwork(n.id).then(() => true)), "networks", n.name);
  }
  for (const kind of ["secret", "config"] as const) {
    for (const f of await p.engine.listFiles(kind, owner)) {
      count(await retryBusy(() => p.engine.removeFile(kind, f.id)), `${kind}s`, f.name);
    }
  }
  if (opts.volumes) {
    await say("removing volumes", 85);
    for (const v of await p.engine.listVolumes(owner)) {
      count(await retryBusy(() => p.engine.removeVolume(v.name).then(() => true)), "volumes", v.name);
    }
  }
  if (left.length)
    p.log.warn({ org, stack: name, left }, "objects still in use were left; remove them later");
  p.log.info({ org, stack: name, services: services.length, ...counts }, "stack removed");
  return { removed: services.map((s) => s.name), ...counts, left, routes };
}

/**
 * Containers leave a while after their tasks (up to their stop grace period): a busy object is tried
 * again for 30 s. False when it is still busy then.
 */
async function retryBusy(fn: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 60; i++) {
    try {
      if (await fn()) return true;
    } catch {
      // busy (an endpoint or a task still uses it): try again
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

export interface LogLine {
  service: string;
  stream: "stdout" | "stderr";
  line: string;
}

/**
 * Log lines of a stack's services (or one of them), interleaved as they arrive. With `follow` the
 * iteration lasts until `signal` aborts.
 */
export async function stackLogs(
  p: Platform,
  org: string,
  name: string,
  opts: { service?: string; follow: boolean; since?: number; tail?: number; signal: AbortSignal },
): Promise<AsyncIterable<LogLine>> {
  const orgId = await orgIdOf(p.db, org);
  await getStack(p.db, orgId, name);
  const services = await p.engine.listServices(
    ownerFilter({
      instance: p.instanceId,
      org,
      stack: name,
      ...(opts.service ? { service: opts.service } : {}),
    }).label,
  );
  if (opts.service && services.length === 0) throw new NotFound("service", `${name}/${opts.service}`);
  return interleave(p, services, opts);
}

async function* interleave(
  p: Platform,
  services: { id: string; name: string; labels: Record<string, string> }[],
  opts: { follow: boolean; since?: number; tail?: number; signal: AbortSignal },
): AsyncIterable<LogLine> {
  const queue: LogLine[] = [];
  let wake: (() => void) | undefined;
  let running = services.length;
  let failure: unknown;
  for (const s of services) {
    const service = s.labels[LABEL.service] ?? s.name;
    void (async () => {
      try {
        for await (const l of p.engine.serviceLogs(s.id, { ...opts, timestamps: false })) {
          queue.push({ service, ...l });
          wake?.();
        }
      } catch (err) {
        failure ??= err;
      } finally {
        running--;
        wake?.();
      }
    })();
  }
  while (running > 0 || queue.length) {
    if (queue.length) {
      yield queue.shift()!;
      continue;
    }
    await new Promise<void>((r) => {
      wake = r;
    });
    wake = undefined;
  }
  if (failure && !opts.signal.aborted) throw failure;
}
