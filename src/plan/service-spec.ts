// ServiceModel -> Swarm ServiceSpec, field by field as `docker stack deploy` converts a compose
// service, plus Berth's labels, its organization network and its documented defaults where the user
// left a field unset (limits, restart and update policies). Pure and deterministic: the same model
// and context always give the same spec, so comparing it with the live spec tells whether an update
// is needed.
import { DEFAULT_UPDATE_MONITOR_SECONDS } from "../config/defaults.js";
import { DOCKER_STACK_LABEL, LABEL, ownerLabels, sortRecord } from "../domain/labels.js";
import { scopedName } from "../domain/names.js";
import type { ServiceModel, UpdateModel } from "../domain/stack.js";
import { resolveHealthcheck } from "./healthcheck.js";
import { planMounts, type VolumeTargets } from "./mounts.js";
import type { SwarmContainerSpec, SwarmPort, SwarmServiceSpec, SwarmUpdateConfig } from "./swarm-types.js";

const SECOND = 1_000_000_000;

export interface ServicePlanContext {
  org: string;
  stack: string;
  /** The stack's namespace on Swarm (domain/names.ts): services are `<namespace>_<service>`. */
  namespace: string;
  deploymentId: string;
  /** The Berth installation's id. */
  instance: string;
  /** Networks the service joins, with their aliases (the organization's network included). */
  networks: { Target: string; Aliases?: string[] }[];
  /**
   * Whether the cluster's routing mesh (IPVS) carries traffic. Without it, ports are published in
   * host mode and the service uses DNS round robin instead of a virtual IP.
   */
  routingMesh: boolean;
  /** Host port for each entry of `service.ports`, in the same order (undefined: none). */
  hostPorts: (number | undefined)[];
  /** The update monitor (ns) where the service gives none: the installation's BERTH_UPDATE_MONITOR. */
  updateMonitor: number;
  /** Swarm names of the stack's secrets and configs, by their key in the stack. */
  secretNames?: Record<string, string>;
  configNames?: Record<string, string>;
  volumes?: VolumeTargets;
}

/** Berth's default update monitor in ns (config/defaults.ts), for plans made without an installation. */
export const DEFAULT_UPDATE_MONITOR = DEFAULT_UPDATE_MONITOR_SECONDS * SECOND;

/**
 * Berth's update policy when the user gave none: one task at a time, new before old, roll back,
 * each task watched for `monitor` (ns).
 */
export function defaultUpdateConfig(order: "start-first" | "stop-first", monitor: number): SwarmUpdateConfig {
  return {
    Parallelism: 1,
    Delay: 0,
    FailureAction: "rollback",
    Monitor: monitor,
    MaxFailureRatio: 0,
    Order: order,
  };
}

