// Waiting on Swarm without polling blind: a loop that looks at some services' tasks sleeps until the
// Engine reports an event about one of them (the observer hands them on: plan/observe.ts
// rolloutSignal), and at most `maxWaitMs` when none comes (the event stream down, a quiet service).
import type { Platform } from "./platform.js";

export interface ServiceWaker {
  /** The services whose events end a wait (an event since the last wait ended counts). */
  watch(ids: Iterable<string>): void;
  /**
   * Sleeps `minGapMs` (a burst of events is one look), then, unless an event came since the last
   * wait ended (during the look), until one comes or `maxWaitMs` passed.
   */
  next(): Promise<void>;
  close(): void;
}

export function serviceWaker(p: Platform, o: { maxWaitMs: number; minGapMs: number }): ServiceWaker {
  let watched = new Set<string>();
  let moved = false;
  let wake: (() => void) | undefined;
  const unsubscribe = p.onServiceEvent((id) => {
    if (!watched.has(id)) return;
    moved = true;
    wake?.();
  });
  return {
    watch(ids) {
      watched = new Set(ids);
    },
    async next() {
      await new Promise((r) => setTimeout(r, o.minGapMs));
      if (!moved)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, o.maxWaitMs - o.minGapMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      wake = undefined;
      moved = false;
    },
    close: unsubscribe,
  };
}
