import { LABEL, ownerLabels, sortRecord } from "../domain/labels.js";
import { orgNetworkName } from "../domain/names.js";
import type { SwarmNetworkSpec } from "./swarm-types.js";

/**
 * The organization's own attachable overlay network, on `subnet` when given, labelled with the
 * installation that creates it.
 */
export function planOrgNetwork(
  org: string,
  opts: { name?: string; instance?: string; encrypted?: boolean; subnet?: string } = {},
): SwarmNetworkSpec {
  return {
    Name: opts.name ?? orgNetworkName(org),
    Driver: "overlay",
    Attachable: true,
    CheckDuplicate: true,
    Labels: sortRecord({
      ...ownerLabels({ org }),
      ...(opts.instance ? { [LABEL.instance]: opts.instance } : {}),
    }),
    ...(opts.encrypted ? { Options: { encrypted: "true" } } : {}),
    ...(opts.subnet ? { IPAM: { Driver: "default", Config: [{ Subnet: opts.subnet }] } } : {}),
  };
}
