// Address space for organization networks. Docker gives each overlay a /24 by default: about 250
// tasks, too few for an organization. Berth gives each organization network a /20 (4,094 addresses)
// from its own pool, the first one that overlaps no existing network.

import { compareTime } from "./time.js";

export const ORG_SUBNET_POOL = "10.192.0.0/10";
export const ORG_SUBNET_BITS = 20;

function parse(cidr: string): { start: number; end: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined; // IPv6 and anything else cannot overlap an IPv4 pool
  const [a, b, c, d, bits] = m.slice(1).map(Number) as [number, number, number, number, number];
  const base = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  const size = 2 ** (32 - bits);
  const start = base - (base % size);
  return { start, end: start + size - 1 };
}

function format(n: number, bits: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${bits}`;
}

/** The first subnet of `bits` in `pool` that overlaps none of `used`; undefined when the pool is full. */
export function pickSubnet(
  used: string[],
  pool = ORG_SUBNET_POOL,
  bits = ORG_SUBNET_BITS,
): string | undefined {
  const p = parse(pool)!;
  const taken = used.flatMap((u) => parse(u) ?? []);
  const size = 2 ** (32 - bits);
  for (let start = p.start; start + size - 1 <= p.end; start += size) {
    const end = start + size - 1;
    if (!taken.some((t) => t.start <= end && start <= t.end)) return format(start, bits);
  }
  return undefined;
}

/** A network's subnet as the Engine lists it, with when the swarm stored the network. */
export interface SubnetClaim {
  networkId: string;
  subnet: string;
  /** The Engine's `Created` (RFC 3339 with up to nanoseconds). */
  created: string;
}

/**
 * The network that holds `subnet`: of those whose subnet overlaps it, the one created first (then the
 * smallest id). Swarm accepts a network whose subnet overlaps another's, but never allocates it, so
 * its tasks stay `new` forever: whoever created a network on a subnet it then finds held by an older
 * one removes its own and chooses again. The one created first keeps it, whoever looks first.
 */
export function subnetHolder(subnet: string, claims: SubnetClaim[]): SubnetClaim | undefined {
  const mine = parse(subnet);
  if (!mine) return undefined;
  const overlapping = claims.filter((c) => {
    const t = parse(c.subnet);
    return t !== undefined && t.start <= mine.end && mine.start <= t.end;
  });
  return overlapping.sort(
    (a, b) => compareTime(a.created, b.created) || (a.networkId < b.networkId ? -1 : 1),
  )[0];
}
