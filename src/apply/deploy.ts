// Deploying a stack: observe, plan (nothing written if the plan is refused), record an immutable
// revision, then apply each step. Convergence is followed by the rollout monitor.
import { randomUUID } from "node:crypto";
import { swarmServiceName } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import { planOrgNetwork } from "../plan/network-spec.js";
import { planStackDeploy, type StackObservation } from "../plan/stack-deploy.js";
import type { ServiceAction } from "../store/schema.js";
import { createDeployment, type DeploymentRow, ensureOrg, updateDeployment } from "../store/stacks.js";
import type { Platform } from "./platform.js";

export async function deployStack(
  p: Platform,
  opts: { model: StackModel; requestedBy: string },
): Promise<DeploymentRow> {
  const { model } = opts;
  const network = planOrgNetwork(model.org);
  const seen: StackObservation = { live: new Map(), usedHostPorts: await p.engine.usedHostPorts() };
  for (const service of model.services) {
    const name = swarmServiceName(model.org, model.name, service.name);
    const live = await p.engine.findService(name);
    if (live) (seen.live as Map<string, typeof live>).set(name, live);
  }
  const deploymentId = randomUUID();
  const networkId = await p.engine.findNetwork(network.Name);
  const steps = planStackDeploy(model, seen, {
    deploymentId,
    network: networkId ?? network.Name,
    routingMesh: p.cluster.routingMesh,
    hostPortRange: p.hostPortRange,
  });

  const orgId = await ensureOrg(p.db, model.org);
  const { deployment } = await createDeployment(p.db, {
    id: deploymentId,
    orgId,
    model,
    requestedBy: opts.requestedBy,
  });
  const log = p.log.child({ deployment: deployment.id, stack: model.name, org: model.org });
  log.info({ revision: deployment.revision }, "deployment recorded");

  try {
    await p.engine.ensureNetwork(network);
    const actions: Record<string, ServiceAction> = {};
    for (const step of steps) {
      if (step.action === "create") {
        await p.engine.createService(step.spec);
        actions[step.service] = { action: "create" };
      } else if (step.action === "update") {
        await p.engine.updateService(step.id, step.version, step.spec);
        const after = step.replacesTasks ? await p.engine.findService(step.spec.Name) : undefined;
        actions[step.service] = { action: "update", ...(after ? { since: after.observed.updatedAt } : {}) };
      } else {
        actions[step.service] = { action: "none" };
      }
      log.info({ service: step.service, action: step.action }, "service applied");
    }
    await updateDeployment(p.db, deployment.id, { status: "running", actions });
    return { ...deployment, status: "running", actions };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    await updateDeployment(p.db, deployment.id, { status: "failed", reason });
    log.warn({ err: reason }, "deployment failed while applying");
    throw err;
  }
}
