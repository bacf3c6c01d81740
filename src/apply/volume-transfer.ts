// Volumes on another node: find the node that holds a stack's volume (from the tasks of the stack's
// own services that mount it), and move its contents through the backup store with a one-task Swarm
// service on that node (plan/volume-transfer.ts). Berth never reads a remote node's Engine: the task
// writes or reads a transfer file in the store, which Berth reads or writes on its own node.
import { randomUUID } from "node:crypto";
import { chmod, mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { DeployFailed } from "../domain/errors.js";
import { LABEL, ownerFilter, ownershipProblem } from "../domain/labels.js";
import type { LiveService } from "../engine/engine.js";
import { HELPER_ROLE, HELPER_ROLE_LABEL } from "../engine/volume-archiver.js";
import type { JobContext } from "../jobs/queue.js";
import { formatBytes, type MountingService } from "../plan/backup.js";
import {
  TRANSFER_DIR,
  type TransferWatch,
  transferOverdue,
  transferSpec,
  volumeNode,
} from "../plan/volume-transfer.js";
import type { Platform } from "./platform.js";

/** The stack's services of this installation, checked against their owner, as a restore sees them. */
export async function mountingServices(p: Platform, org: string, stack: string): Promise<MountingService[]> {
  const owner = { instance: p.instanceId, org, stack };
  const live = await p.engine.listLive(ownerFilter(owner).label);
  return live
    .filter((l) => !ownershipProblem(l.observed.labels, owner) && l.observed.labels[LABEL.service])
    .map((l: LiveService) => ({
      id: l.observed.id,
      name: l.observed.name,
      version: l.observed.version,
      spec: l.spec as MountingService["spec"],
    }));
}

/** The node holding the stack's volume (see plan/volume-transfer.ts volumeNode). */
export async function nodeOfVolume(
  p: Platform,
  owner: { org: string; stack: string },
  volume: string,
): Promise<{ node?: string; nodes: string[] }> {
  const mounting = (await mountingServices(p, owner.org, owner.stack)).filter((s) =>
    (s.spec.TaskTemplate?.ContainerSpec?.Mounts ?? []).some((m) => m.Source === volume),
  );
  if (mounting.length === 0) return { nodes: [] };
  return volumeNode(await p.engine.tasksOf(mounting.map((s) => s.id)));
}

/** A fresh transfer file's path in the store (its directory made, owner-only). */
export async function transferFile(p: Platform, id: string): Promise<string> {
  const dir = join(p.backups.dir, TRANSFER_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return join(dir, `${id}.tar`);
}

/**
 * Runs the transfer task on `node` and waits until it completed; throws with the task's error when
 * it failed or was rejected, or when it stopped making headway (plan/volume-transfer.ts
 * transferOverdue); an export says how far it got as it goes. The service is removed either way.
 */
export async function runTransfer(
  p: Platform,
  ctx: JobContext,
  o: { way: "export" | "import"; node: string; volume: string; file: string; labels: Record<string, string> },
): Promise<void> {
  const spec = transferSpec({
    ...o,
    name: `berth-transfer-${randomUUID().slice(0, 13)}`,
    image: p.backups.helperImage,
    dir: join(p.backups.dir, TRANSFER_DIR),
    labels: { ...o.labels, [HELPER_ROLE_LABEL]: HELPER_ROLE },
  });
  await ctx.say(
    `${o.way === "export" ? "reading" : "writing"} volume ${o.volume} on node ${o.node} through a task there`,
  );
  const id = await p.engine.createService(spec);
  const watch: TransferWatch = {
    way: o.way,
    createdAt: Date.now(),
    bytes: o.way === "import" ? await sizeOf(o.file) : 0,
  };
  let toldAt = Date.now();
  try {
    for (;;) {
      const tasks = await p.engine.tasksOf([id]);
      if (tasks.some((t) => t.state === "complete")) return;
      const failed = tasks.find((t) => ["failed", "rejected", "orphaned"].includes(t.state));
      if (failed) {
        throw new DeployFailed(
          `the task on node ${o.node} ${failed.state}: ${failed.error || failed.message}${failed.exitCode ? ` (exit ${failed.exitCode})` : ""}`,
        );
      }
      if (ctx.signal.aborted) throw new DeployFailed(`the task on node ${o.node} was stopped: the job ended`);
      const now = Date.now();
      if (watch.runningAt === undefined && tasks.some((t) => t.state === "running")) watch.runningAt = now;
      if (o.way === "export") {
        const bytes = await sizeOf(o.file);
        if (bytes > watch.bytes) Object.assign(watch, { bytes, grewAt: now });
        if (now - toldAt >= PROGRESS_EVERY_MS && watch.runningAt !== undefined) {
          toldAt = now;
          await ctx.say(`read ${formatBytes(watch.bytes)} of volume ${o.volume} so far`);
        }
      }
      const overdue = transferOverdue(watch, now, {
        startMs: p.rolloutTimeoutMs,
        stallMs: p.rolloutTimeoutMs,
      });
      if (overdue) throw new DeployFailed(`the task on node ${o.node} ${overdue}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await p.engine.removeService(id).catch(() => {});
  }
}

/** How often a running export says how far it got. */
const PROGRESS_EVERY_MS = 10_000;
const sizeOf = (file: string) =>
  stat(file).then(
    (s) => s.size,
    () => 0,
  );

/** Removes a transfer file, whatever became of it. */
export const dropTransfer = (file: string) => rm(file, { force: true });

/** Transfer services (helper role) an ended job left: removed, like helper containers. */
export async function sweepTransfers(p: Platform, keep: (labels: Record<string, string>) => boolean) {
  const found = await p.engine.listServices([
    `${LABEL.instance}=${p.instanceId}`,
    `${HELPER_ROLE_LABEL}=${HELPER_ROLE}`,
  ]);
  const gone = found.filter((s) => !keep(s.labels));
  await Promise.all(gone.map((s) => p.engine.removeService(s.id).catch(() => {})));
  return gone.length;
}
