// The usage chart's arithmetic, pure: samples kept per container (a rolling window), the polyline of
// a series in an SVG box, and how CPU and memory read. No DOM, no fetch: unit-tested in usage.test.ts.

export interface UsageSample {
  at: number;
  cpuPercent: number;
  memoryBytes: number;
}

/** Adds this poll's samples (by task id) to the history, keeping the newest `keep` of each, and only tasks still listed. */
export function addSamples(
  history: Record<string, UsageSample[]>,
  now: Record<string, UsageSample>,
  keep: number,
): Record<string, UsageSample[]> {
  const out: Record<string, UsageSample[]> = {};
  for (const [task, s] of Object.entries(now)) out[task] = [...(history[task] ?? []), s].slice(-keep);
  return out;
}

/**
 * The SVG polyline `points` of `values` in a `width` x `height` box: x spread over `slots` positions
 * (the newest at the right edge), y from 0 (bottom) to `max` (top), values above `max` at the top.
 */
export function chartPoints(
  values: readonly number[],
  o: { width: number; height: number; max: number; slots: number },
): string {
  if (values.length === 0 || o.max <= 0) return "";
  const step = o.slots > 1 ? o.width / (o.slots - 1) : 0;
  const first = o.slots - values.length;
  return values
    .map((v, i) => {
      const x = (first + i) * step;
      const y = o.height - (Math.min(Math.max(v, 0), o.max) / o.max) * o.height;
      return `${round(x)},${round(y)}`;
    })
    .join(" ");
}

/** The CPU axis' top: 100 % (one core) unless a sample went above, then the next whole core. */
export function cpuScale(values: readonly number[]): number {
  const top = Math.max(0, ...values);
  return top <= 100 ? 100 : Math.ceil(top / 100) * 100;
}

export function formatPercent(v: number): string {
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} %`;
}

/** Memory used of the limit, in %, when there is a limit. */
export function memoryShare(used: number, limit: number): number | undefined {
  return limit > 0 ? Math.round((used / limit) * 1000) / 10 : undefined;
}

const round = (n: number) => Math.round(n * 10) / 10;
