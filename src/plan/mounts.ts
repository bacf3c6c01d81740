// Compose mounts -> Swarm mounts, as `docker stack deploy` converts them: a stack volume becomes
// `<namespace>_<key>` with the stack's labels and driver; an external volume keeps its name.
import type { ServiceModel } from "../domain/stack.js";
import type { SwarmMount } from "./swarm-types.js";

/** What a mount's `source` refers to, by its key in the stack's `volumes:`. */
export type VolumeTargets = Record<
  string,
  | { external: string }
  | { name: string; labels: Record<string, string>; driver?: string; driverOpts?: Record<string, string> }
>;

export function planMounts(service: ServiceModel, volumes: VolumeTargets): SwarmMount[] {
  return (service.mounts ?? []).map((m): SwarmMount => {
    const readOnly = m.readOnly ? { ReadOnly: true } : {};
    if (m.type === "tmpfs") {
      const opts = {
        ...(m.sizeBytes === undefined ? {} : { SizeBytes: m.sizeBytes }),
        ...(m.mode === undefined ? {} : { Mode: m.mode }),
      };
      return {
        Type: "tmpfs",
        Target: m.target,
        ...readOnly,
        ...(Object.keys(opts).length ? { TmpfsOptions: opts } : {}),
      };
    }
    if (m.type === "bind") {
      return {
        Type: "bind",
        Source: m.source,
        Target: m.target,
        ...readOnly,
        ...(m.propagation ? { BindOptions: { Propagation: m.propagation } } : {}),
      };
    }
    const noCopy = m.noCopy ? { NoCopy: true } : {};
    if (m.source === undefined) {
      return {
        Type: "volume",
        Target: m.target,
        ...readOnly,
        ...(m.noCopy ? { VolumeOptions: noCopy } : {}),
      };
    }
    const v = volumes[m.source];
    if (!v || "external" in v) {
      const source = v ? v.external : m.source;
      return {
        Type: "volume",
        Source: source,
        Target: m.target,
        ...readOnly,
        ...(m.noCopy ? { VolumeOptions: noCopy } : {}),
      };
    }
    return {
      Type: "volume",
      Source: v.name,
      Target: m.target,
      ...readOnly,
      VolumeOptions: {
        ...noCopy,
        Labels: v.labels,
        ...(v.driver || v.driverOpts
          ? {
              DriverConfig: {
                ...(v.driver ? { Name: v.driver } : {}),
                ...(v.driverOpts ? { Options: v.driverOpts } : {}),
              },
            }
          : {}),
      },
    };
  });
}
