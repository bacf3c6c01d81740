// Deploying a stack, in two halves:
// - requestDeploy (in the API request): observe and plan, so a refused plan writes nothing; then record
//   the immutable revision and queue a deploy job.
// - runDeploy (the job, retried after a crash): observe and plan again, apply each step where the live
//   spec differs, then follow the rollout until Swarm converges, fails or rolls back.
// Every step checks what Swarm already has, so running it twice does no harm.
import { randomUUID } from "node:crypto";
import { Conflict, DeployFailed, NotFound, Unavailable } from "../domain/errors.js";
import { LABEL, ownerFilter } from "../domain/labels.js";
import { orgNetworkName, scopedName, stackNamespace } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import { ROUTES_SYNC_LINE } from "../domain/system.js";
import { isPermanent, JobCancelled, type JobContext } from "../jobs/queue.js";
import { attachDatabases, databasesWanted } from "../plan/database.js";
import { inFlight } from "../plan/day2.js";
import { imagesToCheck } from "../plan/feasibility.js";
import { revisionsToPrune } from "../plan/history.js";
import { hostPortKey, PROTOCOLS, portReservations } from "../plan/host-ports.js";
import { planOrgNetwork } from "../plan/network-spec.js";
import type { ObservedImage } from "../plan/observed.js";
import type { PolicyRelaxations } from "../plan/policy.js";
import {
  type ExistingObject,
  planStackDeploy,
  removedServices,
  type ServiceStep,
  type StackObservation,
  type StackPlanContext,
} from "../plan/stack-deploy.js";
import { planStackObjects, type StackObjects } from "../plan/stack-objects.js";
import { pickSubnet, subnetHolder } from "../plan/subnets.js";
import { compareTime } from "../plan/time.js";
import type { BuiltImageRecord, ServiceAction } from "../store/schema.js";
import {
  createDeployment,
  type DeploymentRow,
  deleteRevisions,
  getDeploymentById,
  lastSucceeded,
  listRevisions,
  orgIdOf,
  PortTaken,
  reservedPorts,
  type StackRow,
  stackNamespaceOf,
  updateDeployment,
} from "../store/stacks.js";
import { admit, admitPolicy } from "./admission.js";
import { observeCluster } from "./cluster-facts.js";
import { databaseAccess } from "./databases.js";
import { applyStackDomains, checkStackDomains } from "./domains.js";
import { withDecidedHealthchecks } from "./healthchecks.js";
import type { Platform } from "./platform.js";
import { refuseWhileRestarting } from "./restart.js";
import { followRollout } from "./rollout.js";
import { sealFiles, withFileIds } from "./stack-files.js";
import { refuseWhileRemoving } from "./stack-remove.js";

export const DEPLOY_JOB = "deploy";

