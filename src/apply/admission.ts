// Admission of a stack model before anything is created: the tenant policy (pure, plan/policy.ts),
// objects named as external that must belong to the same organization, and the quota.
import { PolicyViolation, QuotaExceeded } from "../domain/errors.js";
import { ownerFilter, ownershipProblem } from "../domain/labels.js";
import type { StackModel } from "../domain/stack.js";
import { checkPolicy, type PolicyRelaxations } from "../plan/policy.js";
import { addUsage, quotaProblem, type Usage, usageOf, volumeProblem, ZERO_USAGE } from "../plan/quota.js";
import { getQuota } from "../store/identity.js";
import { latestModels } from "../store/stacks.js";
import type { Platform } from "./platform.js";

/** Refuses, naming the field and the rule, a model the tenant policy does not allow. */
export function admitPolicy(p: Platform, model: StackModel, policy: PolicyRelaxations): void {
  const [first] = checkPolicy(model, policy, p.hostPortRange, [
    { path: p.dataDir, what: "Berth's data directory (its master key and database)" },
    { path: p.backups.dir, what: "Berth's backup store (every organization's archives)" },
  ]);
  if (first) throw new PolicyViolation(first.path, first.rule);
}

export async function admit(
  p: Platform,
  orgId: string,
  model: StackModel,
  policy: PolicyRelaxations,
): Promise<void> {
  admitPolicy(p, model, policy);
  await checkExternals(p, model);
  const quota = await getQuota(p.db, orgId);
  if (quota) {
    const { others } = await orgUsage(p, orgId, model.name);
    const problem = quotaProblem(quota, others, usageOf(model, await nodeCount(p)));
    if (problem) throw new QuotaExceeded(problem, { details: { quota } });
    // Volumes grow after the fact: a stack with volumes is refused once the organization's are full.
    const ownVolumes = Object.values(model.volumes ?? {}).some((v) => !v.external);
    if (quota.volumeBytes !== null && ownVolumes) {
      const used = await orgVolumeBytes(p, model.org);
      const problem = volumeProblem(quota.volumeBytes, used);
      if (problem) throw new QuotaExceeded(problem, { details: { quota } });
    }
  }
}

/** What the organization's stacks use (their latest revisions), without `except`. */
export async function orgUsage(p: Platform, orgId: string, except?: string): Promise<{ others: Usage }> {
  const nodes = await nodeCount(p);
  const models = await latestModels(p.db, orgId);
  const others = models
    .filter((m) => m.name !== except)
    .reduce((u, m) => addUsage(u, usageOf(m, nodes)), ZERO_USAGE);
  return { others };
}

/** Bytes the organization's volumes hold on this node. */
export function orgVolumeBytes(p: Platform, org: string): Promise<number> {
  return p.engine.volumeBytes(ownerFilter({ instance: p.instanceId, org }).label);
}

async function nodeCount(p: Platform): Promise<number> {
  const nodes = await p.engine.listNodes();
  return Math.max(1, nodes.filter((n) => n.status === "ready" && n.availability === "active").length);
}

/**
 * An external network, volume, secret or config must be the organization's own (Berth's labels say
 * so): naming another organization's object must not reach into it.
 */
async function checkExternals(p: Platform, model: StackModel): Promise<void> {
  const kinds = [
    ["network", "networks", model.networks, () => p.engine.listNetworks([])],
    ["volume", "volumes", model.volumes, () => p.engine.listVolumes([])],
    ["secret", "secrets", model.secrets, () => p.engine.listFiles("secret", [])],
    ["config", "configs", model.configs, () => p.engine.listFiles("config", [])],
  ] as const;
  for (const [kind, section, defs, list] of kinds) {
    for (const [key, def] of Object.entries(defs ?? {})) {
      if (!def.external) continue;
      const found = (await list()).find((x) => x.name === def.external);
      if (!found || ownershipProblem(found.labels, { instance: p.instanceId, org: model.org })) {
        throw new PolicyViolation(
          `${section}.${key}`,
          `external ${kind} '${def.external}' is not one of this organization's`,
        );
      }
    }
  }
}
