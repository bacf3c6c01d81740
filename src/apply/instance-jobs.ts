// Customer instances, the `instance` job: one handler per lifecycle step, each reporting progress.
//
//   create  -> render (values, secrets opened) -> its databases -> deploy, wait -> backup schedule -> running
//   stop    -> deploy the live input at zero replicas -> stopped (the live revision remembered)
//   start   -> deploy the remembered revision's input again -> running
//   suspend -> its routes in maintenance ("suspended") -> stop when running -> suspended
//   resume  -> exactly those routes back -> start when it was running -> running | stopped
//   restart -> the stack's restart job, followed
//   upgrade -> backup -> new databases -> deploy the new version, same values -> version moves on success;
//              a rollout that fails is rolled back by the deploy job, and the instance says why
//   restore -> stop when running -> each volume, then each database of one backup set -> start again
//   create of a copy (`restore --into`) -> create as above, stopped, the set put back, started
//   rm      -> final backup (unless asked not to) -> schedule and stack removed, with its volumes ->
//              its databases dropped (or kept as the organization's, when asked)
//
// Stops and starts are revisions like any other, so drift repair keeps them and history shows them.
import { setTimeout as sleep } from "node:timers/promises";
import { DeployFailed, NotFound } from "../domain/errors.js";
import type { StackModel } from "../domain/stack.js";
import { type InstanceAction, instanceDatabase, type TemplateSpec } from "../domain/template.js";
import { Interrupted, type JobContext } from "../jobs/queue.js";
import { retentionText } from "../plan/backup.js";
import { databasesWanted } from "../plan/database.js";
import { inFlight } from "../plan/day2.js";
import { liveRevision } from "../plan/history.js";
import {
  instanceDatabases,
  lifecycleProblem,
  ownVolumes,
  type RestoreSet,
  stoppedModel,
} from "../plan/instance.js";
import type { PolicyRelaxations } from "../plan/policy.js";
import { getBackup } from "../store/backups.js";
import { instanceDatabaseRows, releaseDatabase } from "../store/databases.js";
import { clearMaintenance, stackRoutesToMaintenance } from "../store/domains.js";
import { type JobRow, jobEnded } from "../store/jobs.js";
import { getDeploymentById, getRevision, getStack, listRevisions, orgIdOf } from "../store/stacks.js";
import {
  deleteInstance,
  getInstance,
  getTemplate,
  type InstanceRow,
  updateInstance,
} from "../store/templates.js";
import { removeSchedule, setSchedule } from "./backup-schedules.js";
import { requestBackup } from "./backups.js";
import { requestDatabaseRestore } from "./database-backups.js";
import { dropDatabase, provisionInstanceDatabases } from "./databases.js";
import { requestDeploy } from "./deploy.js";
import { renderInstance, upgradeValues } from "./instances.js";
import type { Platform } from "./platform.js";
import { queueProxySync } from "./proxy-queue.js";
import { requestRestart } from "./restart.js";
import { requestRestore } from "./restore.js";
import { removeStack } from "./stacks.js";

interface Payload {
  org: string;
  instance: string;
  action: InstanceAction;
  policy: PolicyRelaxations;
  to?: number;
  finalBackup?: boolean;
  keepDatabases?: boolean;
  /** `restore`, or `create` of a copy: the backup set to put back. */
  restore?: RestoreSet;
}

interface Step {
  p: Platform;
  ctx: JobContext;
  o: Payload;
  orgId: string;
  row: InstanceRow;
}

const SUSPENDED_NOTICE = { message: "This site is suspended.", retryAfter: 3600 };

export async function runInstance(p: Platform, ctx: JobContext): Promise<void> {
  const o = ctx.job.payload as unknown as Payload;
  const orgId = await orgIdOf(p.db, o.org);
  const row = await getInstance(p.db, orgId, o.instance);
  // The state may have moved since the request (an earlier job of the instance ran meanwhile).
  if (o.action !== "create") {
    const refused = lifecycleProblem(row, o.action);
    if (refused) throw refused;
  }
  const step: Step = { p, ctx, o, orgId, row };
  await STEPS[o.action](step);
}

