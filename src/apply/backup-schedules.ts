// Recurring backups with retention. A schedule is a row (what users see) and a pg-boss schedule keyed
// by the row's id (the timer, fired once across control planes, surviving restarts). Each occurrence
// queues an ordinary backup job (requestBackup) that carries its retention: once every volume and
// database is backed up, the job deletes the stack's good archives the retention does not keep (the
// newest `keepLast` of each, and the newest of each of the last `keepDaily` days and `keepWeekly`
// weeks; plan/backup.ts backupsToPrune). A schedule whose stack was removed goes with it (the row cascades;
// the timer unschedules itself the next time it fires).
import { BACKUP_SCHEDULE_TRIGGER } from "../domain/backup.js";
import { ConfigError } from "../domain/errors.js";
import {
  type BackupScheduleRow,
  deleteSchedule,
  listSchedules,
  putSchedule,
  scheduleById,
} from "../store/backups.js";
import { getStack, orgIdOf } from "../store/stacks.js";
import { requestBackup } from "./backups.js";
import type { Platform } from "./platform.js";

/** The next runs of `cron` as the schedule reads them; a ConfigError at `path` when it cannot. */
export function nextRuns(p: Platform, cron: string, o: { tz?: string; path: string }): Date[] {
  try {
    return p.jobs.nextRuns(cron, o.tz ? { tz: o.tz } : {});
  } catch (err) {
    throw new ConfigError(o.path, `is not a cron expression: ${(err as Error).message.slice(0, 200)}`);
  }
}

export async function setSchedule(
  p: Platform,
  o: {
    org: string;
    stack: string;
    cron: string;
    timezone?: string;
    keepLast: number;
    keepDaily?: number;
    keepWeekly?: number;
    requestedBy: string;
  },
): Promise<{ schedule: BackupScheduleRow; next: Date[] }> {
  const timezone = o.timezone ?? "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
  } catch {
    throw new ConfigError(
      "timezone",
      `'${timezone.slice(0, 64)}' is not an IANA time zone (like Europe/Paris)`,
    );
  }
  const next = nextRuns(p, o.cron, { tz: timezone, path: "cron" });
  const orgId = await orgIdOf(p.db, o.org);
  const stack = await getStack(p.db, orgId, o.stack);
  const schedule = await putSchedule(p.db, {
    orgId,
    stackId: stack.id,
    stack: o.stack,
    cron: o.cron,
    timezone,
    keepLast: o.keepLast,
    keepDaily: o.keepDaily ?? 0,
    keepWeekly: o.keepWeekly ?? 0,
    createdBy: o.requestedBy,
  });
  await p.jobs.schedule({
    trigger: BACKUP_SCHEDULE_TRIGGER,
    key: schedule.id,
    cron: o.cron,
    tz: timezone,
    data: { scheduleId: schedule.id },
  });
  return { schedule, next };
}

export async function viewSchedules(p: Platform, org: string) {
  const rows = await listSchedules(p.db, await orgIdOf(p.db, org));
  return rows.map((schedule) => ({ schedule, next: safeNext(p, schedule) }));
}

function safeNext(p: Platform, s: BackupScheduleRow): Date[] {
  try {
    return p.jobs.nextRuns(s.cron, { tz: s.timezone, count: 1 });
  } catch {
    return [];
  }
}

export async function removeSchedule(p: Platform, org: string, stack: string): Promise<BackupScheduleRow> {
  const row = await deleteSchedule(p.db, await orgIdOf(p.db, org), stack);
  await p.jobs.unschedule(BACKUP_SCHEDULE_TRIGGER, row.id);
  return row;
}

/** One occurrence: queue the stack's backup with its retention. */
export async function fireSchedule(p: Platform, data: Record<string, unknown>): Promise<void> {
  const id = String(data.scheduleId ?? "");
  const s = await scheduleById(p.db, id);
  if (!s) {
    await p.jobs.unschedule(BACKUP_SCHEDULE_TRIGGER, id);
    return;
  }
  try {
    const r = await requestBackup(p, {
      org: s.org,
      stack: s.stack,
      retention: { keepLast: s.keepLast, keepDaily: s.keepDaily, keepWeekly: s.keepWeekly },
      requestedBy: `schedule:${s.id}`,
      correlationId: `schedule-${s.id}-${Date.now()}`,
    });
    p.log.info({ schedule: s.id, job: r.jobId, stack: s.stack }, "scheduled backup queued");
  } catch (err) {
    // Nothing to back up now (the stack has no live revision, its volume is not there yet): the
    // next occurrence tries again.
    p.log.warn(
      { schedule: s.id, stack: s.stack, err: (err as Error).message },
      "scheduled backup not queued",
    );
  }
}
