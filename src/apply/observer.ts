// Keeps the database in step with what Swarm runs: follows the Engine's event stream (resuming with
// `since` after a disconnect or a dockerd restart) and, because the Engine keeps only 256 events and
// drops them for slow consumers, also resyncs everything at start, after every reconnect, and on a
// timer.
import { EventEmitter } from "node:events";
import { LABEL, ownerFilter } from "../domain/labels.js";
import type { ChangeFeed } from "../observability/changes.js";
import type { Metrics } from "../observability/metrics.js";
import { eventEffect, rolloutSignal, summarizeService, tasksSettled } from "../plan/observe.js";
import type { EngineEvent, ObservedService, ObservedTask } from "../plan/observed.js";
import {
  markMissing,
  replaceNodes,
  type ServiceStateRow,
  stackIndex,
  upsertServiceStates,
} from "../store/services.js";
import { getSetting, putSetting } from "../store/settings.js";
import type { Platform } from "./platform.js";

export interface Observer {
  start(): Promise<void>;
  /** Refresh these services now (e.g. at the end of a deployment). */
  refresh(serviceIds: string[]): Promise<void>;
  resync(): Promise<void>;
  /** Calls `fn` with the service of every Engine event that may move its rollout; returns the unsubscribe. */
  onServiceEvent(fn: (serviceId: string) => void): () => void;
  stop(): Promise<void>;
}

const CURSOR_KEY = "events.since";
const SETTLE_FOR_NS = 60_000_000_000n;

