// System stacks: Berth's own infrastructure, deployed by the same machinery as tenant stacks
// (requestDeploy / runDeploy) into the reserved system organization. Only platform admins see them
// (`berth system ps`); the reconciler repairs them like any stack (they are recorded, so never orphans).
import { LABEL, ownerFilter } from "../domain/labels.js";
import type { StackModel } from "../domain/stack.js";
import { SYSTEM_ORG } from "../domain/system.js";
import { canonicalJson } from "../plan/caddy-config.js";
import type { PolicyRelaxations } from "../plan/policy.js";
import { ensureOrg, getDeploymentById, listStacks } from "../store/stacks.js";
import { requestDeploy } from "./deploy.js";
import type { Platform } from "./platform.js";
import { sealFiles } from "./stack-files.js";
import { type StackView, viewStacks } from "./stacks.js";

/**
 * Deploys `model` (a system stack) unless its latest revision already asks for exactly this, did not
 * fail, and (when it succeeded) still has all its services on the swarm (a swarm made anew, or a
 * service removed by hand, is deployed again at once rather than at the next drift repair); returns
 * the deployment to wait for, if any.
 */
export async function ensureSystemStack(
  p: Platform,
  o: { model: StackModel; policy: PolicyRelaxations; requestedBy: string; correlationId: string },
): Promise<{ deploymentId: string; revision: number } | undefined> {
  const orgId = await ensureOrg(p.db, SYSTEM_ORG);
  const [latest] = await listStacks(p.db, orgId, o.model.name);
  const wanted = canonicalJson(sealFiles(p.sealer, o.model));
  if (latest && canonicalJson(latest.latest.input) === wanted) {
    if (latest.latest.status === "succeeded" && (await allServicesLive(p, o.model))) return undefined;
    if (latest.latest.status === "pending" || latest.latest.status === "running") {
      return { deploymentId: latest.latest.id, revision: latest.latest.revision };
    }
  }
  const { deployment } = await requestDeploy(p, { ...o, admission: "system" });
  return { deploymentId: deployment.id, revision: deployment.revision };
}

/** Whether every service of the system stack exists on the swarm (found by its owner labels). */
async function allServicesLive(p: Platform, model: StackModel): Promise<boolean> {
  const owner = ownerFilter({ instance: p.instanceId, org: SYSTEM_ORG, stack: model.name }).label;
  const live = new Set((await p.engine.listServices(owner)).map((s) => s.labels[LABEL.service]));
  return model.services.every((s) => live.has(s.name));
}

/** Waits until the deployment has finished; throws with its reason unless it succeeded. */
export async function awaitDeployment(p: Platform, id: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + p.rolloutTimeoutMs + 60_000;
  for (;;) {
    const d = await getDeploymentById(p.db, id);
    if (d?.status === "succeeded") return;
    if (!d || d.status === "failed" || d.status === "rolled_back" || d.status === "cancelled") {
      throw new Error(`system stack ${d?.revision ?? ""}: ${d?.status ?? "missing"}: ${d?.reason ?? ""}`);
    }
    if (Date.now() > deadline || signal.aborted) throw new Error("the system stack did not converge in time");
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The system stacks with their services and tasks, for platform admins. */
export async function systemStacks(p: Platform): Promise<StackView[]> {
  await ensureOrg(p.db, SYSTEM_ORG);
  return viewStacks(p, SYSTEM_ORG);
}

/** The latest revision of a system stack (its deployment's id and status), if it was ever deployed. */
export async function latestSystemRevision(
  p: Platform,
  name: string,
): Promise<{ id: string; status: string } | undefined> {
  const orgId = await ensureOrg(p.db, SYSTEM_ORG);
  const [latest] = await listStacks(p.db, orgId, name);
  return latest ? { id: latest.latest.id, status: latest.latest.status } : undefined;
}

/** Whether a system stack by this name has ever been deployed. */
export async function systemStackExists(p: Platform, name: string): Promise<boolean> {
  const orgId = await ensureOrg(p.db, SYSTEM_ORG);
  return (await listStacks(p.db, orgId, name)).length > 0;
}
