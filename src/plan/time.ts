// Docker's timestamps are RFC 3339 with nanoseconds and trailing zeros trimmed
// ("...:01.12Z" and "...:01.123Z"), so they cannot be compared as strings.

/** Nanoseconds since the epoch of an RFC 3339 timestamp (UTC or with an offset). */
export function timeNanos(ts: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return BigInt(Date.parse(ts)) * 1_000_000n;
  const seconds = BigInt(Date.parse(`${m[1]}${m[3]}`)) / 1000n;
  const fraction = BigInt((m[2] ?? "").padEnd(9, "0").slice(0, 9));
  return seconds * 1_000_000_000n + fraction;
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function compareTime(a: string, b: string): number {
  const d = timeNanos(a) - timeNanos(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