export function planServiceSpec(service: ServiceModel, ctx: ServicePlanContext): SwarmServiceSpec {
  const owner = { org: ctx.org, stack: ctx.stack, service: service.name };
  const namespace = { [DOCKER_STACK_LABEL.namespace]: ctx.namespace };
  const ports = planPorts(service, ctx);
  // A host-mode port can be bound by one task per node only, so a start-first update would wait
  // forever for the port its predecessor holds.
  const order = ports.some((p) => p.PublishMode === "host") ? "stop-first" : "start-first";
  const monitor = ctx.updateMonitor;
  const update = service.update
    ? updateConfig(service.update, order, monitor)
    : defaultUpdateConfig(order, monitor);
  const rollback = service.rollback
    ? updateConfig(service.rollback, order, monitor)
    : { ...defaultUpdateConfig(order, monitor), FailureAction: "pause" as const };
  const endpointMode =
    service.endpointMode ??
    (!ctx.routingMesh && ports.some((p) => p.PublishMode === "host") ? "dnsrr" : "vip");

  return {
    Name: scopedName(ctx.namespace, service.name),
    Labels: sortRecord({
      ...service.labels,
      ...namespace,
      [DOCKER_STACK_LABEL.image]: service.image,
      ...ownerLabels(owner),
      [LABEL.deployment]: ctx.deploymentId,
      [LABEL.instance]: ctx.instance,
    }),
    TaskTemplate: {
      ContainerSpec: containerSpec(service, ctx, { ...namespace, ...ownerLabels(owner) }),
      Resources: {
        Limits: {
          NanoCPUs: Math.round(service.resources.cpus * 1e9),
          MemoryBytes: service.resources.memoryBytes,
          ...(service.resources.pids === undefined ? {} : { Pids: service.resources.pids }),
        },
        ...(service.reservations
          ? {
              Reservations: {
                ...(service.reservations.cpus === undefined
                  ? {}
                  : { NanoCPUs: Math.round(service.reservations.cpus * 1e9) }),
                ...(service.reservations.memoryBytes === undefined
                  ? {}
                  : { MemoryBytes: service.reservations.memoryBytes }),
              },
            }
          : {}),
      },
      RestartPolicy: service.restart
        ? {
            ...(service.restart.condition ? { Condition: service.restart.condition } : {}),
            ...(service.restart.delay === undefined ? {} : { Delay: service.restart.delay }),
            ...(service.restart.maxAttempts === undefined
              ? {}
              : { MaxAttempts: service.restart.maxAttempts }),
            ...(service.restart.window === undefined ? {} : { Window: service.restart.window }),
          }
        : { Condition: "any", Delay: 5 * SECOND, MaxAttempts: 0 },
      Placement: {
        ...(service.placement?.constraints ? { Constraints: service.placement.constraints } : {}),
        ...(service.placement?.preferences
          ? { Preferences: service.placement.preferences.map((p) => ({ Spread: { SpreadDescriptor: p } })) }
          : {}),
        ...(service.maxReplicasPerNode === undefined ? {} : { MaxReplicas: service.maxReplicasPerNode }),
      },
      ...(service.logging
        ? {
            LogDriver: {
              ...(service.logging.driver ? { Name: service.logging.driver } : {}),
              ...(service.logging.options ? { Options: service.logging.options } : {}),
            },
          }
        : {}),
      Networks: ctx.networks,
    },
    Mode: service.mode === "global" ? { Global: {} } : { Replicated: { Replicas: service.replicas } },
    UpdateConfig: update,
    RollbackConfig: rollback,
    EndpointSpec: { Mode: endpointMode, Ports: ports },
  };
}

function containerSpec(
  s: ServiceModel,
  ctx: ServicePlanContext,
  ownLabels: Record<string, string>,
): SwarmContainerSpec {
  const spec: SwarmContainerSpec = {
    Image: s.image,
    Labels: sortRecord({ ...s.containerLabels, ...ownLabels }),
    Env: Object.entries(s.env)
      .map(([k, v]) => (v === null ? k : `${k}=${v}`))
      .sort(),
    Privileges: { CredentialSpec: null, SELinuxContext: null },
  };
  if (s.entrypoint) spec.Command = s.entrypoint;
  if (s.command) spec.Args = s.command;
  if (s.hostname !== undefined) spec.Hostname = s.hostname;
  if (s.workingDir !== undefined) spec.Dir = s.workingDir;
  if (s.user !== undefined) spec.User = s.user;
  if (s.groups) spec.Groups = s.groups;
  if (s.tty !== undefined) spec.TTY = s.tty;
  if (s.stdinOpen !== undefined) spec.OpenStdin = s.stdinOpen;
  if (s.readOnly !== undefined) spec.ReadOnly = s.readOnly;
  if (s.stopSignal !== undefined) spec.StopSignal = s.stopSignal;
  if (s.stopGracePeriod !== undefined) spec.StopGracePeriod = s.stopGracePeriod;
  if (s.init !== undefined) spec.Init = s.init;
  if (s.isolation !== undefined) spec.Isolation = s.isolation;
  if (s.sysctls) spec.Sysctls = s.sysctls;
  if (s.capabilityAdd?.length) spec.CapabilityAdd = s.capabilityAdd;
  if (s.capabilityDrop?.length) spec.CapabilityDrop = s.capabilityDrop;
  if (s.ulimits) {
    spec.Ulimits = Object.entries(s.ulimits)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([Name, l]) => ({ Name, Soft: l.soft, Hard: l.hard }));
  }
  if (s.healthcheck) {
    const h = "disable" in s.healthcheck ? s.healthcheck : resolveHealthcheck(s.healthcheck);
    spec.Healthcheck =
      "disable" in h
        ? { Test: ["NONE"] }
        : {
            ...(h.test ? { Test: h.test } : {}),
            ...(h.interval === undefined ? {} : { Interval: h.interval }),
            ...(h.timeout === undefined ? {} : { Timeout: h.timeout }),
            ...(h.retries === undefined ? {} : { Retries: h.retries }),
            ...(h.startPeriod === undefined ? {} : { StartPeriod: h.startPeriod }),
          };
  }
  if (s.dns) {
    spec.DNSConfig = {
      ...(s.dns.nameservers ? { Nameservers: s.dns.nameservers } : {}),
      ...(s.dns.search ? { Search: s.dns.search } : {}),
      ...(s.dns.options ? { Options: s.dns.options } : {}),
    };
  }
  if (s.extraHosts) spec.Hosts = s.extraHosts.map(swapHost);
  if (s.mounts?.length) spec.Mounts = planMounts(s, ctx.volumes ?? {});
  if (s.secrets?.length) {
    spec.Secrets = bySource(s.secrets).map((r) => ({
      File: { Name: r.target, UID: r.uid, GID: r.gid, Mode: r.mode },
      SecretName: ctx.secretNames?.[r.source] ?? r.source,
    }));
  }
  if (s.configs?.length) {
    spec.Configs = bySource(s.configs).map((r) => ({
      File: { Name: r.target, UID: r.uid, GID: r.gid, Mode: r.mode },
      ConfigName: ctx.configNames?.[r.source] ?? r.source,
    }));
  }
  return spec;
}

