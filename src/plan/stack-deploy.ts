// Plans a stack deployment: for every service, the spec it should have and whether that means
// creating it, updating it, or leaving it alone. Pure; all input is observed beforehand.
import { ConfigError, Conflict } from "../domain/errors.js";
import { LABEL, ownershipProblem } from "../domain/labels.js";
import { scopedName } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import { type ClusterFacts, refuseInfeasible, serviceProblems } from "./feasibility.js";
import { hostPortKey, type PortRange, pickHostPort } from "./host-ports.js";
import type { ObservedService } from "./observed.js";
import { keepForceUpdate, planServiceSpec, specNeedsUpdate, updateReplacesTasks } from "./service-spec.js";
import { planStackObjects, type StackObjects } from "./stack-objects.js";
import type { SwarmServiceSpec } from "./swarm-types.js";

export interface StackObservation {
  /** Live services of this stack by Swarm name, with their stored spec. */
  live: ReadonlyMap<string, { observed: ObservedService; spec: unknown }>;
  /** Host ports published anywhere on the cluster, as `hostPortKey`s (`30000/tcp`). */
  usedHostPorts: ReadonlySet<string>;
  /** Networks, volumes, secrets and configs that exist under the names this stack plans, whoever owns them. */
  objects?: readonly ExistingObject[];
  /**
   * The nodes and images, when observed: services the plan creates or changes must be able to
   * converge on them, or the plan is refused (feasibility.ts). Unset: not checked (render, benches).
   */
  cluster?: ClusterFacts;
}

export interface ExistingObject {
  kind: "network" | "volume" | "secret" | "config";
  name: string;
  labels: Record<string, string>;
}

export interface StackPlanContext {
  deploymentId: string;
  instance: string;
  /** The stack's namespace on Swarm (domain/names.ts). */
  namespace: string;
  /** The organization network's id when it exists (the Engine stores ids), else its name. */
  network: string;
  /** Ids of the stack's networks that exist, by name. */
  networkIds?: ReadonlyMap<string, string>;
  routingMesh: boolean;
  hostPortRange: PortRange;
  /** The update monitor (ns) of services that give none. */
  updateMonitor: number;
}

export type ServiceStep =
  | { action: "create"; service: string; spec: SwarmServiceSpec; hostPorts: (number | undefined)[] }
  | {
      action: "update";
      service: string;
      spec: SwarmServiceSpec;
      hostPorts: (number | undefined)[];
      id: string;
      version: number;
      /** False when only settings changed and the running tasks stay. */
      replacesTasks: boolean;
    }
  | {
      action: "none";
      service: string;
      spec: SwarmServiceSpec;
      hostPorts: (number | undefined)[];
      id: string;
    };

export interface StackPlan {
  objects: StackObjects;
  steps: ServiceStep[];
}

