// The one in-process change feed: the observer reports what it saw Swarm change (per stack) and the
// job queue reports job progress, log lines and endings. Live pages (the dashboard's server-sent
// events) listen here instead of polling the database; they read the database only when told that
// something of their organization changed.
import { EventEmitter } from "node:events";

export type Change =
  /** What runs in a stack changed (tasks, replicas, image, service gone). */
  | { kind: "stack"; orgId: string; stack: string }
  /** A job was queued, started, progressed, logged a line or ended. */
  | { kind: "job"; orgId: string | null; jobId: string };

export interface ChangeFeed {
  publish(change: Change): void;
  /** Calls `fn` for every change from now on; returns the unsubscribe function. */
  subscribe(fn: (change: Change) => void): () => void;
  /** Listeners now (tests and metrics). */
  listeners(): number;
}

export function createChangeFeed(): ChangeFeed {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(change) {
      emitter.emit("change", change);
    },
    subscribe(fn) {
      // A listener that throws must not stop the publisher (the observer, a job).
      const safe = (c: Change) => {
        try {
          fn(c);
        } catch {
          // the listener's own problem
        }
      };
      emitter.on("change", safe);
      return () => emitter.off("change", safe);
    },
    listeners: () => emitter.listenerCount("change"),
  };
}
