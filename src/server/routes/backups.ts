// Backups of a stack's volumes: list, create (a job), verify (a job), restore (a job), remove.
// Viewers list; deployers back up, verify and restore (like a rollback, a restore changes what runs);
// admins remove archives (like removing a stack, it destroys data).
import { z } from "zod";
import { removeBackup, requestBackup, requestVerify, viewBackups } from "../../apply/backups.js";
import { requestDatabaseBackup, requestDatabaseRestore } from "../../apply/database-backups.js";
import type { Platform } from "../../apply/platform.js";
import { requestRestore } from "../../apply/restore.js";
import { nameProblem } from "../../domain/names.js";
import { getBackup } from "../../store/backups.js";
import { idempotent } from "../idempotency.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { backupView, parseId } from "../views.js";
import { idParams } from "./deployments.js";

const stackName = z.string().superRefine((v, ctx) => {
  const problem = nameProblem("stack", v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const volumeKey = z
  .string()
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/,
    "must be a volume name of the stack (letters, digits, '_', '.', '-')",
  );
const createBody = z
  .object({
    stack: stackName.optional(),
    /** A managed database instead of a stack's volumes (pg_dump). */
    database: stackName.optional(),
    volumes: z.array(volumeKey).max(50).optional(),
  })
  .strict()
  .refine((b) => (b.stack === undefined) !== (b.database === undefined), {
    message: "give either stack or database",
    path: ["stack"],
  })
  .refine((b) => b.database === undefined || b.volumes === undefined, {
    message: "volumes are a stack's; a database backup takes none",
    path: ["volumes"],
  });
const restoreBody = z.object({ into: stackName.optional() }).strict().optional();
const listQuery = z.object({ stack: stackName.optional() }).strict();

export function backupRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "GET",
      url: "/backups",
      access: "viewer",
      summary: "The organization's backups (of one stack with ?stack=), newest first",
      query: listQuery,
      response: R.backupList,
    },
    async ({ query, req }) => ({
      backups: (
        await viewBackups(p, req.org!.slug, query.stack === undefined ? {} : { stack: query.stack })
      ).map(backupView),
    }),
  );

  r.add(
    {
      method: "POST",
      url: "/backups",
      access: "deployer",
      summary:
        "Back up a stack into the backup store: one backup per volume of its own and one pg_dump per managed database its services use (only the `volumes` named, when given), made by a backup job; the stack keeps running. With `database`: a pg_dump of that managed database alone",
      body: createBody,
      response: R.backupQueued,
      status: 202,
    },
    async ({ body, req, reply, audit }) =>
      idempotent(p, req, reply, async () => {
        if (body.database !== undefined) {
          const r = await requestDatabaseBackup(p, {
            org: req.org!.slug,
            name: body.database,
            requestedBy: req.caller!.actor,
            correlationId: req.id,
          });
          audit({ database: body.database, backups: r.backups.map((b) => b.id), jobId: r.jobId });
          return { jobId: r.jobId, backups: r.backups.map(backupView) };
        }
        const r = await requestBackup(p, {
          org: req.org!.slug,
          stack: body.stack!,
          ...(body.volumes ? { volumes: body.volumes } : {}),
          requestedBy: req.caller!.actor,
          correlationId: req.id,
        });
        audit({ stack: body.stack, backups: r.backups.map((b) => b.id), jobId: r.jobId });
        return { jobId: r.jobId, backups: r.backups.map(backupView) };
      }),
  );

  r.add(
    {
      method: "GET",
      url: "/backups/:id",
      access: "viewer",
      summary: "One backup: its volume, status (and why it failed), size, sha256 and whether it is encrypted",
      params: idParams,
      response: z.object({ backup: R.backup }),
    },
    async ({ params, req }) => ({
      backup: backupView(await getBackup(p.db, req.org!.id, parseId(params.id, "backup"))),
    }),
  );

  r.add(
    {
      method: "POST",
      url: "/backups/:id/verify",
      access: "deployer",
      summary:
        "Re-read a backup's archive end to end (sha256, and decryption when encrypted) in a job; a mismatch marks it corrupt",
      params: idParams,
      response: R.backupJob,
      status: 202,
    },
    async ({ params, req, audit }) => {
      const r = await requestVerify(p, {
        org: req.org!.slug,
        id: parseId(params.id, "backup"),
        requestedBy: req.caller!.actor,
        correlationId: req.id,
      });
      audit({ jobId: r.jobId });
      return { jobId: r.jobId, backup: backupView(r.backup) };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/backups/:id/restore",
      access: "deployer",
      summary:
        "Restore a volume backup into its stack (or `into` another stack with a volume of that name): a restore job checks the whole archive first, then stops the services that mount the volume, replaces its contents, and starts them again. A database backup is restored with pg_restore --clean into its database (or `into` another of the organization's), after the same check",
      params: idParams,
      body: restoreBody,
      response: R.restoreQueued,
      status: 202,
    },
    async ({ params, body, req, reply, audit }) =>
      idempotent(p, req, reply, async () => {
        const id = parseId(params.id, "backup");
        const backup = await getBackup(p.db, req.org!.id, id);
        if (backup.kind === "database") {
          const r = await requestDatabaseRestore(p, {
            org: req.org!.slug,
            orgId: req.org!.id,
            backup,
            ...(body?.into === undefined ? {} : { into: body.into }),
            requestedBy: req.caller!.actor,
            correlationId: req.id,
          });
          audit({ database: r.database, jobId: r.jobId });
          return { jobId: r.jobId, backup: backupView(backup), stack: "", volume: r.database, services: [] };
        }
        const r = await requestRestore(p, {
          org: req.org!.slug,
          id: parseId(params.id, "backup"),
          ...(body?.into === undefined ? {} : { into: body.into }),
          requestedBy: req.caller!.actor,
          correlationId: req.id,
        });
        audit({ stack: r.stack, volume: r.volume, jobId: r.jobId });
        return {
          jobId: r.jobId,
          backup: backupView(r.backup),
          stack: r.stack,
          volume: r.volume,
          services: r.services.map((s) => ({ name: s.name, replicas: s.replicas })),
        };
      }),
  );

  r.add(
    {
      method: "DELETE",
      url: "/backups/:id",
      access: "admin",
      summary: "Delete a backup's archive from the store and its record",
      params: idParams,
      response: z.object({ backup: R.backup }),
    },
    async ({ params, req }) => ({
      backup: backupView(await removeBackup(p, req.org!.slug, parseId(params.id, "backup"))),
    }),
  );
}
