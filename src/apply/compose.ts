// Compose stacks through the API: the CLI loads the files (interpolation with the user's
// environment, env_file, secret and config files) and sends the merged document; here it is
// validated again, converted to the stack model, then rendered, diffed or deployed.
import { z } from "zod";
import { validateCompose } from "../config/compose/load.js";
import { composeToModel } from "../config/compose/to-model.js";
import { parseInput } from "../config/validate.js";
import { LABEL } from "../domain/labels.js";
import { orgNetworkName } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import { planOrgNetwork } from "../plan/network-spec.js";
import { changedFields } from "../plan/reconcile.js";
import { planStackDeploy, removedServices } from "../plan/stack-deploy.js";
import type { SwarmServiceSpec } from "../plan/swarm-types.js";
import { orgIdOf } from "../store/stacks.js";
import { findOrgNetwork, namespaceFor, planContext, planFor, stackFilter } from "./deploy.js";
import type { Platform } from "./platform.js";
import { sealFiles } from "./stack-files.js";

export const composeBody = z
  .object({
    name: z.string().min(1, "must name the stack"),
    compose: z.record(z.string(), z.unknown(), { error: "must be the loaded compose document (an object)" }),
  })
  .strict();

export interface ComposeRequest {
  model: StackModel;
  warnings: string[];
}

export function parseComposeRequest(body: unknown, org: string): ComposeRequest {
  const { name, compose } = parseInput(composeBody, body);
  validateCompose({ name: "compose", data: compose, lineOf: () => undefined });
  return composeToModel(compose, org, name);
}

/** The create bodies Berth would send, computed without reading or changing the swarm. */
export async function renderStack(p: Platform, model: StackModel, warnings: string[]) {
  const sealed = sealFiles(p.sealer, model);
  const namespace = await namespaceFor(p, await orgIdOf(p.db, model.org), model);
  const network = (await findOrgNetwork(p, model.org))?.name ?? orgNetworkName(model.org);
  const { objects, steps } = planStackDeploy(
    sealed,
    { live: new Map(), usedHostPorts: new Set() },
    planContext(p, { namespace, deploymentId: "(assigned at deploy)", network }),
  );
  return {
    services: steps.map((s) => s.spec),
    networks: [planOrgNetwork(model.org, { name: network, instance: p.instanceId }), ...objects.networks],
    volumes: Object.entries(objects.volumes).flatMap(([, v]) =>
      "external" in v
        ? []
        : [{ Name: v.name, Driver: v.driver ?? "local", DriverOpts: v.driverOpts ?? {}, Labels: v.labels }],
    ),
    // Secret values never leave the server; their names carry a digest of the content.
    secrets: objects.secrets.map((s) => ({ ...s, Data: "(sealed)" })),
    configs: objects.configs,
    warnings,
  };
}

export interface ServiceDiff {
  service: string;
  action: "create" | "update" | "none" | "remove";
  fields?: string[];
}

/** What deploying the model would change, service by service, against what Swarm runs now. */
export async function diffStack(p: Platform, model: StackModel): Promise<ServiceDiff[]> {
  const namespace = await namespaceFor(p, await orgIdOf(p.db, model.org), model);
  const { steps, seen } = await planFor(p, {
    model: sealFiles(p.sealer, model),
    namespace,
    deploymentId: "(diff)",
  });
  const out: ServiceDiff[] = steps.map((s) =>
    s.action === "update"
      ? { service: s.service, action: "update", fields: changedFields(s.spec, liveSpec(seen, s.spec)) }
      : { service: s.service, action: s.action },
  );
  for (const s of removedServices(model, await p.engine.listServices(stackFilter(p, model)))) {
    out.push({ service: s.labels[LABEL.service] ?? s.name, action: "remove" });
  }
  return out;
}

function liveSpec(seen: Awaited<ReturnType<typeof planFor>>["seen"], spec: SwarmServiceSpec): unknown {
  return seen.live.get(spec.Name)?.spec;
}
