// The tenant workload policy (SPEC "Rules for tenant workloads"), as a pure check of a stack model:
// no privileged mode, added capabilities, host namespaces, devices or security options; no bind
// mounts of host paths, and never the engine's socket, a directory above it, the host's root or /proc
// (host-paths.ts); placement only on the node labels an admin allows; published ports only inside the
// allowed range; limits always set. A platform admin may lift some rules for one organization.
import { posix } from "node:path";
import type { StackModel } from "../domain/stack.js";
import { hostPathProblem, type ProtectedPath } from "./host-paths.js";
import type { PortRange } from "./host-ports.js";

/** Rules of the policy a platform admin lifted for one organization. */
export interface PolicyRelaxations {
  /** Node labels (`node.labels.<key>`) placement constraints may use. */
  placementLabels?: string[];
  bindMounts?: boolean;
  hostPortsAnywhere?: boolean;
  /** Capabilities its services may add (`cap_add`), by name without `CAP_`; never `ALL`. */
  capabilities?: string[];
  /** Placement on a given node (`node.id==...`): system stacks only (their admin socket is on Berth's node). */
  nodeIds?: boolean;
  /** Exact host paths bound although protected: system stacks only (the proxy's socket directory). */
  hostPaths?: string[];
}

export interface Violation {
  path: string;
  rule: string;
}

/** A capability as the policy names it: upper case, without the `CAP_` prefix Docker also accepts. */
export function capabilityName(c: string): string {
  return c.toUpperCase().replace(/^CAP_/, "");
}

/** Constraint attributes any organization may use: they select kinds of nodes, not given nodes. */
const OPEN_ATTRIBUTES = ["node.role", "node.platform.os", "node.platform.arch"];

/**
 * Every rule `model` breaks. `protect`: host directories no bind mount may reach besides the host's
 * own (Berth's data directory).
 */
export function checkPolicy(
  model: StackModel,
  relax: PolicyRelaxations,
  range: PortRange,
  protect: ProtectedPath[] = [],
): Violation[] {
  const out: Violation[] = [];
  for (const s of model.services) {
    const at = (k: string) => `services.${s.name}.${k}`;
    const h = s.hostAccess ?? {};
    if (h.privileged) out.push({ path: at("privileged"), rule: "privileged mode is not allowed" });
    const caps = (h.capAdd ?? []).filter((c) => !(relax.capabilities ?? []).includes(capabilityName(c)));
    if (caps.length) {
      const allowed = relax.capabilities?.length ? `; allowed: ${relax.capabilities.join(", ")}` : "";
      out.push({
        path: at("cap_add"),
        rule: `added capabilities are not allowed (${caps.join(", ")})${allowed}`,
      });
    }
    if (h.devices?.length) out.push({ path: at("devices"), rule: "host devices are not allowed" });
    for (const ns of h.hostNamespaces ?? [])
      out.push({ path: at(ns), rule: "the host's namespaces are not allowed" });
    if (h.securityOpt?.length)
      out.push({ path: at("security_opt"), rule: "security options are not allowed" });
    (s.mounts ?? []).forEach((m, i) => {
      if (m.type !== "bind") return;
      const rule = bindRule(
        m.source,
        relax,
        `bind mounts of host paths are not allowed (${m.source}); use a named volume`,
        protect,
      );
      if (rule) out.push({ path: at(`volumes.${i}`), rule });
    });
    for (const c of s.placement?.constraints ?? []) {
      const attr = c.split(/==|!=/)[0]!.trim();
      const label = /^node\.labels\.(.+)$/.exec(attr)?.[1];
      const allowed =
        OPEN_ATTRIBUTES.includes(attr) ||
        (attr === "node.id" && relax.nodeIds === true) ||
        (label !== undefined && (relax.placementLabels ?? []).includes(label));
      if (!allowed) {
        out.push({
          path: at("deploy.placement.constraints"),
          rule: `'${c}' is not allowed: constraints may use ${[...OPEN_ATTRIBUTES, ...(relax.placementLabels ?? []).map((l) => `node.labels.${l}`)].join(", ")}`,
        });
      }
    }
    s.ports.forEach((p, i) => {
      if (p.published === undefined || relax.hostPortsAnywhere) return;
      if (p.published < range.from || p.published > range.to) {
        out.push({
          path: at(`ports.${i}`),
          rule: `host port ${p.published} is outside the allowed range ${range.from}-${range.to}`,
        });
      }
    });
    if (!(s.resources.memoryBytes > 0))
      out.push({ path: at("deploy.resources.limits.memory"), rule: "a memory limit is required" });
    if (!(s.resources.cpus > 0))
      out.push({ path: at("deploy.resources.limits.cpus"), rule: "a CPU limit is required" });
  }
  for (const [key, v] of Object.entries(model.volumes ?? {})) {
    const o = v.driverOpts ?? {};
    const bindLike = /(^|,)bind(,|$)/.test(o.o ?? "") || (o.device ?? "").startsWith("/");
    if (!bindLike) continue;
    // The local driver mounts `device` like a bind mount: the same rules.
    const rule = bindRule(o.device ?? "", relax, "a volume bound to a host path is not allowed", protect);
    if (rule) out.push({ path: `volumes.${key}.driver_opts`, rule });
  }
  return out;
}

/**
 * The rule binding host path `source` breaks: a path never mounted (the root, /proc, the engine's
 * socket or a directory above it), else bind mounts not allowed here, else, once they are, a
 * relative path (it cannot be vetted).
 */
function bindRule(
  source: string,
  relax: PolicyRelaxations,
  notAllowed: string,
  protect: ProtectedPath[],
): string | undefined {
  const never = hostPathProblem(source, { protect, ...(relax.hostPaths ? { allow: relax.hostPaths } : {}) });
  if (never && posix.isAbsolute(source)) return never;
  if (!relax.bindMounts) return notAllowed;
  return never;
}
