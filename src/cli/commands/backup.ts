// `berth backup create|ls|verify|restore|rm`: archives of a stack's volumes in the backup store.
// create, verify and restore are jobs: the command follows the job's log (bytes and percent) until it
// ends, unless --no-wait.
import type { Command } from "commander";
import type { z } from "zod";
import { formatBytes } from "../../plan/backup.js";
import type * as R from "../../server/responses.js";
import { type ApiClient, CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { clientFor } from "../globals.js";
import { printJson, table } from "../output.js";
import { waitForJob } from "./jobs.js";

type Backup = z.infer<typeof R.backup>;
type Job = z.infer<typeof R.job>;

const path = (id: string) => `/api/v1/backups/${encodeURIComponent(id)}`;

const size = (n: number | null): string => (n === null ? "" : formatBytes(n));

async function getBackup(client: ApiClient, id: string): Promise<Backup> {
  return (await client.request<{ backup: Backup }>("GET", path(id))).backup;
}

/** A job that did not succeed: exit 4 when it found the archive corrupt, else 1. */
function failJob(what: string, job: Job, corrupt: boolean): never {
  throw new CliError(`${what} ${job.status}: ${job.error ?? ""}`, corrupt ? EXIT.conflict : EXIT.failed);
}

export function registerBackupCommands(program: Command): void {
  const backup = program
    .command("backup")
    .description("back up a stack's volumes, list, verify, restore and remove backups");

  backup
    .command("create")
    .description(
      "archive a stack's volumes (all of its own by default) into the backup store, one backup per volume; the stack keeps running. With --db: a pg_dump of a managed database",
    )
    .argument("[stack]", "stack name")
    .option("--db <name>", "back up this managed database instead of a stack's volumes")
    .option(
      "--volume <volume>",
      "only this volume (repeatable)",
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option("--no-wait", "return once the backup job is queued")
    .option("--json", "print the result as JSON")
    .action(
      async (
        stackArg: string | undefined,
        opts: { volume: string[]; db?: string; wait: boolean; json?: boolean },
        cmd: Command,
      ) => {
        if ((stackArg === undefined) === (opts.db === undefined)) {
          throw new CliError("give either a stack or --db <name>", EXIT.invalidInput);
        }
        const stack = stackArg ?? `database ${opts.db}`;
        const client = clientFor(cmd);
        const res = await client.request<z.infer<typeof R.backupQueued>>(
          "POST",
          "/api/v1/backups",
          opts.db !== undefined
            ? { database: opts.db, ...(opts.volume.length ? { volumes: opts.volume } : {}) }
            : { stack, ...(opts.volume.length ? { volumes: opts.volume } : {}) },
        );
        if (!opts.wait) {
          if (opts.json) printJson(res);
          else
            console.log(
              `backup of ${stack} queued: job ${res.jobId} (${res.backups.map((b) => b.id).join(", ")})`,
            );
          return;
        }
        const job = await waitForJob(client, res.jobId, { human: !opts.json, label: `backup of ${stack}` });
        const backups = await Promise.all(res.backups.map((b) => getBackup(client, b.id)));
        if (opts.json) printJson({ jobId: res.jobId, job, backups });
        else
          for (const b of backups)
            console.log(
              `${b.id}  ${b.volume}  ${b.status}  ${size(b.sizeBytes)}  ${b.reason ?? b.sha256 ?? ""}`,
            );
        if (job.status !== "succeeded") failJob(`backup of ${stack}`, job, false);
      },
    );

  backup
    .command("ls")
    .description("list backups, newest first")
    .option("--stack <stack>", "only this stack's")
    .option("--json", "print the result as JSON")
    .action(async (opts: { stack?: string; json?: boolean }, cmd: Command) => {
      const q = opts.stack === undefined ? "" : `?stack=${encodeURIComponent(opts.stack)}`;
      const res = await clientFor(cmd).request<z.infer<typeof R.backupList>>("GET", `/api/v1/backups${q}`);
      if (opts.json) return printJson(res);
      if (!res.backups.length) return console.log("no backups");
      console.log(
        table(
          ["ID", "STACK", "VOLUME / DATABASE", "STATUS", "SIZE", "ENCRYPTED", "CREATED", "SHA256 / REASON"],
          res.backups.map((b) => [
            b.id,
            b.kind === "database" ? "(database)" : b.stack,
            b.volume,
            b.status,
            size(b.sizeBytes),
            b.encrypted ? "yes" : "no",
            b.createdAt ?? "",
            b.reason ?? b.sha256 ?? "",
          ]),
        ),
      );
    });

  backup
    .command("verify")
    .description(
      "re-read a backup's archive end to end: its sha256 and, when encrypted, every chunk's authentication (exit 4 when corrupt)",
    )
    .argument("<id>", "backup id")
    .option("--json", "print the result as JSON")
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const res = await client.request<z.infer<typeof R.backupJob>>("POST", `${path(id)}/verify`);
      const job = await waitForJob(client, res.jobId, { human: !opts.json, label: `verify of ${id}` });
      const b = await getBackup(client, id);
      if (opts.json) printJson({ jobId: res.jobId, job, backup: b, ok: job.status === "succeeded" });
      else if (job.status === "succeeded")
        console.log(`${id}: ok (${size(b.sizeBytes)}, sha256 ${b.sha256})`);
      if (job.status !== "succeeded") failJob(`verify of ${id}`, job, b.status === "corrupt");
    });

  backup
    .command("restore")
    .description(
      "restore a volume backup into its stack (or --into another stack with a volume of that name): the archive is checked end to end first (a corrupt one is refused, exit 4, nothing changed); then the services that mount the volume stop, its contents are replaced, and they start again with the replicas they had. A database backup: pg_restore --clean into its database (or --into another database)",
    )
    .argument("<id>", "backup id")
    .option("--into <stack>", "restore into this stack (or, for a database backup, this database) instead")
    .option("--no-wait", "return once the restore job is queued")
    .option("--json", "print the result as JSON")
    .action(async (id: string, opts: { into?: string; wait: boolean; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const res = await client.request<z.infer<typeof R.restoreQueued>>(
        "POST",
        `${path(id)}/restore`,
        opts.into === undefined ? {} : { into: opts.into },
      );
      if (!opts.wait) {
        if (opts.json) printJson(res);
        else console.log(`restore of ${id} into ${res.stack} queued: job ${res.jobId}`);
        return;
      }
      const job = await waitForJob(client, res.jobId, {
        human: !opts.json,
        label: `restore into ${res.stack}`,
      });
      const b = await getBackup(client, id);
      if (opts.json) printJson({ ...res, job, backup: b });
      else if (job.status === "succeeded" && b.kind === "database") {
        console.log(`restored database backup ${id} into database ${res.volume}`);
      } else if (job.status === "succeeded") {
        const svc = res.services.map((s) => `${s.name} (${s.replicas})`).join(", ");
        console.log(
          `restored ${b.volume} of backup ${id} into ${res.stack}${svc ? `; restarted ${svc}` : ""}`,
        );
      }
      if (job.status !== "succeeded") failJob(`restore of ${id}`, job, b.status === "corrupt");
    });

  registerScheduleCommands(backup);

  backup
    .command("rm")
    .description("delete a backup's archive and its record")
    .argument("<id>", "backup id")
    .option("--json", "print the result as JSON")
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<{ backup: Backup }>("DELETE", path(id));
      if (opts.json) printJson(res);
      else console.log(`removed backup ${id} (${res.backup.stack}/${res.backup.volume})`);
    });
}