export async function requestDeploy(
  p: Platform,
  opts: {
    /** The user's model: stored as the revision's input (secrets sealed), Berth's choices apart. */
    model: StackModel;
    policy: PolicyRelaxations;
    requestedBy: string;
    correlationId: string;
    /** The revision whose input this deployment replays (a rollback). */
    rollbackOf?: number;
    /**
     * `system`: one of Berth's own stacks (apply/system.ts), built by Berth's code: it passes the
     * workload policy with the relaxations given, and no tenant's quota or external-object checks.
     */
    admission?: "tenant" | "system";
    /** The images a build job made for this deployment (recorded beside it). */
    builds?: BuiltImageRecord[];
  },
): Promise<{ deployment: DeploymentRow; jobId: string }> {
  opts = { ...opts, model: sealFiles(p.sealer, opts.model) };
  const orgId = await orgIdOf(p.db, opts.model.org);
  await refuseWhileRestarting(p, orgId, opts.model.name);
  await refuseWhileRemoving(p, orgId, opts.model.name);
  if (opts.admission === "system") admitPolicy(p, opts.model, opts.policy);
  else await admit(p, orgId, opts.model, opts.policy);
  await checkStackDomains(p, orgId, opts.model);
  const namespace = await namespaceFor(p, orgId, opts.model);
  const deploymentId = randomUUID();
  const jobId = randomUUID();
  let recorded: { stack: StackRow; deployment: DeploymentRow } | undefined;
  const images = new Map<string, ObservedImage>();
  // Berth's decisions, recorded in the spec apart from the input: health checks, then host ports.
  const decided = await withDecidedHealthchecks(p, opts.model, images);
  // Databases the services name (`--db`, `x-berth-databases`): their secret and env, in the spec only.
  const wanted = databasesWanted(opts.model);
  const withDbs = wanted.length
    ? attachDatabases(decided.model, await databaseAccess(p, orgId, wanted))
    : decided.model;
  for (let attempt = 1; !recorded; attempt++) {
    // Plan against the ports Swarm publishes and those other deployments have reserved, and the
    // nodes and images as they are; the plan throws, writing nothing, when it is refused.
    const reserved = await reservedPorts(p.db, { orgId, stack: opts.model.name });
    const { steps } = await planFor(p, { model: withDbs, namespace, deploymentId, reserved, images });
    const model = withHostPorts(withDbs, steps);
    try {
      recorded = await createDeployment(p.db, {
        id: deploymentId,
        orgId,
        namespace,
        model,
        input: opts.model,
        ...(opts.rollbackOf === undefined ? {} : { rollbackOf: opts.rollbackOf }),
        ...(opts.builds ? { builds: opts.builds } : {}),
        requestedBy: opts.requestedBy,
        jobId,
        ports: portReservations(model),
      });
    } catch (err) {
      // Another deployment took a port between our plan and our write: plan again.
      if (!(err instanceof PortTaken) || attempt >= 5) throw err;
    }
  }
  const { deployment, stack } = recorded;
  await p.jobs.enqueue({
    id: jobId,
    type: DEPLOY_JOB,
    orgId,
    target: stack.name,
    payload: { deploymentId, ...(decided.notes.length ? { notes: decided.notes } : {}) },
    correlationId: opts.correlationId,
    requestedBy: opts.requestedBy,
  });
  await pruneHistory(p, orgId, stack);
  return { deployment, jobId };
}

/**
 * Deletes the stack's oldest finished revisions beyond the history kept (never the live one).
 * Housekeeping: a deployment already recorded and queued does not fail for it.
 */
async function pruneHistory(p: Platform, orgId: string, stack: StackRow): Promise<void> {
  try {
    const old = revisionsToPrune(await listRevisions(p.db, orgId, stack.name), p.revisionHistory);
    const deleted = await deleteRevisions(p.db, stack.id, old);
    if (deleted) p.log.info({ stack: stack.name, deleted }, "old revisions deleted");
  } catch (err) {
    p.log.warn({ stack: stack.name, err: (err as Error).message }, "old revisions were not deleted");
  }
}

