// Whether a planned service can converge on the cluster as observed, decided before anything is sent
// to Swarm: otherwise Swarm accepts it and its tasks wait forever as "pending" (no suitable node).
// Pure: the nodes and what is known of images are observed beforehand. Each problem names the
// service's field and the numbers.
//
// Eligible nodes are those Swarm would place a task on: ready, active, and satisfying the service's
// placement constraints; a service with tasks to place needs at least one (a global one too: running
// nowhere is not what was asked for). A replicated service needs room for all its replicas on them: at
// most one task per node when it publishes a host-mode port (two tasks cannot bind one host port), at
// most max_replicas_per_node, and no more tasks than the node's CPUs and memory hold by reservation.
// A global service runs one task on each eligible node, so each of them must hold its reservation.
// Capacity is the node's total, not what other tasks leave free: only what could never fit is refused.
// The image must be on the Engine's node or known to its registry.
import { ConfigError } from "../domain/errors.js";
import { scopedName } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import { type Constraint, nodeMatches, parseConstraint } from "./constraints.js";
import type { ObservedImage, ObservedNode, ObservedService } from "./observed.js";
import type { SwarmServiceSpec } from "./swarm-types.js";

/** What the plan knows of the cluster to tell whether services can run on it. */
export interface ClusterFacts {
  nodes: readonly ObservedNode[];
  /** Images the plan must be able to run, by reference; an image not listed is not checked. */
  images: ReadonlyMap<string, ObservedImage>;
}

export interface Problem {
  /** Where in the stack, e.g. `services.web.replicas`. */
  path: string;
  message: string;
}

/** Why the service, as planned, cannot converge on the cluster; empty when it can. */
export function serviceProblems(service: string, spec: SwarmServiceSpec, facts: ClusterFacts): Problem[] {
  const at = (field: string) => `services.${service}.${field}`;
  const out: Problem[] = [];
  const image = spec.TaskTemplate.ContainerSpec.Image;
  const known = facts.images.get(image);
  if (known?.state === "unavailable") {
    out.push({
      path: at("image"),
      message: `${image} is not on the node and cannot be pulled (${known.reason})`,
    });
  }
  const { Limits: limits, Reservations: reserved = {} } = spec.TaskTemplate.Resources;
  if (reserved.MemoryBytes && limits.MemoryBytes && reserved.MemoryBytes > limits.MemoryBytes) {
    // The Engine refuses to create a container whose memory reservation exceeds its limit.
    out.push({
      path: at("deploy.resources.reservations.memory"),
      message: `${bytes(reserved.MemoryBytes)} reserved is more than the memory limit of ${bytes(limits.MemoryBytes)}`,
    });
  }
  const replicas = "Replicated" in spec.Mode ? spec.Mode.Replicated.Replicas : undefined;
  if (replicas === 0) return out; // nothing to place
  out.push(...placementProblems(service, spec, facts.nodes, replicas));
  return out;
}

function placementProblems(
  service: string,
  spec: SwarmServiceSpec,
  all: readonly ObservedNode[],
  replicas: number | undefined,
): Problem[] {
  const at = (field: string) => `services.${service}.${field}`;
  const texts = spec.TaskTemplate.Placement?.Constraints ?? [];
  const parsed = texts.map(parseConstraint);
  const unreadable = parsed.filter((c): c is string => typeof c === "string");
  if (unreadable.length) {
    return unreadable.map((why) => ({ path: at("deploy.placement.constraints"), message: why }));
  }
  const ready = all.filter((n) => n.status === "ready" && n.availability === "active");
  if (ready.length === 0) {
    return [
      { path: `services.${service}`, message: `no node is ready and active (${count(all.length, "node")})` },
    ];
  }
  const eligible = ready.filter((n) => nodeMatches(parsed as Constraint[], n));
  if (eligible.length === 0) {
    return [
      {
        path: at("deploy.placement.constraints"),
        message: `no node satisfies ${texts.map((t) => t.trim()).join(" and ")} (${nodesPhrase(ready.length, all.length)})`,
      },
    ];
  }
  const where = texts.length ? "node that satisfies its constraints" : "node";
  const reservations = RESOURCES.flatMap((r) => {
    const want = r.reserved(spec);
    if (!want) return [];
    if (replicas === undefined) {
      // Global: a task on every eligible node, so every one of them must hold it.
      const small = eligible.filter((n) => r.capacity(n) < want);
      if (small.length === 0) return [];
      const smallest = Math.min(...small.map(r.capacity));
      return [
        {
          path: at(r.path),
          message: `${r.format(want)} reserved on each of ${count(eligible.length, "eligible node")} (global), but ${small.length} of them ${small.length === 1 ? "has" : "have"} less (the smallest ${r.format(smallest)})`,
        },
      ];
    }
    const largest = Math.max(...eligible.map(r.capacity));
    if (want <= largest) return [];
    return [
      {
        path: at(r.path),
        message: `${r.format(want)} reserved, the largest ${where} has ${r.format(largest)}`,
      },
    ];
  });
  if (reservations.length || replicas === undefined) return reservations;
  const roomy = eligible.filter((n) => RESOURCES.every((r) => r.capacity(n) >= r.reserved(spec)));
  return replicaProblems(service, spec, roomy, replicas);
}