type Schedule = z.infer<typeof R.backupSchedule>;

function registerScheduleCommands(backup: Command): void {
  const schedule = backup
    .command("schedule")
    .description("back up stacks on a cron schedule, keeping the newest N archives of each volume");

  schedule
    .command("set")
    .description("create or replace a stack's backup schedule")
    .argument("<stack>", "stack name")
    .requiredOption("--cron <expression>", "cron expression, e.g. '0 3 * * *' (every day at 03:00)")
    .requiredOption("--keep-last <n>", "good archives kept per volume; older ones are deleted after each run")
    .option("--keep-daily <n>", "besides: the newest archive of each of the last n days (UTC)")
    .option("--keep-weekly <n>", "besides: the newest archive of each of the last n ISO weeks (UTC)")
    .option("--timezone <tz>", "IANA time zone the expression is read in", "UTC")
    .option("--json", "print the result as JSON")
    .action(
      async (
        stack: string,
        opts: {
          cron: string;
          keepLast: string;
          keepDaily?: string;
          keepWeekly?: string;
          timezone: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const whole = (v: string, flag: string, min: number) => {
          const n = Number(v);
          if (!/^\d+$/.test(v) || n < min || n > 1000)
            throw new CliError(`${flag}: must be a whole number from ${min} to 1000`, EXIT.invalidInput);
          return n;
        };
        const keepLast = whole(opts.keepLast, "--keep-last", 1);
        const res = await clientFor(cmd).request<{ schedule: Schedule }>(
          "PUT",
          `/api/v1/stacks/${encodeURIComponent(stack)}/backup-schedule`,
          {
            cron: opts.cron,
            timezone: opts.timezone,
            keepLast,
            ...(opts.keepDaily === undefined ? {} : { keepDaily: whole(opts.keepDaily, "--keep-daily", 0) }),
            ...(opts.keepWeekly === undefined
              ? {}
              : { keepWeekly: whole(opts.keepWeekly, "--keep-weekly", 0) }),
          },
        );
        if (opts.json) return printJson(res);
        const s = res.schedule;
        const more = `${s.keepDaily ? `, ${s.keepDaily} daily` : ""}${s.keepWeekly ? `, ${s.keepWeekly} weekly` : ""}`;
        console.log(
          `${stack}: backed up at '${s.cron}' (${s.timezone}), keeping ${s.keepLast}${more}; next ${s.next[0] ?? "never"}`,
        );
      },
    );

  schedule
    .command("ls")
    .description("list backup schedules")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<{ schedules: Schedule[] }>("GET", "/api/v1/backup-schedules");
      if (opts.json) return printJson(res);
      if (!res.schedules.length) return console.log("no backup schedules");
      console.log(
        table(
          ["STACK", "CRON", "TIMEZONE", "KEEP", "NEXT"],
          res.schedules.map((s) => [s.stack, s.cron, s.timezone, String(s.keepLast), s.next[0] ?? ""]),
        ),
      );
    });

  schedule
    .command("rm")
    .description("stop backing up a stack on a schedule (its backups stay)")
    .argument("<stack>", "stack name")
    .option("--json", "print the result as JSON")
    .action(async (stack: string, opts: { json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<{ schedule: Schedule }>(
        "DELETE",
        `/api/v1/stacks/${encodeURIComponent(stack)}/backup-schedule`,
      );
      if (opts.json) printJson(res);
      else console.log(`${stack}: no longer backed up on a schedule`);
    });
}