export async function runDeploy(p: Platform, ctx: JobContext): Promise<void> {
  const deploymentId = String(ctx.job.payload.deploymentId);
  const d = await getDeploymentById(p.db, deploymentId);
  if (!d) throw new NotFound("deployment", deploymentId);
  if (!inFlight(d.status)) return;
  const model = d.spec;
  const revision = { model, namespace: d.namespace, deploymentId: d.id };
  // The rollout's time runs from this attempt's start, not from when the job was queued.
  const startedAt = new Date();
  await ctx.say(`deploying ${model.name} revision ${d.revision} (${model.services.length} services)`);
  for (const note of (ctx.job.payload.notes as string[] | undefined) ?? []) await ctx.say(note);

  let actions = d.actions;
  if (d.status === "pending") {
    try {
      actions = await applyRevision(p, revision, ctx);
    } catch (err) {
      // A plan refused now (the cluster changed since the request: a node left, an image went)
      // fails the revision at once rather than leaving it pending; the job is not retried. A cancel
      // comes before any service is touched: the live revision stays.
      if (isPermanent(err) || err instanceof JobCancelled) {
        const cancelled = err instanceof JobCancelled;
        const reason = cancelled ? "cancelled before it changed any service" : (err as Error).message;
        await updateDeployment(p.db, d.id, { status: cancelled ? "cancelled" : "failed", reason });
      }
      throw err;
    }
    await updateDeployment(p.db, d.id, { status: "running", actions });
  }
  await ctx.progress(50, "waiting for Swarm to run the new revision");
  const outcome = await followRollout(p, {
    spec: model,
    actions,
    startedAt,
    onChange: (a) => ctx.progress(50 + (a.desired ? (45 * a.running) / a.desired : 45), a.reason),
    checkpoint: async () => {
      try {
        await ctx.throwIfCancelled();
      } catch (err) {
        // Cancelled on request (not a shutdown, which a later attempt resumes): the last good
        // revision is put back, as for a revision that failed.
        if (!ctx.signal.aborted) {
          const why = "cancelled while Swarm was rolling it out";
          const back = await returnToLastGood(p, { failed: d, why }, ctx);
          await updateDeployment(p.db, d.id, {
            status: back.status,
            reason:
              back.status === "failed" ? `${why}; no earlier revision succeeded, so it stays` : back.reason,
          });
        }
        throw err;
      }
    },
  });
  if (outcome.phase === "succeeded") {
    // Routes first, so that whoever sees the revision succeed sees its proxy sync job too; the
    // stack's live view is refreshed meanwhile.
    await Promise.all([refreshStack(p, model), routeStack(p, { model, stackId: d.stackId }, ctx)]);
    await updateDeployment(p.db, d.id, { status: "succeeded", reason: outcome.reason });
    // Old secrets and configs are released once no task uses them.
    await pruneStackObjects(p, model, stackObjectsOf(p, model, d.namespace));
    await ctx.say(`succeeded: ${outcome.reason}`);
    return;
  }
  await refreshStack(p, model);
  const { status, reason } = await returnToLastGood(p, { failed: d, why: outcome.reason }, ctx);
  await updateDeployment(p.db, d.id, { status, reason });
  throw new DeployFailed(`${status.replace("_", " ")}: ${reason}`);
}

/** The live revision's routes (its services' `domains`) replace the stack's, and the proxy is synced. */
async function routeStack(p: Platform, o: { model: StackModel; stackId: string }, ctx: JobContext) {
  if (!ctx.job.orgId) return;
  try {
    const sync = await applyStackDomains(p, {
      ...o,
      orgId: ctx.job.orgId,
      correlationId: ctx.job.correlationId,
      requestedBy: ctx.job.requestedBy,
    });
    if (sync) await ctx.say(`${ROUTES_SYNC_LINE} ${sync.jobId}`);
  } catch (err) {
    // The revision runs; only its routes could not be stored (a host claimed meanwhile).
    await ctx.say(`routes not changed: ${(err as Error).message}`, "warn");
  }
}

/**
 * A revision that did not converge: Berth itself puts the whole stack back on the last revision that
 * succeeded, at once (services this revision added are removed, those it removed come back), and
 * says so. Without an earlier success there is nothing to return to: the revision stays, failed.
 */
async function returnToLastGood(
  p: Platform,
  o: { failed: DeploymentRow & { namespace: string }; why: string },
  ctx: JobContext,
): Promise<{ status: "failed" | "rolled_back"; reason: string }> {
  const previous = await lastSucceeded(p.db, o.failed.stackId, o.failed.revision);
  if (!previous) return { status: "failed", reason: o.why };
  await ctx.say(`${o.why}; returning the stack to revision ${previous.revision}`);
  await ctx.progress(95, `returning to revision ${previous.revision}`);
  const model = previous.spec;
  let actions: Record<string, ServiceAction>;
  try {
    // Not cancellable: a cancel is one of the reasons to be here.
    actions = await applyRevision(
      p,
      { model, namespace: o.failed.namespace, deploymentId: previous.id },
      ctx,
      { cancellable: false },
    );
  } catch (err) {
    // E.g. it can no longer converge on the cluster as it is now (refused before it is applied).
    if (!isPermanent(err)) throw err;
    const why = `returning to revision ${previous.revision} was refused: ${(err as Error).message}`;
    return { status: "failed", reason: `${o.why}; ${why}` };
  }
  const back = await followRollout(p, { spec: model, actions, startedAt: new Date() });
  await refreshStack(p, model);
  if (back.phase !== "succeeded") {
    return {
      status: "failed",
      reason: `${o.why}; returning to revision ${previous.revision} failed too: ${back.reason}`,
    };
  }
  await ctx.say(`revision ${previous.revision} runs again: ${back.reason}`);
  return { status: "rolled_back", reason: `${o.why}; revision ${previous.revision} is live` };
}

