// The objects a stack owns besides its services, as `docker stack deploy` names and labels them,
// scoped by the stack's namespace (`<org>_<stack>`): networks, volumes (created by the Engine on first
// mount, from the labels and driver in the mount), secrets and configs. Secrets and configs cannot
// change in Swarm, so their names end in a digest of their content: new content, new object.
import { DOCKER_STACK_LABEL, LABEL, ownerLabels, sortRecord } from "../domain/labels.js";
import { scopedName } from "../domain/names.js";
import type { ServiceModel, StackFileModel, StackModel } from "../domain/stack.js";
import type { VolumeTargets } from "./mounts.js";
import type { SwarmFileSpec, SwarmNetworkSpec } from "./swarm-types.js";

/** The key of the network compose gives services that name none. */
export const DEFAULT_NETWORK = "default";

export interface StackObjectsContext {
  instance: string;
  /** The stack's namespace on Swarm (domain/names.ts): objects are `<namespace>_<key>`. */
  namespace: string;
  /** The organization's network (its id when it exists) */
  orgNetwork: string;
  /** Ids of networks that exist, by name, so that specs compare with what the Engine stores. */
  networkIds?: ReadonlyMap<string, string>;
}

export interface StackObjects {
  /** Networks to create (external ones are not). */
  networks: SwarmNetworkSpec[];
  secrets: SwarmFileSpec[];
  configs: SwarmFileSpec[];
  secretNames: Record<string, string>;
  configNames: Record<string, string>;
  volumes: VolumeTargets;
  /** Networks each service joins, by service name. */
  serviceNetworks: Record<string, { Target: string; Aliases?: string[] }[]>;
}

export function planStackObjects(model: StackModel, ctx: StackObjectsContext): StackObjects {
  const ns = { [DOCKER_STACK_LABEL.namespace]: ctx.namespace };
  const owned = (labels?: Record<string, string>) =>
    sortRecord({
      ...labels,
      ...ns,
      ...ownerLabels({ org: model.org, stack: model.name }),
      [LABEL.instance]: ctx.instance,
    });
  const scoped = (key: string) => scopedName(ctx.namespace, key);

  const networkDefs = { ...model.networks };
  const compose = model.networks !== undefined;
  const wantsDefault = (s: ServiceModel) => !s.networks || s.networks.some((n) => n.name === DEFAULT_NETWORK);
  if (compose && model.services.some(wantsDefault) && !networkDefs[DEFAULT_NETWORK]) {
    networkDefs[DEFAULT_NETWORK] = {};
  }
  // Like docker, only networks some service joins are created.
  const used = new Set(
    model.services.flatMap((s) => (s.networks ?? [{ name: DEFAULT_NETWORK }]).map((n) => n.name)),
  );
  const networks: SwarmNetworkSpec[] = Object.entries(networkDefs)
    .filter(([key, n]) => !n.external && used.has(key))
    .map(([key, n]) => ({
      Name: scoped(key),
      Driver: n.driver ?? "overlay",
      Attachable: n.attachable ?? false,
      ...(n.internal ? { Internal: true } : {}),
      CheckDuplicate: true,
      Labels: owned(n.labels),
      ...(n.driverOpts ? { Options: n.driverOpts } : {}),
      ...(n.ipam
        ? {
            IPAM: {
              Driver: n.ipam.driver ?? "default",
              Config: n.ipam.config.map((c) => ({
                ...(c.subnet ? { Subnet: c.subnet } : {}),
                ...(c.gateway ? { Gateway: c.gateway } : {}),
                ...(c.ipRange ? { IPRange: c.ipRange } : {}),
              })),
            },
          }
        : {}),
    }));

  const networkName = (key: string) => networkDefs[key]?.external ?? scoped(key);
  const serviceNetworks: StackObjects["serviceNetworks"] = {};
  for (const s of model.services) serviceNetworks[s.name] = joinedNetworks(s, compose, networkName, ctx);

  const volumes: VolumeTargets = {};
  for (const [key, v] of Object.entries(model.volumes ?? {})) {
    volumes[key] = v.external
      ? { external: v.external }
      : {
          name: scoped(key),
          labels: owned(v.labels),
          ...(v.driver ? { driver: v.driver } : {}),
          ...(v.driverOpts ? { driverOpts: v.driverOpts } : {}),
        };
  }

  const files = (defs: Record<string, StackFileModel> | undefined) => {
    const names: Record<string, string> = {};
    const specs: SwarmFileSpec[] = [];
    for (const [key, f] of Object.entries(defs ?? {})) {
      if (f.external) {
        names[key] = f.external;
        continue;
      }
      const name = `${scoped(key)}-${f.digest}`;
      names[key] = name;
      specs.push({
        Name: name,
        Labels: owned(f.labels),
        Data: f.data ?? "",
        ...(f.templateDriver ? { Templating: { Name: f.templateDriver } } : {}),
      });
    }
    return { names, specs };
  };
  const secrets = files(model.secrets);
  const configs = files(model.configs);
  return {
    networks,
    secrets: secrets.specs,
    configs: configs.specs,
    secretNames: secrets.names,
    configNames: configs.names,
    volumes,
    serviceNetworks,
  };
}

/**
 * A service's networks as docker attaches them (each with the service's name as an alias, sorted by
 * name), plus the organization's network. Targets are ids where the network exists.
 */
function joinedNetworks(
  s: ServiceModel,
  compose: boolean,
  networkName: (key: string) => string,
  ctx: StackObjectsContext,
): { Target: string; Aliases?: string[] }[] {
  const refs = compose ? (s.networks ?? [{ name: DEFAULT_NETWORK, aliases: [] }]) : [];
  const byName = refs.map((r) => ({ name: networkName(r.name), Aliases: [...r.aliases, s.name] }));
  byName.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const joined = byName.map((n) => ({ Target: ctx.networkIds?.get(n.name) ?? n.name, Aliases: n.Aliases }));
  return [{ Target: ctx.orgNetwork }, ...joined];
}
