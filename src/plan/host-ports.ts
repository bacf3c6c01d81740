// Choosing host ports to publish on, within the range the platform allows.

export interface PortRange {
  from: number;
  to: number;
}

/**
 * The host port for a service port: the one the user asked for, else the one it already has, else the
 * lowest free port in `range`. Returns undefined when the range is full.
 */
export function pickHostPort(opts: {
  requested?: number;
  current?: number;
  used: ReadonlySet<number>;
  range: PortRange;
}): number | undefined {
  if (opts.requested !== undefined) return opts.requested;
  if (opts.current !== undefined) return opts.current;
  for (let p = opts.range.from; p <= opts.range.to; p++) if (!opts.used.has(p)) return p;
  return undefined;
}
