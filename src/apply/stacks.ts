// Reading stacks with what really runs, and removing them. Services are found by label.
import { LABEL, ownerFilter } from "../domain/labels.js";
import type { ObservedTask } from "../plan/observed.js";
import { deleteStack, ensureOrg, getStack, listStacks } from "../store/stacks.js";
import type { Platform } from "./platform.js";

export interface ServiceView {
  name: string;
  swarmName: string;
  image: string;
  replicas: number;
  running: number;
  ports: number[];
  tasks: { id: string; slot?: number; node?: string; state: string; desired: string; error?: string }[];
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
  const rows = await listStacks(p.db, orgId);
  const services = await p.engine.listServices(ownerFilter({ org }).label);
  const views: StackView[] = [];
  for (const { stack, latest } of rows) {
    const mine = services.filter((s) => s.labels[LABEL.stack] === stack.name);
    const serviceViews: ServiceView[] = [];
    for (const s of mine.sort((a, b) => a.name.localeCompare(b.name))) {
      const tasks = (await p.engine.listTasks(s.id)).filter(isCurrent).sort(bySlot);
      serviceViews.push({
        name: s.labels[LABEL.service] ?? s.name,
        swarmName: s.name,
        image: s.image,
        replicas: s.replicas,
        running: tasks.filter((t) => t.state === "running").length,
        ports: s.publishedPorts,
        tasks: tasks.map((t) => ({
          id: t.id,
          ...(t.slot === undefined ? {} : { slot: t.slot }),
          ...(t.nodeId ? { node: t.nodeId } : {}),
          state: t.state,
          desired: t.desiredState,
          ...(t.error ? { error: t.error } : {}),
        })),
      });
    }
    views.push({
      name: stack.name,
      revision: latest.revision,
      status: latest.status,
      reason: latest.reason,
      deploymentId: latest.id,
      updatedAt: stack.updatedAt.toISOString(),
      services: serviceViews,
    });
  }
  return views;
}

/** Removes a stack's services (found by label), then its record. */
export async function removeStack(p: Platform, org: string, name: string): Promise<{ removed: string[] }> {
  const orgId = await ensureOrg(p.db, org);
  await getStack(p.db, orgId, name);
  const services = await p.engine.listServices(ownerFilter({ org, stack: name }).label);
  for (const s of services) await p.engine.removeService(s.id);
  await deleteStack(p.db, orgId, name);
  p.log.info({ org, stack: name, services: services.length }, "stack removed");
  return { removed: services.map((s) => s.name) };
}

/** Tasks that are, or are meant to be, running; shut-down history is left out. */
function isCurrent(t: ObservedTask): boolean {
  return t.desiredState === "running" || t.state === "running";
}

function bySlot(a: ObservedTask, b: ObservedTask): number {
  return (a.slot ?? 0) - (b.slot ?? 0);
}