/** Creates the stack's objects and applies its revision's service steps; returns what it did to each service. */
async function applyRevision(
  p: Platform,
  revision: { model: StackModel; namespace: string; deploymentId: string },
  ctx: JobContext,
  opts: { cancellable: boolean } = { cancellable: true },
): Promise<Record<string, ServiceAction>> {
  // Planned before anything is created: a plan refused (objects under the stack's names that are
  // not its own, services that cannot converge) creates nothing. Planned again once the objects
  // exist, to refer to them by id.
  const images = new Map<string, ObservedImage>();
  const first = await planFor(p, { ...revision, images });
  await ensureOrgNetwork(p, revision.model.org);
  const { ids, networksCreated } = await ensureStackObjects(p, first.objects, (m) => ctx.say(m));
  // Specs name networks by id: planned again only when a network was created just now.
  const { steps, seen } =
    networksCreated || !first.orgNetworkFound ? await planFor(p, { ...revision, images }) : first;
  if (opts.cancellable) await ctx.throwIfCancelled();
  // Services of one stack are independent: Swarm takes them all at once.
  const applied = await Promise.all(
    steps.map((step) =>
      applyStep(p, { ...step, spec: withFileIds(step.spec, ids) }, seen, revision.deploymentId),
    ),
  );
  const actions = Object.fromEntries(steps.map((step, i) => [step.service, applied[i]!]));
  for (const step of steps) await ctx.say(`${step.service}: ${describe(actions[step.service]!)}`);
  for (const gone of await pruneServices(p, revision.model))
    await ctx.say(`${gone}: removed (no longer in the stack)`);
  return actions;
}

async function refreshStack(p: Platform, model: StackModel): Promise<void> {
  const live = await p.engine.listServices(stackFilter(p, model));
  await p.refreshServices(live.map((s) => s.id));
}

/** The namespace of the stack on Swarm: the one it was created with, or the current scheme's for a new stack. */
export async function namespaceFor(p: Platform, orgId: string, model: StackModel): Promise<string> {
  return (
    (await stackNamespaceOf(p.db, orgId, model.name)) ??
    stackNamespace(model.org, model.name, { instance: p.instanceId })
  );
}

/** Berth's label filter for this installation's objects of the stack. */
export function stackFilter(p: Platform, model: StackModel): string[] {
  return ownerFilter({ instance: p.instanceId, org: model.org, stack: model.name }).label;
}

/**
 * Observes what the plan needs (live services and objects under the stack's names, host ports in
 * use, network ids) and plans. Anything found under the stack's names that is not the stack's own
 * refuses the plan (planStackDeploy), so nothing of another owner is read, updated or removed.
 */
