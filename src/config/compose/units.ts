// The value formats docker's compose loader accepts: Go durations (`1m30s`), byte sizes with binary
// units (`512m`, `1.5GiB`), CPU counts as decimals. Each returns undefined for a malformed value, and
// the caller names the field.

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** A Go duration (`1h2m3.5s`, `300ms`, `0`) in nanoseconds. Bare numbers are seconds, as in compose. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number")
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1e9) : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text === "0") return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    at = part.lastIndex;
  }
  return at === 0 ? undefined : Math.round(total);
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** A size like docker's RAMInBytes: `512`, `64k`, `1.5g`, `256MiB`, `1gb` (binary units). */
export function parseBytes(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(value.trim());
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  return Math.floor(Number(m[1]) * BYTE_UNITS[unit]!);
}

/** CPUs as a decimal count (`0.5`, `"2"`). */
export function parseCpus(value: unknown): number | undefined {
  // Decimal digits only, like Go's ParseFloat as docker uses it (no hex, no exponent).
  const decimal = typeof value === "string" && /^(\d+(\.\d*)?|\.\d+)$/.test(value.trim());
  const n = typeof value === "number" ? value : decimal ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
