// Plans a stack deployment: for every service, the spec it should have and whether that means
// creating it, updating it, or leaving it alone. Pure; all input is observed beforehand.
import { ConfigError } from "../domain/errors.js";
import { swarmServiceName } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import { type PortRange, pickHostPort } from "./host-ports.js";
import type { ObservedService } from "./observed.js";
import { planServiceSpec, specNeedsUpdate, updateReplacesTasks } from "./service-spec.js";
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
  routingMesh: boolean;
  hostPortRange: PortRange;
}

export type ServiceStep =
  | { action: "create"; service: string; spec: SwarmServiceSpec }
  | {
      action: "update";
      service: string;
      spec: SwarmServiceSpec;
      id: string;
      version: number;
      /** False when only settings changed and the running tasks stay. */
      replacesTasks: boolean;
    }
  | { action: "none"; service: string; spec: SwarmServiceSpec; id: string };

export function planStackDeploy(
  model: StackModel,
  seen: StackObservation,
  ctx: StackPlanContext,
): ServiceStep[] {
  const used = new Set(seen.usedHostPorts);
  return model.services.map((service) => {
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
      networks: [ctx.network],
      routingMesh: ctx.routingMesh,
      hostPorts,
    });
    if (!live) return { action: "create", service: service.name, spec };
    const { id, version } = live.observed;
    if (specNeedsUpdate(spec, live.spec)) {
      const replacesTasks = updateReplacesTasks(spec, live.spec);
      return { action: "update", service: service.name, spec, id, version, replacesTasks };
    }
    return { action: "none", service: service.name, spec, id };
  });
}