export function createObserver(
  p: Platform,
  opts: {
    metrics?: Metrics;
    resyncIntervalMs?: number;
    flushIntervalMs?: number;
    /** Fault injection for benchmarks: make the event consumer this slow per event. */
    eventDelayMs?: number;
    /** Told of every stack whose services' state changed (live pages listen). */
    changes?: ChangeFeed;
  } = {},
): Observer {
  const resyncIntervalMs = opts.resyncIntervalMs ?? 30_000;
  const flushIntervalMs = opts.flushIntervalMs ?? 50;
  const settleIntervalMs = 250;
  const stop = new AbortController();
  const dirty = new Map<string, bigint>(); // service id -> earliest event time not yet reflected
  let nodesDirty = false;
  let since: string | undefined;
  let cursorSavedAt = 0;
  let loops: Promise<unknown>[] = [];
  let timer: NodeJS.Timeout | undefined;

  const log = p.log.child({ component: "observer" });
  const moved = new EventEmitter().setMaxListeners(0);

  // What was last written per service, so that only real changes go to the change feed (a resync
  // rewrites every row every 30 s).
  const written = new Map<string, { orgId: string; stack: string; fingerprint: string }>();

  async function write(rows: ServiceStateRow[], labels: Map<string, string>): Promise<void> {
    await upsertServiceStates(p.db, rows);
    for (const r of rows) {
      const stack = labels.get(r.swarmId) ?? "";
      const fingerprint = JSON.stringify([r.image, r.desiredReplicas, r.runningReplicas, r.ports, r.tasks]);
      if (written.get(r.swarmId)?.fingerprint === fingerprint) continue;
      written.set(r.swarmId, { orgId: r.orgId, stack, fingerprint });
      opts.changes?.publish({ kind: "stack", orgId: r.orgId, stack });
    }
  }

  function gone(swarmIds: Iterable<string>): void {
    for (const id of swarmIds) {
      const w = written.get(id);
      if (!w) continue;
      written.delete(id);
      opts.changes?.publish({ kind: "stack", orgId: w.orgId, stack: w.stack });
    }
  }

  /** The stack label of each service (the feed names stacks). */
  const stackLabels = (list: ObservedService[]) =>
    new Map(list.map((s) => [s.id, s.labels[LABEL.stack] ?? ""]));

  async function toRows(list: ObservedService[], tasksOf: (id: string) => ObservedTask[]) {
    const index = await stackIndex(p.db);
    const rows: ServiceStateRow[] = [];
    for (const s of list) {
      if (s.labels[LABEL.managed] !== "true" || s.labels[LABEL.instance] !== p.instanceId) continue;
      const place = index.get(`${s.labels[LABEL.org]}/${s.labels[LABEL.stack]}`);
      if (!place) continue; // not in the database: drift reports it
      const state = summarizeService(s, tasksOf(s.id));
      rows.push({
        ...place,
        name: s.labels[LABEL.service] ?? s.name,
        swarmId: s.id,
        image: s.image,
        desiredReplicas: s.replicas,
        runningReplicas: state.running,
        ports: s.publishedPorts,
        tasks: state.tasks,
      });
    }
    return rows;
  }

  async function resync(): Promise<void> {
    const list = await p.engine.listServices(ownerFilter({ instance: p.instanceId }).label);
    const tasks = await p.engine.listTasks();
    const byService = new Map<string, ObservedTask[]>();
    for (const t of tasks) {
      const list = byService.get(t.serviceId);
      if (list) list.push(t);
      else byService.set(t.serviceId, [t]);
    }
    const rows = await toRows(list, (id) => byService.get(id) ?? []);
    await write(rows, stackLabels(list));
    await markMissing(p.db, { allBut: list.map((s) => s.id) });
    const present = new Set(list.map((s) => s.id));
    gone([...written.keys()].filter((id) => !present.has(id)));
    await replaceNodes(p.db, await p.engine.listNodes());
    if (opts.metrics) opts.metrics.resync.at = Date.now();
  }

  /** Writes these services' state; returns the ones whose tasks are still moving. */
  async function refresh(ids: string[]): Promise<string[]> {
    // Two Engine calls however many services moved: the Engine is busy starting their tasks.
    const found = await p.engine.servicesById(ids);
    const present = new Set(found.map((f) => f.id));
    const missing = ids.filter((id) => !present.has(id));
    const tasks = new Map<string, ObservedTask[]>();
    for (const t of await p.engine.tasksOf([...present])) {
      const list = tasks.get(t.serviceId) ?? [];
      list.push(t);
      tasks.set(t.serviceId, list);
    }
    await write(await toRows(found, (id) => tasks.get(id) ?? []), stackLabels(found));
    if (missing.length) {
      await markMissing(p.db, { swarmIds: missing });
      gone(missing);
    }
    return found.filter((s) => !tasksSettled(tasks.get(s.id) ?? [])).map((s) => s.id);
  }

  async function flush(): Promise<void> {
    if (nodesDirty) {
      nodesDirty = false;
      await replaceNodes(p.db, await p.engine.listNodes());
    }
    if (dirty.size === 0) return;
    const batch = new Map(dirty);
    dirty.clear();
    const moving = new Set(await refresh([...batch.keys()]));
    const now = BigInt(Date.now()) * 1_000_000n;
    for (const [id, t] of batch) {
      // Docker has no task events: a task reaches `running` in Swarm's view a little after its
      // container starts. Look again until its tasks settle; the lag counts until then.
      // Tasks stuck for long (e.g. no node can take them) are left to the periodic resync.
      if (moving.has(id) && now - t < SETTLE_FOR_NS) settling.set(id, t);
      else opts.metrics?.eventLag.observe(Number(now - t) / 1e9);
    }
  }

  /** Services whose tasks were still moving at the last refresh, by the time of their first event. */
  const settling = new Map<string, bigint>();

  async function settleLoop(): Promise<void> {
    while (!stop.signal.aborted) {
      await sleep(settleIntervalMs, stop.signal);
      for (const [id, t] of settling) if (!dirty.has(id)) dirty.set(id, t);
      settling.clear();
    }
  }

  function handle(e: EngineEvent): void {
    since = nanosToSince(e.timeNano);
    const effect = eventEffect(e);
    if (effect.kind === "service" && !dirty.has(effect.serviceId)) dirty.set(effect.serviceId, e.timeNano);
    if (effect.kind === "nodes") nodesDirty = true;
    const signal = rolloutSignal(e);
    if (signal) moved.emit("moved", signal);
  }

  async function follow(): Promise<void> {
    let backoff = 500;
    let needResync = false;
    while (!stop.signal.aborted) {
      try {
        if (needResync) {
          await resync();
          needResync = false;
        }
        for await (const e of p.engine.events({ ...(since ? { since } : {}), signal: stop.signal })) {
          handle(e);
          if (opts.eventDelayMs) await sleep(opts.eventDelayMs, stop.signal);
          backoff = 500;
          if (Date.now() - cursorSavedAt > 1000 && since) {
            cursorSavedAt = Date.now();
            await putSetting(p.db, CURSOR_KEY, since);
          }
        }
        if (!stop.signal.aborted) log.warn("event stream ended; reconnecting");
      } catch (err) {
        if (stop.signal.aborted) break;
        log.warn({ err: (err as Error).message }, "event stream failed; reconnecting");
        opts.metrics?.dockerErrors.inc({ operation: "events" });
      }
      needResync = true; // events may have been lost while disconnected
      await sleep(backoff, stop.signal);
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  async function flushLoop(): Promise<void> {
    while (!stop.signal.aborted) {
      try {
        await flush();
      } catch (err) {
        log.warn({ err: (err as Error).message }, "refresh failed; the next resync repairs it");
      }
      await sleep(flushIntervalMs, stop.signal);
    }
  }

  return {
    async start() {
      since = (await getSetting(p.db, CURSOR_KEY)) ?? nanosToSince(BigInt(Date.now()) * 1_000_000n);
      await resync().catch((err) => log.warn({ err: (err as Error).message }, "initial resync failed"));
      loops = [follow(), flushLoop(), settleLoop()];
      timer = setInterval(() => {
        resync().catch((err) => log.warn({ err: (err as Error).message }, "resync failed"));
      }, resyncIntervalMs);
      timer.unref();
    },
    async refresh(ids) {
      for (const id of await refresh(ids))
        if (!settling.has(id)) settling.set(id, BigInt(Date.now()) * 1_000_000n);
    },
    resync,
    onServiceEvent(fn) {
      moved.on("moved", fn);
      return () => moved.off("moved", fn);
    },
    async stop() {
      stop.abort();
      if (timer) clearInterval(timer);
      await Promise.allSettled(loops);
      if (since) await putSetting(p.db, CURSOR_KEY, since).catch(() => {});
    },
  };
}

/** Docker's `since` takes seconds with a fractional part. */
export function nanosToSince(nanos: bigint): string {
  const s = nanos / 1_000_000_000n;
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, "0");
  return `${s}.${frac}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
