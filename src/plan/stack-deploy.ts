// Plans a stack deployment: for every service, the spec it should have and whether that means
// creating it, updating it, or leaving it alone. Pure; all input is observed beforehand.
import { ConfigError } from "../domain/errors.js";
import { swarmServiceName } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import { type PortRange, pickHostPort } from "./host-ports.js";
import type { ObservedService } from "./observed.js";
import { planServiceSpec, specNeedsUpdate, updateReplacesTasks } from "./service-spec.js";
import { planStackObjects, type StackObjects } from "./stack-objects.js";
import type { SwarmServiceSpec } from "./swarm-types.js";

export interface StackObservation {
  /** Live services of this stack by Swarm name, with their stored spec. */
  live: ReadonlyMap<string, { observed: ObservedService; spec: unknown }>;
  /** Host ports published anywhere on the cluster. */
  usedHostPorts: ReadonlySet<number>;
}

export interface StackPlanContext {
  deploymentId: string;
  instance: string;
  /** The organization network's id when it exists (the Engine stores ids), else its name. */
  network: string;
  /** Ids of the stack's networks that exist, by name. */
  networkIds?: ReadonlyMap<string, string>;
  routingMesh: boolean;
  hostPortRange: PortRange;
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
    orgNetwork: ctx.network,
    ...(ctx.networkIds ? { networkIds: ctx.networkIds } : {}),
  });
  const used = new Set(seen.usedHostPorts);
  const steps = model.services.map((service): ServiceStep => {
    const name = swarmServiceName(model.org, model.name, service.name);
    const live = seen.live.get(name);
    const own = new Set(live?.observed.publishedPorts ?? []);
    const hostPorts = service.ports.map((port, i) => {
      const path = `services.${service.name}.ports.${i}`;
      if (port.published !== undefined && used.has(port.published) && !own.has(port.published)) {
        throw new ConfigError(
          `${path}.published`,
          `host port ${port.published} is already published by another service`,
        );
      }
      // A compose port publishes exactly what the file says (nothing: Swarm picks).
      if (port.mode !== undefined) {
        if (port.published !== undefined) used.add(port.published);
        return port.published;
      }
      const current = live?.observed.publishedPorts[i];
      const picked = pickHostPort({
        ...(port.published === undefined ? {} : { requested: port.published }),
        ...(current === undefined ? {} : { current }),
        used,
        range: ctx.hostPortRange,
      });
      if (picked === undefined) {
        throw new ConfigError(
          path,
          `no free host port left in the allowed range ${ctx.hostPortRange.from}-${ctx.hostPortRange.to}`,
        );
      }
      used.add(picked);
      return picked;
    });
    const spec = planServiceSpec(service, {
      org: model.org,
      stack: model.name,
      deploymentId: ctx.deploymentId,
      instance: ctx.instance,
      networks: objects.serviceNetworks[service.name] ?? [{ Target: ctx.network }],
      routingMesh: ctx.routingMesh,
      hostPorts,
      secretNames: objects.secretNames,
      configNames: objects.configNames,
      volumes: objects.volumes,
    });
    if (!live) return { action: "create", service: service.name, spec, hostPorts };
    const { id, version } = live.observed;
    if (specNeedsUpdate(spec, live.spec)) {
      const replacesTasks = updateReplacesTasks(spec, live.spec);
      return { action: "update", service: service.name, spec, hostPorts, id, version, replacesTasks };
    }
    return { action: "none", service: service.name, spec, hostPorts, id };
  });
  return { objects, steps };
}