/** docker sorts references by the object's name, which starts with the stack's key. */
function bySource<T extends { source: string }>(refs: T[]): T[] {
  return [...refs].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

/** Compose writes `host:ip` (or `host=ip`); Swarm wants `ip host`, like /etc/hosts. */
function swapHost(entry: string): string {
  const sep = entry.search(/[:=]/);
  return sep < 0 ? entry : `${entry.slice(sep + 1)} ${entry.slice(0, sep)}`;
}

function planPorts(s: ServiceModel, ctx: ServicePlanContext): SwarmPort[] {
  const ports = s.ports.map((p, i): SwarmPort => {
    const published = ctx.hostPorts[i];
    const asked = p.mode ?? (ctx.routingMesh ? "ingress" : "host");
    return {
      Protocol: p.protocol,
      TargetPort: p.target,
      ...(published === undefined ? {} : { PublishedPort: published }),
      // Without a routing mesh an ingress port carries no traffic, so Berth publishes on the host.
      PublishMode: ctx.routingMesh ? asked : "host",
    };
  });
  // docker sorts by published port; equal ones keep their order.
  return ports
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.PublishedPort ?? 0) - (b.p.PublishedPort ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

/**
 * An update (or rollback) policy as given (a compose update_config as docker converts it:
 * parallelism 1 unless given), over Berth's defaults when it asks for them.
 */
function updateConfig(
  u: UpdateModel,
  order: "start-first" | "stop-first",
  monitor: number,
): SwarmUpdateConfig {
  return {
    ...(u.defaults === "berth" ? defaultUpdateConfig(order, monitor) : {}),
    Parallelism: u.parallelism ?? 1,
    ...(u.delay === undefined ? {} : { Delay: u.delay }),
    ...(u.failureAction === undefined ? {} : { FailureAction: u.failureAction }),
    ...(u.monitor === undefined ? {} : { Monitor: u.monitor }),
    ...(u.maxFailureRatio === undefined ? {} : { MaxFailureRatio: u.maxFailureRatio }),
    ...(u.order === undefined ? {} : { Order: u.order }),
  };
}

/** The live spec's ForceUpdate counter (0 when unset): how often the service was restarted. */
export function forceUpdateOf(live: unknown): number {
  const n = (live as { TaskTemplate?: { ForceUpdate?: unknown } } | undefined)?.TaskTemplate?.ForceUpdate;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 0;
}

/**
 * The planned spec with the live service's ForceUpdate counter, as `docker stack deploy` keeps it:
 * the counter is part of the task template, so a spec without it after a restart would replace every
 * task on an update that changes nothing else (a scale), and would read as a change to repair.
 */
export function keepForceUpdate(spec: SwarmServiceSpec, live: unknown): SwarmServiceSpec {
  const n = forceUpdateOf(live);
  return n === 0 ? spec : { ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: n } };
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
  if (want === null) return have === undefined || have === null;
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return false;
    return want.every((w, i) => covers(w, have[i]));
  }
  if (typeof want === "object") {
    if (have === null || typeof have !== "object" || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    const w = want as Record<string, unknown>;
    if (exactKeys && Object.keys(h).length !== Object.keys(w).length) return false;
    return Object.entries(w).every(([k, v]) => covers(v, h[k], k === "Labels"));
  }
  return want === have;
}

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === 0 || v === false || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.values(v).every(isZero);
  return false;
}