export async function planFor(
  p: Platform,
  opts: {
    model: StackModel;
    namespace: string;
    deploymentId: string;
    reserved?: Set<number>;
    /** What is known of images already (plans of one attempt share it); filled in as they are looked at. */
    images?: Map<string, ObservedImage>;
  },
) {
  const { model, namespace } = opts;
  const orgNetwork = await findOrgNetwork(p, model.org);
  // Host ports in use matter only to a stack that publishes some (listing them reads every task).
  const publishes = model.services.some((s) => s.ports.length > 0);
  const names = model.services.map((s) => scopedName(namespace, s.name));
  const found = await Promise.all(names.map((name) => p.engine.findService(name)));
  const live = new Map(found.flatMap((s) => (s ? [[s.observed.name, s] as const] : [])));
  const networkIds = await networkIdsFor(p, stackFilter(p, model), [model]);
  const ctx = planContext(p, {
    namespace,
    deploymentId: opts.deploymentId,
    network: orgNetwork?.id ?? orgNetworkName(model.org),
    networkIds,
  });
  const seen: StackObservation = {
    live,
    // A reservation holds the number for every protocol (the table is keyed by port).
    usedHostPorts: new Set([
      ...(publishes ? await p.engine.usedHostPorts() : []),
      ...[...(opts.reserved ?? [])].flatMap((port) => PROTOCOLS.map((proto) => hostPortKey(port, proto))),
    ]),
    objects: await existingObjects(p, stackObjectsOf(p, model, namespace)),
    cluster: await observeCluster(p, imagesToCheck(model, namespace, live), opts.images),
  };
  const plan = planStackDeploy(model, seen, ctx);
  return { ...plan, seen, orgNetworkFound: orgNetwork !== undefined };
}

/** The plan context of this installation for one stack. */
export function planContext(
  p: Platform,
  o: { namespace: string; deploymentId: string; network: string; networkIds?: Map<string, string> },
): StackPlanContext {
  return {
    ...o,
    instance: p.instanceId,
    routingMesh: p.cluster.routingMesh,
    hostPortRange: p.hostPortRange,
    updateMonitor: p.updateMonitor,
  };
}

/** The stack's networks, volumes, secrets and configs: they depend on the model and its namespace alone. */
function stackObjectsOf(p: Platform, model: StackModel, namespace: string): StackObjects {
  return planStackObjects(model, {
    instance: p.instanceId,
    namespace,
    orgNetwork: orgNetworkName(model.org),
  });
}

/**
 * Ids by name of the networks these stacks' plans name: this installation's own networks under
 * `labels`, and the external networks the stacks name. The Engine stores network ids, so a spec that
 * names them would always read as changed.
 */
export async function networkIdsFor(
  p: Platform,
  labels: string[],
  models: StackModel[],
): Promise<Map<string, string>> {
  const ids = new Map((await p.engine.listNetworks(labels)).map((n) => [n.name, n.id] as const));
  for (const [name, id] of await externalNetworkIds(p, models)) ids.set(name, id);
  return ids;
}

async function externalNetworkIds(p: Platform, models: StackModel[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const model of models) {
    for (const n of Object.values(model.networks ?? {})) {
      if (!n.external || ids.has(n.external)) continue;
      const id = await p.engine.findNetwork(n.external);
      if (id) ids.set(n.external, id);
    }
  }
  return ids;
}

/** What exists on the swarm under the names of the stack's networks, volumes, secrets and configs. */
async function existingObjects(p: Platform, objects: StackObjects): Promise<ExistingObject[]> {
  const wanted = {
    network: objects.networks.map((n) => n.Name),
    volume: Object.values(objects.volumes).flatMap((v) => ("name" in v ? [v.name] : [])),
    secret: objects.secrets.map((f) => f.Name),
    config: objects.configs.map((f) => f.Name),
  };
  const out: ExistingObject[] = [];
  for (const kind of ["network", "volume", "secret", "config"] as const) {
    if (wanted[kind].length === 0) continue;
    for (const o of await p.engine.objectsNamed(kind, wanted[kind])) out.push({ kind, ...o });
  }
  return out;
}

/**
 * Creates the networks, secrets and configs of a stack's settled model that do not exist (a repair
 * recreating its services needs them: someone removed them, or the swarm was made anew).
 */
export async function ensureObjectsOf(
  p: Platform,
  o: { model: StackModel; namespace: string },
  say: (message: string) => Promise<void>,
): Promise<void> {
  await ensureOrgNetwork(p, o.model.org);
  await ensureStackObjects(p, stackObjectsOf(p, o.model, o.namespace), say);
}