/** Whether the eligible nodes, each with room for at least one task, have room for every replica. */
function replicaProblems(
  service: string,
  spec: SwarmServiceSpec,
  eligible: readonly ObservedNode[],
  replicas: number,
): Problem[] {
  const path = `services.${service}.replicas`;
  const hostPorts = spec.EndpointSpec.Ports.flatMap((p) =>
    p.PublishMode === "host" && p.PublishedPort !== undefined ? [p.PublishedPort] : [],
  );
  const maxPerNode = spec.TaskTemplate.Placement?.MaxReplicas || Number.POSITIVE_INFINITY;
  const perNode = Math.min(maxPerNode, hostPorts.length ? 1 : Number.POSITIVE_INFINITY);
  if (replicas > perNode * eligible.length) {
    const nodes = count(eligible.length, "eligible node");
    if (hostPorts.length && perNode === 1) {
      const ports = `host port${hostPorts.length > 1 ? "s" : ""} ${hostPorts.join(", ")}`;
      return [
        {
          path,
          message: `${replicas} replicas cannot each publish ${ports} (host mode) on ${nodes}; use at most ${count(eligible.length, "replica")}, or run it on more nodes`,
        },
      ];
    }
    return [
      {
        path,
        message: `${replicas} replicas with max_replicas_per_node ${maxPerNode} need ${Math.ceil(replicas / maxPerNode)} eligible nodes, there ${eligible.length === 1 ? "is" : "are"} ${eligible.length}`,
      },
    ];
  }
  const fit = eligible.reduce(
    (sum, n) =>
      sum +
      Math.min(
        perNode,
        ...RESOURCES.map((r) => {
          const want = r.reserved(spec);
          return want ? Math.floor(r.capacity(n) / want) : Number.POSITIVE_INFINITY;
        }),
      ),
    0,
  );
  if (replicas <= fit) return [];
  const each = RESOURCES.flatMap((r) => {
    const want = r.reserved(spec);
    return want ? [r.format(want)] : [];
  }).join(" and ");
  return [
    {
      path,
      message: `${replicas} replicas reserving ${each} each do not fit: at most ${fit} fit on ${count(eligible.length, "eligible node")}`,
    },
  ];
}

const RESOURCES = [
  {
    path: "deploy.resources.reservations.memory",
    reserved: (s: SwarmServiceSpec) => s.TaskTemplate.Resources.Reservations?.MemoryBytes ?? 0,
    capacity: (n: ObservedNode) => n.resources.memoryBytes,
    format: bytes,
  },
  {
    path: "deploy.resources.reservations.cpus",
    reserved: (s: SwarmServiceSpec) => s.TaskTemplate.Resources.Reservations?.NanoCPUs ?? 0,
    capacity: (n: ObservedNode) => n.resources.nanoCpus,
    format: (nano: number) => count(+(nano / 1e9).toFixed(2), "CPU"),
  },
];

/**
 * The images a deployment of `model` must be able to run: those of services it creates and of
 * services whose image changes. A live image pinned to a digest (`name:tag@sha256:...`) is the
 * same as its `name:tag`.
 */
export function imagesToCheck(
  model: StackModel,
  namespace: string,
  live: ReadonlyMap<string, { observed: ObservedService }>,
): string[] {
  const out = new Set<string>();
  for (const s of model.services) {
    const running = live.get(scopedName(namespace, s.name))?.observed.image;
    if (running === s.image || running?.split("@")[0] === s.image) continue;
    out.add(s.image);
  }
  return [...out].sort();
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function bytes(v: number): string {
  return v >= GIB ? `${+(v / GIB).toFixed(1)} GiB` : `${+(v / MIB).toFixed(1)} MiB`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function nodesPhrase(ready: number, total: number): string {
  return ready === total ? count(total, "node") : `${count(ready, "ready node")} of ${total}`;
}

/** Refuses a plan with every problem: the first names the path, all are in the details. */
export function refuseInfeasible(problems: readonly Problem[]): void {
  const [first, ...rest] = problems;
  if (!first) return;
  const more = rest.map((p) => `; ${p.path}: ${p.message}`).join("");
  throw new ConfigError(first.path, `${first.message}${more}`, { problems });
}
