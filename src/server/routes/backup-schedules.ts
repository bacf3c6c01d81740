// Recurring backups of a stack, with retention: set (create or replace), list, remove.
import { z } from "zod";
import { removeSchedule, setSchedule, viewSchedules } from "../../apply/backup-schedules.js";
import type { Platform } from "../../apply/platform.js";
import type { BackupScheduleRow } from "../../store/backups.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { nameParams } from "./stacks.js";

const count = z
  .number({ error: "must be a whole number from 0 to 1000" })
  .int("must be a whole number from 0 to 1000")
  .min(0, "must be a whole number from 0 to 1000")
  .max(1000, "must be a whole number from 0 to 1000");

const scheduleBody = z
  .object({
    cron: z.string().min(1, "must not be empty").max(100),
    timezone: z.string().min(1).max(64).optional(),
    keepLast: z
      .number({ error: "must be a whole number from 1 to 1000" })
      .int("must be a whole number from 1 to 1000")
      .min(1, "must be a whole number from 1 to 1000")
      .max(1000, "must be a whole number from 1 to 1000"),
    keepDaily: count.optional(),
    keepWeekly: count.optional(),
  })
  .strict();

function view(s: BackupScheduleRow, next: Date[]) {
  return {
    id: s.id,
    stack: s.stack,
    cron: s.cron,
    timezone: s.timezone,
    keepLast: s.keepLast,
    keepDaily: s.keepDaily,
    keepWeekly: s.keepWeekly,
    createdBy: s.createdBy,
    updatedAt: s.updatedAt.toISOString(),
    next: next.map((d) => d.toISOString()),
  };
}

export function backupScheduleRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "PUT",
      url: "/stacks/:name/backup-schedule",
      access: "deployer",
      summary:
        "Back up the stack's volumes and databases on a cron schedule (in `timezone`, default UTC), keeping the newest `keepLast` good archives of each, and besides them the newest of each of the last `keepDaily` days and `keepWeekly` ISO weeks (UTC)",
      params: nameParams,
      body: scheduleBody,
      response: z.object({ schedule: R.backupSchedule }),
    },
    async ({ params, body, req, audit }) => {
      const r = await setSchedule(p, {
        org: req.org!.slug,
        stack: params.name,
        cron: body.cron,
        ...(body.timezone ? { timezone: body.timezone } : {}),
        keepLast: body.keepLast,
        ...(body.keepDaily === undefined ? {} : { keepDaily: body.keepDaily }),
        ...(body.keepWeekly === undefined ? {} : { keepWeekly: body.keepWeekly }),
        requestedBy: req.caller!.actor,
      });
      audit({
        cron: body.cron,
        keepLast: body.keepLast,
        keepDaily: body.keepDaily,
        keepWeekly: body.keepWeekly,
      });
      return { schedule: view(r.schedule, r.next) };
    },
  );

  r.add(
    {
      method: "GET",
      url: "/backup-schedules",
      access: "viewer",
      summary: "The organization's backup schedules, with each one's next run",
      response: z.object({ schedules: z.array(R.backupSchedule) }),
    },
    async ({ req }) => ({
      schedules: (await viewSchedules(p, req.org!.slug)).map((s) => view(s.schedule, s.next)),
    }),
  );

  r.add(
    {
      method: "DELETE",
      url: "/stacks/:name/backup-schedule",
      access: "deployer",
      summary: "Stop backing up the stack on a schedule (its backups stay)",
      params: nameParams,
      response: z.object({ schedule: R.backupSchedule }),
    },
    async ({ params, req }) => ({
      schedule: view(await removeSchedule(p, req.org!.slug, params.name), []),
    }),
  );
}