const STEPS: Record<InstanceAction, (s: Step) => Promise<void>> = {
  create,
  stop: async (s) => {
    await stop(s, 10);
    await updateInstance(s.p.db, s.row.id, { state: "stopped", lastError: null });
    await s.ctx.progress(100, `instance ${s.o.instance} stopped`);
  },
  start: async (s) => {
    await start(s, s.row.resume?.revision);
    await updateInstance(s.p.db, s.row.id, { state: "running", resume: null, lastError: null });
    await s.ctx.progress(100, `instance ${s.o.instance} running`);
  },
  suspend,
  resume,
  restart: async (s) => {
    const r = await requestRestart(s.p, { org: s.o.org, stack: s.o.instance, ...acting(s) });
    await s.ctx.say(`restarting ${r.services.join(", ")} (job ${r.jobId})`);
    const job = await waitJob(s, r.jobId);
    if (job.status !== "succeeded") throw new DeployFailed(`restart ${job.status}: ${job.error ?? ""}`);
    await s.ctx.progress(100, `instance ${s.o.instance} restarted`);
  },
  upgrade,
  restore: async (s) => {
    const wasRunning = s.row.state === "running";
    const revision = wasRunning ? await stop(s, 5) : undefined;
    try {
      await restoreSetInto(s, s.o.instance, { from: 25, span: 60 });
    } finally {
      // Started again whether or not every archive went back, as a volume restore does.
      if (revision !== undefined) await start(s, revision);
    }
    await updateInstance(s.p.db, s.row.id, {
      state: wasRunning ? "running" : "stopped",
      ...(wasRunning ? { resume: null } : {}),
      lastError: null,
    });
    await s.ctx.progress(100, `instance ${s.o.instance} restored from backup job ${s.o.restore!.job}`);
  },
  rm,
};

/**
 * Puts the payload's backup set back into instance `target` (its volumes, then its databases by key),
 * each as the ordinary restore job it is (the archive checked end to end before anything is touched),
 * waited for in turn; the first that fails stops the step.
 */
async function restoreSetInto(s: Step, target: string, at: { from: number; span: number }) {
  const set = s.o.restore!;
  const steps = set.volumes.length + set.databases.length;
  let done = 0;
  const waitOk = async (jobId: string, what: string) => {
    await s.ctx.progress(at.from + (at.span * done) / steps, `restoring ${what} (job ${jobId})`);
    const job = await waitJob(s, jobId);
    if (job.status !== "succeeded")
      throw new DeployFailed(`restore of ${what} ${job.status}: ${job.error ?? ""}`);
    done++;
  };
  for (const v of set.volumes) {
    const r = await requestRestore(s.p, { org: s.o.org, id: v.id, into: target, ...acting(s) });
    await waitOk(r.jobId, `volume ${v.key} from backup ${v.id}`);
  }
  for (const d of set.databases) {
    const into = instanceDatabase(target, d.key);
    const r = await requestDatabaseRestore(s.p, {
      org: s.o.org,
      orgId: s.orgId,
      backup: await getBackup(s.p.db, s.orgId, d.id),
      into,
      ...acting(s),
    });
    await waitOk(r.jobId, `database ${into} from backup ${d.id}`);
  }
}

function acting(s: Step) {
  return { requestedBy: s.ctx.job.requestedBy, correlationId: s.ctx.job.correlationId };
}

async function create(s: Step): Promise<void> {
  const { p, ctx, o, row } = s;
  try {
    await ctx.progress(5, `rendering template ${row.template} version ${row.version} for ${o.instance}`);
    const template = await getTemplate(p.db, s.orgId, row.template, row.version);
    const model = renderInstance(p, {
      org: o.org,
      name: o.instance,
      template,
      values: row.values,
      secrets: row.secrets,
    });
    await provisionDatabases(s, template.spec, { from: 5, span: 15 });
    await deployAndWait(s, model, { from: 20, span: 50, what: "deploying" });
    if (o.restore) {
      // A copy of another instance: its backup set goes in before the instance counts as running.
      const revision = await stop(s, 70);
      await restoreSetInto(s, o.instance, { from: 72, span: 10 });
      await start(s, revision);
      await updateInstance(p.db, row.id, { resume: null });
    }
    await firstSchedule(s, model, template.spec.backup);
    await updateInstance(p.db, row.id, { state: "running", lastError: null });
    await ctx.result({ instance: o.instance, template: row.template, version: row.version });
    await ctx.progress(
      100,
      `instance ${o.instance} running (template ${row.template} version ${row.version})`,
    );
  } catch (err) {
    await updateInstance(p.db, row.id, { state: "failed", lastError: (err as Error).message });
    throw err;
  }
}

/**
 * The instance's own managed databases (the template's `databases`): one database and role each on the
 * shared PostgreSQL server, made before the stack is deployed; the deployment hands their credentials
 * to the services that name them as Docker secrets.
 */
async function provisionDatabases(s: Step, spec: TemplateSpec, at: { from: number; span: number }) {
  const names = instanceDatabases(s.o.instance, spec);
  if (names.length === 0) return;
  await s.ctx.progress(at.from, `databases ${names.join(", ")}`);
  await provisionInstanceDatabases(s.p, s.ctx, {
    org: s.o.org,
    orgId: s.orgId,
    instance: s.o.instance,
    names,
    ...at,
  });
}

