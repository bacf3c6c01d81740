// Reading stacks with what runs (from the database, which the observer keeps current), and
// removing them. Services are found by label.
import { ownerFilter } from "../domain/labels.js";
import type { TaskSummary } from "../plan/observe.js";
import { serviceStates } from "../store/services.js";
import { deleteStack, ensureOrg, getStack, listStacks } from "../store/stacks.js";
import type { Platform } from "./platform.js";

export interface ServiceView {
  name: string;
  image: string;
  replicas: number;
  running: number;
  ports: number[];
  tasks: TaskSummary[];
  observedAt: string;
}

export interface StackView {
  name: string;
  revision: number;
  status: string;
  reason: string | null;
  deploymentId: string;
  updatedAt: string;
  services: ServiceView[];
}

export async function viewStacks(p: Platform, org: string): Promise<StackView[]> {
  const orgId = await ensureOrg(p.db, org);
  const [rows, states] = await Promise.all([listStacks(p.db, orgId), serviceStates(p.db, orgId)]);
  const byStack = new Map<string, ServiceView[]>();
  for (const s of states) {
    if (s.presence !== "present") continue;
    const list = byStack.get(s.stackId) ?? [];
    list.push({
      name: s.name,
      image: s.image ?? "",
      replicas: s.desiredReplicas,
      running: s.runningReplicas,
      ports: s.ports,
      tasks: s.tasks,
      observedAt: new Date(s.observedAt).toISOString(),
    });
    byStack.set(s.stackId, list);
  }
  return rows.map(({ stack, latest }) => ({
    name: stack.name,
    revision: latest.revision,
    status: latest.status,
    reason: latest.reason,
    deploymentId: latest.id,
    updatedAt: new Date(stack.updatedAt).toISOString(),
    services: (byStack.get(stack.id) ?? []).sort((a, b) => a.name.localeCompare(b.name)),
  }));
}

/** Removes a stack's services (found by label), then its record. */
export async function removeStack(p: Platform, org: string, name: string): Promise<{ removed: string[] }> {
  const orgId = await ensureOrg(p.db, org);
  await getStack(p.db, orgId, name);
  const services = await p.engine.listServices(
    ownerFilter({ org, stack: name, instance: p.instanceId }).label,
  );
  for (const s of services) await p.engine.removeService(s.id);
  await deleteStack(p.db, orgId, name);
  p.log.info({ org, stack: name, services: services.length }, "stack removed");
  return { removed: services.map((s) => s.name) };
}