/** Creates the stack's networks, secrets and configs that do not exist yet; returns secret and config ids by name. */
async function ensureStackObjects(
  p: Platform,
  objects: StackObjects,
  say: (message: string) => Promise<void>,
): Promise<{ ids: Map<string, string>; networksCreated: boolean }> {
  let networksCreated = false;
  for (const n of objects.networks) {
    if (await p.engine.findNetwork(n.Name)) continue;
    await p.engine.ensureNetwork(n);
    await say(`network ${n.Name}: created`);
    networksCreated = true;
  }
  const ids = new Map<string, string>();
  for (const [kind, specs] of [
    ["secret", objects.secrets],
    ["config", objects.configs],
  ] as const) {
    for (const spec of specs) {
      const data = kind === "secret" ? p.sealer.open(spec.Data).toString("base64") : spec.Data;
      ids.set(`${kind}/${spec.Name}`, await p.engine.ensureFile(kind, { ...spec, Data: data }));
    }
    const wanted = new Set(Object.values(kind === "secret" ? objects.secretNames : objects.configNames));
    for (const f of await p.engine.listFiles(kind, [])) {
      if (wanted.has(f.name) && !ids.has(`${kind}/${f.name}`)) ids.set(`${kind}/${f.name}`, f.id);
    }
  }
  return { ids, networksCreated };
}

/** Removes this installation's services of the stack that the new revision no longer has. */
async function pruneServices(p: Platform, model: StackModel): Promise<string[]> {
  const gone = removedServices(model, await p.engine.listServices(stackFilter(p, model)));
  for (const s of gone) await p.engine.removeService(s.id);
  return gone.map((s) => s.labels[LABEL.service] ?? s.name);
}