/** What a backup of the instance covers: its own volumes, and the databases its services use. */
function backedUp(model: StackModel): string[] {
  return [...ownVolumes(model), ...databasesWanted(model).map((d) => `database ${d}`)];
}

async function firstSchedule(s: Step, model: StackModel, backup: TemplateSpec["backup"]) {
  const volumes = backedUp(model);
  if (volumes.length === 0) return s.ctx.say("no volumes or databases: no backup schedule");
  await setSchedule(s.p, {
    org: s.o.org,
    stack: s.o.instance,
    cron: backup.cron,
    keepLast: backup.keepLast,
    ...(backup.keepDaily ? { keepDaily: backup.keepDaily } : {}),
    ...(backup.keepWeekly ? { keepWeekly: backup.keepWeekly } : {}),
    requestedBy: s.ctx.job.requestedBy,
  });
  await s.ctx.progress(
    90,
    `backup schedule of ${volumes.join(", ")}: ${backup.cron}, ${retentionText(backup)}`,
  );
}

/** Queues the model's deployment and waits for it; DeployFailed (with the deployment's reason) unless it succeeded. */
async function deployAndWait(
  s: Step,
  model: StackModel,
  o: { from: number; span: number; what: string },
): Promise<{ revision: number; status: string; reason: string | null }> {
  const { deployment } = await requestDeploy(s.p, { model, policy: s.o.policy, ...acting(s) });
  await s.ctx.progress(o.from, `${o.what}: revision ${deployment.revision} of stack ${model.name}`);
  for (;;) {
    if (s.ctx.signal.aborted) throw new Interrupted();
    const d = await getDeploymentById(s.p.db, deployment.id);
    if (!d) throw new NotFound("deployment", deployment.id);
    if (!inFlight(d.status)) {
      if (d.status !== "succeeded")
        throw new DeployFailed(`revision ${d.revision} ${d.status.replace("_", " ")}: ${d.reason ?? ""}`);
      await s.ctx.progress(o.from + o.span, `revision ${d.revision} succeeded`);
      return { revision: d.revision, status: d.status, reason: d.reason };
    }
    await sleep(200);
  }
}

async function waitJob(s: Step, id: string): Promise<JobRow> {
  return (await jobEnded(s.p.db, id, { signal: s.ctx.signal, abort: () => new Interrupted() }))!;
}

async function liveOf(s: Step): Promise<{ revision: number; input: StackModel }> {
  const revision = liveRevision(await listRevisions(s.p.db, s.orgId, s.o.instance));
  if (revision === undefined)
    throw new DeployFailed(`stack '${s.o.instance}' has no revision that succeeded`);
  const { input } = await getRevision(s.p.db, s.orgId, s.o.instance, revision);
  return { revision, input: { ...input, org: s.o.org, name: s.o.instance } };
}

/** Deploys the live input at zero replicas; remembers the revision a start gives back. */
async function stop(s: Step, from: number): Promise<number> {
  const live = await liveOf(s);
  await deployAndWait(s, stoppedModel(live.input), { from, span: 80, what: "scaling to zero" });
  await updateInstance(s.p.db, s.row.id, { resume: { ...s.row.resume, revision: live.revision } });
  return live.revision;
}

async function start(s: Step, revision: number | undefined): Promise<void> {
  if (revision === undefined)
    throw new DeployFailed(`instance '${s.o.instance}' has no revision to start again`);
  const { input } = await getRevision(s.p.db, s.orgId, s.o.instance, revision);
  await deployAndWait(
    s,
    { ...input, org: s.o.org, name: s.o.instance },
    {
      from: 10,
      span: 80,
      what: `starting revision ${revision}'s services again`,
    },
  );
}

async function syncRoutes(s: Step): Promise<void> {
  const job = await queueProxySync(s.p, { orgId: s.orgId, ...acting(s) });
  await s.ctx.say(`proxy sync job ${job.id}`);
  await waitJob(s, job.id);
}

async function suspend(s: Step): Promise<void> {
  const { p, row } = s;
  const stack = await getStack(p.db, s.orgId, s.o.instance);
  const routes = await stackRoutesToMaintenance(p.db, {
    orgId: s.orgId,
    stackId: stack.id,
    notice: SUSPENDED_NOTICE,
  });
  await updateInstance(p.db, row.id, {
    resume: { ...row.resume, from: row.state as "running" | "stopped", routes },
  });
  s.row = await getInstance(p.db, s.orgId, s.o.instance);
  if (routes.length) {
    await s.ctx.progress(5, `${routes.length} route(s) answer "suspended"`);
    await syncRoutes(s);
  }
  if (row.state === "running") await stop(s, 10);
  await updateInstance(p.db, row.id, { state: "suspended", lastError: null });
  await s.ctx.progress(100, `instance ${s.o.instance} suspended`);
}

