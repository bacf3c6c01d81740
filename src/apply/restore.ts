// Restoring a volume backup into the same stack or another one (`into`).
//
// - requestRestore (in the API request): the backup is this organization's and complete, its file has
//   the recorded size, the target stack has a volume of that key on this node, and no deployment,
//   restart or other restore runs on it; decide which services to stop (plan/backup.ts restorePlan)
//   and queue a `restore` job carrying their replica counts.
// - runRestore (the job): read the archive end to end (sha256, and decryption when sealed) into a
//   private staging copy BEFORE touching anything: a corrupt or tampered archive is refused (the
//   backup is marked corrupt) with the target untouched. Then scale the services that mount the
//   volume to 0, wait for their tasks to stop, replace the volume's contents from the verified copy,
//   and scale them back to the replicas they had (also when the replacement failed). A retry after a
//   crash does it all again, from the replica counts recorded when the restore was asked for.
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { JOB_LABEL, RESTORE_JOB } from "../domain/backup.js";
import { DeployFailed } from "../domain/errors.js";
import { LABEL } from "../domain/labels.js";
import type { JobContext } from "../jobs/queue.js";
import { notRestorable, restorePlan, restoreTarget, type StopStep, withReplicas } from "../plan/backup.js";
import { refuseWhileRollingOut } from "../plan/day2.js";
import type { SwarmServiceSpec } from "../plan/swarm-types.js";
import { isRemote } from "../plan/volume-transfer.js";
import { type BackupRow, getBackup } from "../store/backups.js";
import { listRevisions, orgIdOf } from "../store/stacks.js";
import {
  checkArchive,
  checkVolumes,
  helperLabels,
  liveStack,
  precheckArchive,
  restorableBackup,
} from "./backups.js";
import type { Platform } from "./platform.js";
import { refuseWhileRestarting } from "./restart.js";
import { serviceWaker } from "./service-waker.js";
import {
  dropTransfer,
  mountingServices,
  nodeOfVolume,
  runTransfer,
  transferFile,
} from "./volume-transfer.js";

interface RestorePayload {
  org: string;
  backupId: string;
  stack: string;
  /** The volume's key in the stack, and its name on the Engine. */
  key: string;
  volume: string;
  steps: StopStep[];
}

export async function requestRestore(
  p: Platform,
  o: { org: string; id: string; into?: string; requestedBy: string; correlationId: string },
): Promise<{ jobId: string; backup: BackupRow; stack: string; volume: string; services: StopStep[] }> {
  const orgId = await orgIdOf(p.db, o.org);
  const b = await getBackup(p.db, orgId, o.id);
  const refused = notRestorable({ id: b.id, status: b.status, reason: b.error });
  if (refused) throw refused;
  await precheckArchive(p, orgId, b);
  const stack = o.into ?? b.stack;
  const live = await liveStack(p, o.org, stack);
  const target = restoreTarget(live.model, live.namespace, b.source);
  await checkVolumes(p, { org: o.org, stack }, [target]);
  refuseWhileRollingOut(await listRevisions(p.db, orgId, stack), stack);
  await refuseWhileRestarting(p, orgId, stack);
  const steps = restorePlan(await mountingServices(p, o.org, stack), target.name);
  const jobId = randomUUID();
  const payload: RestorePayload = {
    org: o.org,
    backupId: b.id,
    stack,
    key: target.key,
    volume: target.name,
    steps,
  };
  await p.jobs.enqueue({
    id: jobId,
    type: RESTORE_JOB,
    orgId,
    target: stack,
    payload: { ...payload },
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
  });
  return { jobId, backup: b, stack, volume: target.name, services: steps };
}