export function planStackDeploy(model: StackModel, seen: StackObservation, ctx: StackPlanContext): StackPlan {
  const objects = planStackObjects(model, {
    instance: ctx.instance,
    namespace: ctx.namespace,
    orgNetwork: ctx.network,
    ...(ctx.networkIds ? { networkIds: ctx.networkIds } : {}),
  });
  refuseForeignObjects(model, objects, seen, ctx);
  const used = new Set(seen.usedHostPorts);
  const steps = model.services.map((service): ServiceStep => {
    const name = scopedName(ctx.namespace, service.name);
    const live = seen.live.get(name);
    const owner = { instance: ctx.instance, org: model.org, stack: model.name, service: service.name };
    if (live && ownershipProblem(live.observed.labels, owner)) {
      throw new Conflict(
        `services.${service.name}: a service named '${name}' already exists on the swarm and is not this stack's; choose another stack name`,
      );
    }
    const own = new Set(live?.observed.hostPorts ?? []);
    const hostPorts = service.ports.map((port, i) => {
      const path = `services.${service.name}.ports.${i}`;
      const key = port.published === undefined ? undefined : hostPortKey(port.published, port.protocol);
      if (key && used.has(key) && !own.has(key)) {
        throw new ConfigError(
          `${path}.published`,
          `host port ${key} is already published by another service`,
        );
      }
      // A compose port publishes exactly what the file says (nothing: Swarm picks).
      if (port.mode !== undefined) {
        if (key) used.add(key);
        return port.published;
      }
      const current = live?.observed.publishedPorts[i];
      const picked = pickHostPort({
        ...(port.published === undefined ? {} : { requested: port.published }),
        ...(current === undefined ? {} : { current }),
        protocol: port.protocol,
        used,
        range: ctx.hostPortRange,
      });
      if (picked === undefined) {
        throw new ConfigError(
          path,
          `no free host port left in the allowed range ${ctx.hostPortRange.from}-${ctx.hostPortRange.to}`,
        );
      }
      used.add(hostPortKey(picked, port.protocol));
      return picked;
    });
    const planned = planServiceSpec(service, {
      org: model.org,
      stack: model.name,
      namespace: ctx.namespace,
      deploymentId: ctx.deploymentId,
      instance: ctx.instance,
      networks: objects.serviceNetworks[service.name] ?? [{ Target: ctx.network }],
      routingMesh: ctx.routingMesh,
      updateMonitor: ctx.updateMonitor,
      hostPorts,
      secretNames: objects.secretNames,
      configNames: objects.configNames,
      volumes: objects.volumes,
    });
    if (!live) return { action: "create", service: service.name, spec: planned, hostPorts };
    // A restart (ForceUpdate) is not a change to undo, nor a reason to replace tasks again.
    const spec = keepForceUpdate(planned, live.spec);
    const { id, version } = live.observed;
    if (specNeedsUpdate(spec, live.spec)) {
      const replacesTasks = updateReplacesTasks(spec, live.spec);
      return { action: "update", service: service.name, spec, hostPorts, id, version, replacesTasks };
    }
    return { action: "none", service: service.name, spec, hostPorts, id };
  });
  // What is left as it is cannot get worse by this deployment; what it creates or changes must converge.
  const { cluster } = seen;
  if (cluster) {
    refuseInfeasible(
      steps.flatMap((s) => (s.action === "none" ? [] : serviceProblems(s.service, s.spec, cluster))),
    );
  }
  return { objects, steps };
}

/**
 * A network, volume, secret or config the stack would create or use under its own name, but whose
 * labels say it is not this stack's (another tenant's, another installation's, or not Berth's):
 * the plan is refused rather than joining, mounting or removing it.
 */
function refuseForeignObjects(
  model: StackModel,
  objects: StackObjects,
  seen: StackObservation,
  ctx: StackPlanContext,
): void {
  const planned = new Set([
    ...objects.networks.map((n) => `network/${n.Name}`),
    ...objects.secrets.map((f) => `secret/${f.Name}`),
    ...objects.configs.map((f) => `config/${f.Name}`),
    ...Object.values(objects.volumes).flatMap((v) => ("name" in v ? [`volume/${v.name}`] : [])),
  ]);
  const owner = { instance: ctx.instance, org: model.org, stack: model.name };
  for (const o of seen.objects ?? []) {
    if (planned.has(`${o.kind}/${o.name}`) && ownershipProblem(o.labels, owner)) {
      throw new Conflict(
        `a ${o.kind} named '${o.name}' already exists on the swarm and is not this stack's; choose another stack name`,
      );
    }
  }
}

/**
 * The stack's live services (found by its labels) that the model no longer has: a deployment removes
 * them, a diff shows them as removed. Decided by the service label, never by the Swarm name.
 */
export function removedServices<T extends { labels: Record<string, string> }>(
  model: StackModel,
  owned: T[],
): T[] {
  const keep = new Set(model.services.map((s) => s.name));
  return owned.filter((s) => !keep.has(s.labels[LABEL.service] ?? ""));
}