async function resume(s: Step): Promise<void> {
  const { p, row } = s;
  const back = row.resume ?? {};
  if (back.from === "running") await start(s, back.revision);
  const cleared = await clearMaintenance(p.db, s.orgId, back.routes ?? []);
  if (cleared) {
    await s.ctx.progress(95, `${cleared} route(s) serve the instance again`);
    await syncRoutes(s);
  }
  const state = back.from ?? "running";
  await updateInstance(p.db, row.id, {
    state,
    lastError: null,
    resume: state === "stopped" && back.revision !== undefined ? { revision: back.revision } : null,
  });
  await s.ctx.progress(100, `instance ${s.o.instance} resumed (${state})`);
}

async function upgrade(s: Step): Promise<void> {
  const { p, ctx, o, row } = s;
  const to = o.to!;
  const next = await upgradeValues(p, { orgId: s.orgId, instance: row, to });
  const model = renderInstance(p, { org: o.org, name: o.instance, ...next });
  await backupFirst(s, model, "before the upgrade", { from: 5, span: 30 });
  await provisionDatabases(s, next.template.spec, { from: 35, span: 5 });
  try {
    await deployAndWait(s, model, { from: 40, span: 55, what: `upgrading to version ${to}` });
  } catch (err) {
    const why = `upgrade from version ${row.version} to ${to} failed, version ${row.version} runs: ${(err as Error).message}`;
    await updateInstance(p.db, row.id, { lastError: why });
    throw new DeployFailed(why);
  }
  await updateInstance(p.db, row.id, {
    version: to,
    values: next.values,
    secrets: next.secrets,
    lastError: null,
  });
  await ctx.progress(100, `instance ${o.instance} runs version ${to}`);
}

/** Backs up the instance's volumes and waits; a failed backup stops the step before anything changed. */
async function backupFirst(s: Step, model: StackModel, why: string, o: { from: number; span: number }) {
  if (backedUp(model).length === 0 && backedUp((await liveOf(s)).input).length === 0) return;
  const r = await requestBackup(s.p, { org: s.o.org, stack: s.o.instance, ...acting(s) });
  await s.ctx.progress(
    o.from,
    `backup ${why}: job ${r.jobId} (${r.backups.map((b) => `${b.source} ${b.id}`).join(", ")})`,
  );
  const job = await waitJob(s, r.jobId);
  if (job.status !== "succeeded")
    throw new DeployFailed(`backup ${why} ${job.status}: ${job.error ?? ""}; nothing was changed`);
  await s.ctx.progress(o.from + o.span, `backup ${why} done`);
}

/** The instance's databases dropped (after the final backup), or kept as the organization's own. */
async function removeDatabases(s: Step): Promise<void> {
  for (const row of await instanceDatabaseRows(s.p.db, s.orgId, s.o.instance)) {
    if (s.o.keepDatabases) {
      await releaseDatabase(s.p.db, s.orgId, row.id);
      await s.ctx.say(
        `database ${row.name} kept, as asked (now the organization's: berth db rm ${row.name})`,
      );
    } else {
      await dropDatabase(s.p, s.ctx, { orgId: s.orgId, row });
      await s.ctx.say(`database ${row.name} dropped`);
    }
  }
}

async function rm(s: Step): Promise<void> {
  const { p, ctx, o, row } = s;
  await updateInstance(p.db, row.id, { state: "removing" });
  const stack = await getStack(p.db, s.orgId, o.instance).catch(() => undefined);
  if (stack && o.finalBackup !== false) {
    try {
      await backupFirst(s, (await liveOf(s)).input, "(final)", { from: 5, span: 40 });
    } catch (err) {
      await updateInstance(p.db, row.id, { state: row.state, lastError: (err as Error).message });
      throw err;
    }
  } else if (o.finalBackup === false) await ctx.say("no final backup, as asked");
  await removeSchedule(p, o.org, o.instance).catch((err) => {
    if (!(err instanceof NotFound)) throw err;
  });
  const removed = await removeStack(p, o.org, o.instance, {
    volumes: true,
    ...acting(s),
    say: (message, percent) => ctx.progress(50 + percent / 2, message),
  });
  await removeDatabases(s);
  await deleteInstance(p.db, row.id);
  await ctx.result({ ...removed });
  await ctx.progress(
    100,
    `instance ${o.instance} removed (${removed.removed.length} services, ${removed.volumes} volumes)`,
  );
}