/** Removes the stack's secrets, configs and networks the current revision does not use (those still in use stay). */
async function pruneStackObjects(p: Platform, model: StackModel, objects: StackObjects): Promise<void> {
  const filter = stackFilter(p, model);
  const keepFiles = new Set([...objects.secrets, ...objects.configs].map((s) => s.Name));
  const keepNetworks = new Set(objects.networks.map((n) => n.Name));
  // The old revision's tasks hold them until they have stopped (up to their stop grace period).
  for (let attempt = 0; attempt < 30; attempt++) {
    let busy = 0;
    for (const kind of ["secret", "config"] as const) {
      for (const f of await p.engine.listFiles(kind, filter)) {
        if (!keepFiles.has(f.name) && !(await p.engine.removeFile(kind, f.id))) busy++;
      }
    }
    for (const n of await p.engine.listNetworks(filter)) {
      if (!keepNetworks.has(n.name)) await p.engine.removeNetwork(n.id).catch(() => busy++);
    }
    if (busy === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function applyStep(p: Platform, step: ServiceStep, seen: StackObservation, deploymentId: string) {
  // What the Engine stored (defaults filled in) is what its tasks will carry: its digest tells this
  // revision's tasks from others, and a service Swarm rolled back from one that converged.
  const stored = async () => (await p.engine.findService(step.spec.Name))?.observed;
  if (step.action === "create") {
    await p.engine.createService(step.spec);
    const after = await stored();
    return { action: "create", ...taskSpecOf(after) } satisfies ServiceAction;
  }
  if (step.action === "update") {
    // The change is ours from the service's last write before it: Swarm's updater starts (and
    // stamps its UpdateStatus) after our write, and may already have when the service is read back.
    const before = seen.live.get(step.spec.Name)?.observed.updatedAt;
    await p.engine.updateService(step.id, step.version, step.spec);
    const after = await stored();
    const since = before ?? after?.updatedAt;
    return {
      action: "update",
      ...(since && step.replacesTasks ? { since } : {}),
      ...taskSpecOf(after),
    } satisfies ServiceAction;
  }
  // Already as planned. If this very deployment made it so (an attempt that died after applying),
  // its tasks are the ones created since that change.
  const live = seen.live.get(step.spec.Name)?.observed;
  if (live?.labels[LABEL.deployment] === deploymentId) {
    if (!live.updated) return { action: "create", ...taskSpecOf(live) } satisfies ServiceAction;
    // Swarm may touch the service after the update began; the updater's start is the safer mark.
    const started = live.updateStatus?.startedAt;
    const since = started && compareTime(started, live.updatedAt) < 0 ? started : live.updatedAt;
    return { action: "update", since, ...taskSpecOf(live) } satisfies ServiceAction;
  }
  return { action: "none" } satisfies ServiceAction;
}

function taskSpecOf(s: { taskSpec?: string } | undefined): { taskSpec?: string } {
  return s?.taskSpec ? { taskSpec: s.taskSpec } : {};
}

/** Creates the organization's network on a subnet of its own when it does not exist yet. */
export async function ensureOrgNetwork(p: Platform, org: string): Promise<string> {
  // Deploy jobs of one organization run side by side, and so may other organizations' and other
  // installations' on the same swarm: another may take the name or the subnet meanwhile. So whenever
  // a name turns out to be taken, a create fails or an older network turns out to hold the subnet,
  // look for the organization's own network again first, then choose the name and the subnet afresh.
  const made = async () => (await findOrgNetwork(p, org))?.id;
  for (let attempt = 1; ; attempt++) {
    const existing = await made();
    if (existing) return existing;
    // Another installation sharing the swarm may hold the plain name: then the name carries ours.
    const taken = (await p.engine.objectsNamed("network", [orgNetworkName(org)])).length > 0;
    const meanwhile = taken ? await made() : undefined;
    if (meanwhile) return meanwhile;
    const name = orgNetworkName(org, { instance: p.instanceId, taken });
    if (taken && (await p.engine.objectsNamed("network", [name])).length > 0) {
      const ours = await made(); // a parallel job of this organization may have just made it
      if (ours) return ours;
      throw new Conflict(`a network named '${name}' exists that is not this organization's; remove it`);
    }
    let lost: string | undefined;
    try {
      const subnet = pickSubnet((await p.engine.subnetClaims()).map((c) => c.subnet));
      const id = await p.engine.ensureNetwork(
        planOrgNetwork(org, { name, instance: p.instanceId, ...(subnet ? { subnet } : {}) }),
      );
      const holder = subnet ? subnetHolder(subnet, await p.engine.subnetClaims()) : undefined;
      if (!holder || holder.networkId === id) return id;
      // Created on a subnet an older network holds: Swarm would never allocate it.
      await p.engine.removeNetwork(id);
      lost = subnet;
    } catch (err) {
      const ours = await made();
      if (ours) return ours;
      if (attempt >= ORG_NETWORK_ATTEMPTS) throw err;
    }
    if (lost && attempt >= ORG_NETWORK_ATTEMPTS) {
      throw new Unavailable(
        `organization '${org}': every subnet chosen for its network (last ${lost}) was taken meanwhile by another network; deploy again`,
      );
    }
  }
}

const ORG_NETWORK_ATTEMPTS = 5;

/** The organization's network of this installation, found by its labels (an org network has no stack). */
export async function findOrgNetwork(
  p: Platform,
  org: string,
): Promise<{ id: string; name: string } | undefined> {
  // The label filter already asks for this installation's and organization's; only stacks' are left out.
  const owned = await p.engine.listNetworks(ownerFilter({ instance: p.instanceId, org }).label);
  return owned.find((n) => n.labels[LABEL.stack] === undefined);
}

/** The model with every service port's host port filled in from the plan, so every later attempt
 * publishes exactly the ports that were reserved. */
function withHostPorts(model: StackModel, steps: ServiceStep[]): StackModel {
  return {
    ...model,
    services: model.services.map((s) => {
      const { hostPorts } = steps.find((st) => st.service === s.name)!;
      return {
        ...s,
        ports: s.ports.map((port, i) => {
          const published = hostPorts[i];
          return published === undefined ? port : { ...port, published };
        }),
      };
    }),
  };
}

function describe(a: ServiceAction): string {
  return a.action === "create" ? "created" : a.action === "update" ? "updated" : "unchanged";
}