export async function runRestore(p: Platform, ctx: JobContext): Promise<void> {
  const o = ctx.job.payload as unknown as RestorePayload;
  const { orgId, b, path, scratch, staging } = await restorableBackup(p, ctx, o);
  // Which node's copy: decided while the services that mount it still run.
  const { node } = await nodeOfVolume(p, { org: o.org, stack: o.stack }, o.volume);
  const remote = isRemote(node, p.cluster.nodeId);
  // The checked plaintext goes where the helper extracts it: a private file on Berth's node, or a
  // transfer file of the store for a task on the volume's node.
  const plain = remote ? await transferFile(p, ctx.job.id) : staging;
  try {
    await ctx.say(`checking backup ${b.id} (${b.source}, ${b.sizeBytes} bytes) before touching ${o.stack}`);
    await checkArchive(p, ctx, { orgId, backup: b, path, from: 0, span: 40, plainTo: plain });
    await ctx.say(`archive verified: checksum matches${b.encrypted ? ", every chunk decrypts" : ""}`);
    await ctx.throwIfCancelled();
    // The volume must still be the stack's before anything is stopped or written.
    await checkVolumes(p, { org: o.org, stack: o.stack }, [{ key: o.key, name: o.volume }]);
    const labels = helperLabels(p, { org: o.org, stack: o.stack, jobId: ctx.job.id });
    await p.archiver.removeHelpers([`${JOB_LABEL}=${ctx.job.id}`, `${LABEL.instance}=${p.instanceId}`]);
    let failure: unknown;
    try {
      await scale(p, ctx, o, "down");
      await ctx.say(`replacing the contents of ${o.volume}`);
      // The checked plain tar is extracted where it lies, by a helper on the volume's node.
      await ctx.progress(
        50,
        `extracting ${b.source} (${b.sizeBytes} bytes checked) into ${o.volume}${remote ? ` on node ${node}` : ""}`,
      );
      if (remote) await runTransfer(p, ctx, { way: "import", node, volume: o.volume, file: plain, labels });
      else {
        const image = p.backups.helperImage;
        await p.archiver.replace({ volume: o.volume, labels, image, scratch, file: staging });
      }
      await ctx.progress(90, `extracted ${b.source} into ${o.volume}`);
    } catch (err) {
      failure = err;
      await ctx.say(`restore failed: ${err instanceof Error ? err.message : String(err)}`, "error");
    }
    // Back to the replicas they had, whether or not the contents were replaced.
    await scale(p, ctx, o, "up");
    if (failure) throw failure;
    await ctx.progress(
      100,
      `restored backup ${b.id} into ${o.volume}; ${o.steps.map((s) => `${s.name} at ${s.replicas}`).join(", ") || "no service mounts it"}`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
    if (remote) await dropTransfer(plain);
  }
}

/** Scales the restore's services to 0 (waiting until their tasks stopped) or back to their replicas. */
async function scale(p: Platform, ctx: JobContext, o: RestorePayload, way: "down" | "up"): Promise<void> {
  if (o.steps.length === 0) return;
  const live = await mountingServices(p, o.org, o.stack);
  for (const step of o.steps) {
    const s = live.find((l) => l.id === step.id);
    if (!s) {
      await ctx.say(`${step.name}: no longer in the stack, skipped`, "warn");
      continue;
    }
    const want = way === "down" ? 0 : step.replicas;
    if ((s.spec.Mode?.Replicated?.Replicas ?? -1) === want) continue;
    await p.engine.updateService(s.id, s.version, withReplicas(s.spec, want) as SwarmServiceSpec);
    await ctx.say(`${step.name}: scaled to ${want}`);
  }
  const ids = o.steps.map((s) => s.id);
  const deadline = Date.now() + p.rolloutTimeoutMs;
  const waker = serviceWaker(p, { maxWaitMs: 500, minGapMs: 40 });
  waker.watch(ids);
  try {
    for (;;) {
      const tasks = await p.engine.tasksOf(ids);
      const running = (id: string) =>
        tasks.filter((t) => t.serviceId === id && t.state === "running" && t.desiredState === "running")
          .length;
      const active = tasks.filter(
        (t) => !["complete", "shutdown", "failed", "rejected", "orphaned", "remove"].includes(t.state),
      );
      const done =
        way === "down"
          ? active.length === 0
          : o.steps.every((s) => running(s.id) >= s.replicas || !live.some((l) => l.id === s.id));
      if (done) break;
      if (Date.now() > deadline) {
        throw new DeployFailed(
          way === "down"
            ? `the services mounting ${o.volume} did not stop in time; the volume was not touched`
            : `the services mounting ${o.volume} did not come back in time`,
        );
      }
      await waker.next();
    }
  } finally {
    waker.close();
  }
  await p.refreshServices(ids);
  if (way === "down") await ctx.progress(45, `stopped ${o.steps.map((s) => s.name).join(", ")}`);
}
