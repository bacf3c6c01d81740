// ServiceModel -> Swarm ServiceSpec. Pure and deterministic: the same model and context always give
// the same spec (env and labels sorted), so comparing it with the live spec tells whether an update
// is needed.
import { LABEL, ownerLabels, sortRecord } from "../domain/labels.js";
import { swarmServiceName } from "../domain/names.js";
import type { ServiceModel } from "../domain/stack.js";
import type { SwarmPort, SwarmServiceSpec, SwarmUpdateConfig } from "./swarm-types.js";

const SECOND = 1_000_000_000;

export interface ServicePlanContext {
  org: string;
  stack: string;
  deploymentId: string;
  /** The Berth installation's id. */
  instance: string;
  /** Overlay networks the service joins (the organization's network first). */
  networks: string[];
  /**
   * Whether the cluster's routing mesh (IPVS) carries traffic. Without it, ports are published in
   * host mode and the service uses DNS round robin instead of a virtual IP.
   */
  routingMesh: boolean;
  /** Host port for each entry of `service.ports`, in the same order. */
  hostPorts: number[];
}

export function planServiceSpec(service: ServiceModel, ctx: ServicePlanContext): SwarmServiceSpec {
  const owner = { org: ctx.org, stack: ctx.stack, service: service.name };
  const ports: SwarmPort[] = service.ports.map((p, i) => ({
    Protocol: p.protocol,
    TargetPort: p.target,
    PublishedPort: ctx.hostPorts[i]!,
    PublishMode: ctx.routingMesh ? "ingress" : "host",
  }));
  // A host-mode port can be bound by one task per node only, so a start-first update would wait
  // forever for the port its predecessor holds.
  const order = ports.some((p) => p.PublishMode === "host") ? "stop-first" : "start-first";
  const update: SwarmUpdateConfig = {
    Parallelism: 1,
    Delay: 0,
    FailureAction: "rollback",
    Monitor: 10 * SECOND,
    MaxFailureRatio: 0,
    Order: order,
  };
  const rollback: SwarmUpdateConfig = { ...update, FailureAction: "pause" };

  const containerSpec: SwarmServiceSpec["TaskTemplate"]["ContainerSpec"] = {
    Image: service.image,
    Labels: ownerLabels(owner),
    Env: Object.entries(service.env)
      .map(([k, v]) => `${k}=${v}`)
      .sort(),
  };
  if (service.command) containerSpec.Args = service.command;

  return {
    Name: swarmServiceName(ctx.org, ctx.stack, service.name),
    Labels: sortRecord({
      ...ownerLabels(owner),
      [LABEL.deployment]: ctx.deploymentId,
      [LABEL.instance]: ctx.instance,
    }),
    TaskTemplate: {
      ContainerSpec: containerSpec,
      Resources: {
        Limits: {
          NanoCPUs: Math.round(service.resources.cpus * 1e9),
          MemoryBytes: service.resources.memoryBytes,
        },
      },
      RestartPolicy: { Condition: "any", Delay: 5 * SECOND, MaxAttempts: 0 },
      Networks: [...new Set(ctx.networks)].map((Target) => ({ Target })),
    },
    Mode: { Replicated: { Replicas: service.replicas } },
    UpdateConfig: update,
    RollbackConfig: rollback,
    EndpointSpec: { Mode: ctx.routingMesh ? "vip" : "dnsrr", Ports: ports },
  };
}

/**
 * Whether the live spec differs from the desired one in anything that changes tasks or routing.
 * Swarm fills defaults into what it stores, so only the fields Berth sets are compared, and the
 * deployment label (which changes on every deploy) is ignored.
 */
export function specNeedsUpdate(desired: SwarmServiceSpec, live: unknown): boolean {
  if (live === undefined) return true;
  const { [LABEL.deployment]: _ignored, ...desiredLabels } = desired.Labels;
  const liveSpec = (live ?? {}) as Record<string, unknown>;
  const liveLabels = { ...((liveSpec.Labels as Record<string, string>) ?? {}) };
  delete liveLabels[LABEL.deployment];
  return !covers({ ...desired, Labels: desiredLabels }, { ...liveSpec, Labels: liveLabels });
}

/**
 * Whether an update from `live` to `desired` replaces tasks. Changes to service labels, replica
 * counts or update settings keep the running tasks; only tasks' own spec and published ports do not.
 */
export function updateReplacesTasks(desired: SwarmServiceSpec, live: unknown): boolean {
  const l = (live ?? {}) as Partial<Record<keyof SwarmServiceSpec, unknown>>;
  return !covers(desired.TaskTemplate, l.TaskTemplate) || !covers(desired.EndpointSpec, l.EndpointSpec);
}

/**
 * True when every field set in `want` has the same value in `have`. Arrays and label maps are
 * compared whole; a zero value in `want` matches a missing one in `have`, since the Engine omits
 * zero values from what it returns.
 */
function covers(want: unknown, have: unknown, exactKeys = false): boolean {
  if (have === undefined && isZero(want)) return true;
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return false;
    return want.every((w, i) => covers(w, have[i]));
  }
  if (want !== null && typeof want === "object") {
    if (have === null || typeof have !== "object" || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    const w = want as Record<string, unknown>;
    if (exactKeys && Object.keys(h).length !== Object.keys(w).length) return false;
    return Object.entries(w).every(([k, v]) => covers(v, h[k], k === "Labels"));
  }
  return want === have;
}

function isZero(v: unknown): boolean {
  if (v === undefined || v === 0 || v === false || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v !== null && typeof v === "object") return Object.values(v).every(isZero);
  return false;
}
