// Berth's own image registry as a system stack, for builds on a multi-node swarm: the node that
// builds pushes there, and every node pulls the same digest from there.
//
// Where it runs and who reaches it:
// - One replica pinned to one node (a node label the platform admin picked, by default the node Berth
//   runs on), its data on the stack's `data` volume (a local volume lives on one node).
// - A host-mode port on that node: each node's engine pulls from `<that node's address>:<port>`
//   (or `BERTH_REGISTRY_ADDRESS`, e.g. a name with a TLS terminator in front). Engines speak plain
//   HTTP only to registries they are told are insecure (dockerd `--insecure-registry`, or a
//   loopback address): a real cluster either lists the address there or puts TLS in front.
// - It joins no tenant network: no tenant service resolves it by name. The host port is outside the
//   tenant host-port range.
import type { StackModel } from "../domain/stack.js";
import { REGISTRY_SERVICE, REGISTRY_STACK, SYSTEM_LABEL, SYSTEM_ORG } from "../domain/system.js";
import type { ObservedNode } from "./observed.js";
import type { PolicyRelaxations } from "./policy.js";
import { postgresPolicy } from "./postgres-stack.js";

/** The registry's port inside its container (distribution's default). */
export const REGISTRY_PORT = 5000;
/** The volume's mount point: the registry's storage root. */
export const REGISTRY_DATA_DIR = "/var/lib/registry";

export interface RegistryStackSettings {
  image: string;
  /** Host port (host mode) on the registry's node. */
  hostPort: number;
  /** `node.labels.<key>==<value>` or `node.id==<id>`: where the registry (and its volume) lives. */
  placement: string;
}

const SECOND = 1_000_000_000;

/** What the registry's stack may do that a tenant's may not: its port, and placement on a given node. */
export function registryPolicy(placement: string): PolicyRelaxations {
  return postgresPolicy(placement);
}

export function planRegistryStack(s: RegistryStackSettings): StackModel {
  return {
    org: SYSTEM_ORG,
    name: REGISTRY_STACK,
    services: [
      {
        name: REGISTRY_SERVICE,
        image: s.image,
        // Both Debian's docker-registry and the registry:2 image read these over their config file.
        env: {
          REGISTRY_HTTP_ADDR: `0.0.0.0:${REGISTRY_PORT}`,
          REGISTRY_STORAGE_DELETE_ENABLED: "true",
          REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: REGISTRY_DATA_DIR,
        },
        ports: [{ target: REGISTRY_PORT, published: s.hostPort, protocol: "tcp", mode: "host" }],
        replicas: 1,
        resources: { cpus: 1, memoryBytes: 512 * 1024 * 1024 },
        labels: { [SYSTEM_LABEL]: "true" },
        mounts: [{ type: "volume", source: "data", target: REGISTRY_DATA_DIR }],
        placement: { constraints: [s.placement] },
        // Stop-first: two registries must never write one storage root.
        update: { order: "stop-first", failureAction: "pause" },
        stopGracePeriod: 10 * SECOND,
      },
    ],
    volumes: { data: {} },
  };
}

/** Whether a build goes through the registry: `auto` when the swarm has more than one node. */
export function useRegistry(mode: "auto" | "on" | "off", nodes: Pick<ObservedNode, "id">[]): boolean {
  return mode === "on" || (mode === "auto" && nodes.length > 1);
}

/** Where the registry runs: the admin's node label (`key` or `key=value`), else Berth's own node. */
export function registryPlacement(o: { nodeLabel?: string | undefined; nodeId: string }): string {
  if (!o.nodeLabel) return `node.id==${o.nodeId}`;
  const [k, v] = o.nodeLabel.split("=");
  return `node.labels.${k}==${v ?? "true"}`;
}

/**
 * The `host:port` every node pulls from: the configured address, else the address of the one node
 * the placement allows. A problem (as text) when that node is not one: the admin must set the address.
 */
export function registryAddress(o: {
  configured?: string | undefined;
  hostPort: number;
  placement: string;
  nodes: Pick<ObservedNode, "id" | "address" | "labels" | "status">[];
}): { address: string } | { problem: string } {
  if (o.configured) return { address: o.configured };
  const byId = /^node\.id==(.+)$/.exec(o.placement);
  const byLabel = /^node\.labels\.([^=]+)==(.*)$/.exec(o.placement);
  const matching = o.nodes.filter((n) =>
    byId ? n.id === byId[1] : byLabel ? n.labels[byLabel[1]!] === byLabel[2] : false,
  );
  if (matching.length !== 1) {
    return {
      problem: `${matching.length} nodes match the registry's placement ${o.placement}: set BERTH_REGISTRY_ADDRESS or label exactly one node`,
    };
  }
  const addr = matching[0]!.address;
  // A manager may report 0.0.0.0 as its address (it listens on all): nothing another node can use.
  if (!addr || addr === "0.0.0.0") {
    return { problem: `the registry's node reports no address: set BERTH_REGISTRY_ADDRESS` };
  }
  const host = addr.includes(":") ? `[${addr}]` : addr;
  return { address: `${host}:${o.hostPort}` };
}

/** The repository and tag a build gets in the registry: `<registry>/<org>/<stack>-<service>:<stamp>`. */
export function registryTag(address: string, localTag: string): string {
  return `${address}/${localTag}`;
}

/** `repo@sha256:...` from a tag (`repo:stamp`) and the digest its push reported. */
export function digestRef(tag: string, digest: string): string {
  const colon = tag.lastIndexOf(":");
  const repo = colon > tag.lastIndexOf("/") ? tag.slice(0, colon) : tag;
  return `${repo}@${digest}`;
}

/** A digest reference taken apart for the registry's API: `DELETE /v2/<name>/manifests/<digest>`. */
export function parseDigestRef(ref: string): { address: string; name: string; digest: string } | undefined {
  const m = /^([^/]+)\/(.+)@(sha256:[0-9a-f]{64})$/.exec(ref);
  return m ? { address: m[1]!, name: m[2]!, digest: m[3]! } : undefined;
}
