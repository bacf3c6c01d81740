// The reconciler's decision: compare what the database wants (the last deployment of each stack that
// succeeded) with what Swarm runs, and say what drifted and what would repair it. Pure: callers
// observe beforehand and apply afterwards. Only services that carry this installation's labels are
// ever considered, so nothing else is touched.
import { LABEL } from "../domain/labels.js";
import { orgNetworkName, scopedName } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import type { ClusterFacts } from "./feasibility.js";
import type { PortRange } from "./host-ports.js";
import type { ObservedService } from "./observed.js";
import { planStackDeploy } from "./stack-deploy.js";
import type { SwarmServiceSpec } from "./swarm-types.js";

export interface DesiredStack {
  org: string;
  name: string;
  /** The stack's namespace on Swarm (domain/names.ts). */
  namespace: string;
  /** Status of the newest deployment; a stack with one in flight belongs to its job, not to us. */
  latestStatus: string;
  /** The newest deployment that succeeded, if any. */
  settled?: { deploymentId: string; model: StackModel };
}

export interface LiveServiceView {
  observed: ObservedService;
  spec: unknown;
}

export type DriftItem =
  | { kind: "missing"; org: string; stack: string; service: string }
  | { kind: "changed"; org: string; stack: string; service: string; fields: string[] }
  | { kind: "orphan"; org: string; stack: string; service: string; swarmName: string }
  | { kind: "blocked"; org: string; stack: string; reason: string };

export type RepairAction =
  | { type: "create"; spec: SwarmServiceSpec }
  | { type: "update"; id: string; version: number; spec: SwarmServiceSpec }
  | { type: "remove"; id: string; name: string };

export interface ReconcileContext {
  instance: string;
  /** Each organization's network (its id) by organization. */
  orgNetworks: ReadonlyMap<string, string>;
  networkIds: ReadonlyMap<string, string>;
  routingMesh: boolean;
  hostPortRange: PortRange;
  /** The update monitor (ns) of services that give none. */
  updateMonitor: number;
  /** `hostPortKey`s published anywhere on the cluster. */
  usedHostPorts: ReadonlySet<string>;
  /** Nodes and images: a service that could not converge on them is `blocked`, not recreated or changed. */
  cluster?: ClusterFacts;
}

export function planReconcile(
  desired: DesiredStack[],
  live: LiveServiceView[],
  ctx: ReconcileContext,
): { drift: DriftItem[]; actions: RepairAction[] } {
  const drift: DriftItem[] = [];
  const actions: RepairAction[] = [];
  const byName = new Map(live.map((l) => [l.observed.name, l]));
  const claimed = new Set<string>();

  for (const stack of [...desired].sort((a, b) => `${a.org}/${a.name}`.localeCompare(`${b.org}/${b.name}`))) {
    // Every name this stack could own is claimed, so an in-flight or failed stack's services are
    // never taken for orphans.
    for (const l of live) {
      if (l.observed.labels[LABEL.org] === stack.org && l.observed.labels[LABEL.stack] === stack.name) {
        if (stack.latestStatus === "pending" || stack.latestStatus === "running" || !stack.settled) {
          claimed.add(l.observed.name);
        }
      }
    }
    if (stack.latestStatus === "pending" || stack.latestStatus === "running" || !stack.settled) continue;
    const { model, deploymentId } = stack.settled;
    const names = model.services.map((s) => scopedName(stack.namespace, s.name));
    for (const n of names) claimed.add(n);
    let steps: ReturnType<typeof planStackDeploy>["steps"];
    try {
      ({ steps } = planStackDeploy(
        model,
        {
          live: new Map(names.flatMap((n) => (byName.has(n) ? [[n, byName.get(n)!] as const] : []))),
          usedHostPorts: ctx.usedHostPorts,
          ...(ctx.cluster ? { cluster: ctx.cluster } : {}),
        },
        {
          deploymentId,
          instance: ctx.instance,
          namespace: stack.namespace,
          network: ctx.orgNetworks.get(model.org) ?? orgNetworkName(model.org),
          routingMesh: ctx.routingMesh,
          hostPortRange: ctx.hostPortRange,
          updateMonitor: ctx.updateMonitor,
          networkIds: ctx.networkIds,
        },
      ));
    } catch (err) {
      drift.push({ kind: "blocked", org: model.org, stack: model.name, reason: (err as Error).message });
      continue;
    }
    for (const step of steps) {
      const where = { org: model.org, stack: model.name, service: step.service };
      if (step.action === "create") {
        drift.push({ kind: "missing", ...where });
        actions.push({ type: "create", spec: step.spec });
      } else if (step.action === "update") {
        drift.push({
          kind: "changed",
          ...where,
          fields: changedFields(step.spec, byName.get(step.spec.Name)!.spec),
        });
        actions.push({ type: "update", id: step.id, version: step.version, spec: step.spec });
      }
    }
  }

  for (const l of [...live].sort((a, b) => a.observed.name.localeCompare(b.observed.name))) {
    if (claimed.has(l.observed.name)) continue;
    if (l.observed.labels[LABEL.instance] !== ctx.instance) continue;
    drift.push({
      kind: "orphan",
      org: l.observed.labels[LABEL.org] ?? "",
      stack: l.observed.labels[LABEL.stack] ?? "",
      service: l.observed.labels[LABEL.service] ?? "",
      swarmName: l.observed.name,
    });
    actions.push({ type: "remove", id: l.observed.id, name: l.observed.name });
  }
  return { drift, actions };
}

type Spec = Partial<SwarmServiceSpec> | undefined;

const FIELDS: [string, (s: Spec) => unknown][] = [
  ["image", (s) => s?.TaskTemplate?.ContainerSpec?.Image],
  ["env", (s) => s?.TaskTemplate?.ContainerSpec?.Env ?? []],
  ["command", (s) => s?.TaskTemplate?.ContainerSpec?.Args ?? []],
  ["replicas", (s) => (s?.Mode && "Replicated" in s.Mode ? s.Mode.Replicated.Replicas : "global")],
  ["limits", (s) => s?.TaskTemplate?.Resources?.Limits],
  [
    "ports",
    (s) => (s?.EndpointSpec?.Ports ?? []).map((p) => `${p.PublishedPort}:${p.TargetPort}/${p.Protocol}`),
  ],
  ["networks", (s) => (s?.TaskTemplate?.Networks ?? []).map((n) => n.Target)],
  [
    "labels",
    (s) =>
      Object.keys(s?.Labels ?? {})
        .filter((k) => k !== LABEL.deployment)
        .sort(),
  ],
];

/** Which user-visible fields of the live spec differ from the desired one (for the drift report). */
export function changedFields(desired: SwarmServiceSpec, live: unknown): string[] {
  const out = FIELDS.filter(
    ([, get]) => JSON.stringify(get(desired)) !== JSON.stringify(get(live as Spec)),
  ).map(([n]) => n);
  return out.length ? out : ["settings"];
}
