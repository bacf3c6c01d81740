// Choosing host ports to publish on, within the range the platform allows.
import type { StackModel } from "../domain/stack.js";

export type Protocol = "tcp" | "udp" | "sctp";

export const PROTOCOLS: readonly Protocol[] = ["tcp", "udp", "sctp"];

/**
 * A host port as Swarm holds it: a number is published once per protocol, so one service may
 * publish 5000/tcp and 5000/udp (as `docker stack deploy` does), and two may not both take 5000/tcp.
 */
export function hostPortKey(port: number, protocol: string): string {
  return `${port}/${protocol.toLowerCase()}`;
}

export interface PortRange {
  from: number;
  to: number;
}

/**
 * The host port for a service port: the one the user asked for, else the one it already has, else the
 * lowest port in `range` free for `protocol`. Returns undefined when the range is full. `used` holds
 * `hostPortKey`s.
 */
export function pickHostPort(opts: {
  requested?: number;
  current?: number;
  protocol: Protocol;
  used: ReadonlySet<string>;
  range: PortRange;
}): number | undefined {
  if (opts.requested !== undefined) return opts.requested;
  if (opts.current !== undefined) return opts.current;
  for (let p = opts.range.from; p <= opts.range.to; p++)
    if (!opts.used.has(hostPortKey(p, opts.protocol))) return p;
  return undefined;
}

/**
 * The host ports a stack reserves, one row per number: 5000/tcp and 5000/udp of the same stack hold
 * the number once (the first service to publish it names the row).
 */
export function portReservations(model: StackModel): { service: string; port: number }[] {
  const byPort = new Map<number, string>();
  for (const s of model.services)
    for (const port of s.ports)
      if (port.published !== undefined && !byPort.has(port.published)) byPort.set(port.published, s.name);
  return [...byPort].map(([port, service]) => ({ service, port }));
}
