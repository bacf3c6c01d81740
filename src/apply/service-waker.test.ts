// The waker's timing with a fake event source: an event about a watched service ends a wait early,
// one about another service does not, and one that came during a look skips the next wait.
import { describe, expect, it } from "vitest";
import type { Platform } from "./platform.js";
import { serviceWaker } from "./service-waker.js";

function platform() {
  const listeners = new Set<(id: string) => void>();
  const p = {
    onServiceEvent(fn: (id: string) => void) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  } as unknown as Platform;
  const emit = (id: string) => {
    for (const fn of listeners) fn(id);
  };
  return { p, emit, listeners };
}

const timed = async (fn: () => Promise<void>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

describe("serviceWaker", () => {
  it("waits the longest without an event, and wakes on an event about a watched service", async () => {
    const { p, emit } = platform();
    const w = serviceWaker(p, { maxWaitMs: 1000, minGapMs: 10 });
    w.watch(["a"]);
    expect(await timed(() => w.next())).toBeGreaterThanOrEqual(980);
    setTimeout(() => emit("b"), 30);
    setTimeout(() => emit("a"), 80);
    const woke = await timed(() => w.next());
    expect(woke).toBeGreaterThanOrEqual(75);
    expect(woke).toBeLessThan(700);
    w.close();
  });

  it("an event that came during a look skips the next wait; the one after waits again", async () => {
    const { p, emit, listeners } = platform();
    const w = serviceWaker(p, { maxWaitMs: 1000, minGapMs: 10 });
    w.watch(["a"]);
    emit("a");
    expect(await timed(() => w.next())).toBeLessThan(700);
    expect(await timed(() => w.next())).toBeGreaterThanOrEqual(980);
    w.close();
    expect(listeners.size).toBe(0);
  });
});
