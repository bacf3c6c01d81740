// `berth jobs`, `berth job`, `berth cancel`, `berth drift`: the durable work Berth does.
import type { Command } from "commander";
import type { z } from "zod";
import type * as R from "../../server/responses.js";
import { type ApiClient, CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { clientFor } from "../globals.js";
import { type JobLogLine as LogLine, watchJob } from "../job-events.js";
import { printJson, progressReporter, table } from "../output.js";

interface JobView {
  id: string;
  type: string;
  target: string;
  status: string;
  progress: number;
  attempts: number;
  error: string | null;
  /** A queued deploy: the revision of its stack it waits for. */
  queuedBehind?: number | null;
  createdAt: string;
}

/** `queued behind revision 3` for a deploy waiting its turn, else the status. */
function statusText(j: JobView): string {
  return j.status === "queued" && j.queuedBehind ? `queued behind revision ${j.queuedBehind}` : j.status;
}
interface DriftItem {
  kind: string;
  org: string;
  stack: string;
  service?: string;
  fields?: string[];
  swarmName?: string;
  reason?: string;
}

export function registerJobCommands(program: Command): void {
  program
    .command("jobs")
    .description("list recent jobs (deploys, repairs, ...), newest first")
    .option("--limit <n>", "how many", "20")
    .option("--json", "print the result as JSON")
    .action(async (opts: { limit: string; json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<{ jobs: JobView[]; nextCursor: string | null }>(
        "GET",
        `/api/v1/jobs?limit=${encodeURIComponent(opts.limit)}`,
      );
      if (opts.json) return printJson(res);
      if (!res.jobs.length) return console.log("no jobs yet");
      console.log(
        table(
          ["ID", "TYPE", "TARGET", "STATUS", "PROGRESS", "ATTEMPTS", "CREATED", "ERROR"],
          res.jobs.map((j) => [
            j.id,
            j.type,
            j.target,
            statusText(j),
            `${j.progress}%`,
            String(j.attempts),
            j.createdAt,
            j.error ?? "",
          ]),
        ),
      );
    });

  program
    .command("job")
    .description("show a job and its log lines")
    .argument("<id>", "job id")
    .option("-f, --follow", "keep printing log lines until the job ends")
    .option("--json", "print the result as JSON")
    .action(async (id: string, opts: { follow?: boolean; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const res = await getJob(client, id, 0);
      if (opts.json && !opts.follow) return printJson(res);
      if (!opts.json)
        console.log(`${res.job.type} ${res.job.target}: ${statusText(res.job)} (${res.job.progress}%)`);
      const print = (l: LogLine) =>
        opts.json ? printJson(l) : console.log(`${l.at}  ${l.level.padEnd(5)}  ${l.message}`);
      if (!opts.follow) return res.logs.forEach(print);
      const job = await watchJob(client, id, print);
      if (!opts.json) console.log(`${job.status}${job.error ? `: ${job.error}` : ""}`);
      if (job.status !== "succeeded") process.exitCode = EXIT.failed;
    });

  program
    .command("cancel")
    .description("cancel a queued or running job")
    .argument("<id>", "job id")
    .option("--json", "print the result as JSON")
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<{ job: JobView }>(
        "POST",
        `/api/v1/jobs/${encodeURIComponent(id)}/cancel`,
      );
      if (opts.json) printJson(res);
      else
        console.log(
          res.job.status === "cancelled" ? "cancelled" : "cancel requested; the job stops at its next step",
        );
    });

  program
    .command("drift")
    .description("show where Swarm differs from what Berth deployed (and repair it with --repair)")
    .option("--repair", "set Berth's own services back to their last successful deployment")
    .option("--json", "print the result as JSON")
    .action(async (opts: { repair?: boolean; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      if (opts.repair) {
        const { job } = await client.request<{ job: JobView }>("POST", "/api/v1/drift/repair");
        await watchJob(client, job.id);
        const res = await getJob(client, job.id, 0);
        if (opts.json) printJson(res);
        else for (const l of res.logs) console.log(l.message);
        if (res.job.status !== "succeeded") {
          throw new CliError(`repair ${res.job.status}: ${res.job.error ?? ""}`, EXIT.failed);
        }
        return;
      }
      const { drift } = await client.request<{ drift: DriftItem[] }>("GET", "/api/v1/drift");
      if (opts.json) return printJson({ drift });
      if (!drift.length) return console.log("no drift: Swarm runs what Berth deployed");
      console.log(
        table(
          ["KIND", "STACK", "SERVICE", "DETAIL"],
          drift.map((d) => [
            d.kind,
            d.stack,
            d.service ?? "",
            d.fields?.join(",") ?? d.swarmName ?? d.reason ?? "",
          ]),
        ),
      );
    });
}

function getJob(client: ApiClient, id: string, after: number) {
  return client.request<{ job: JobView; logs: LogLine[] }>(
    "GET",
    `/api/v1/jobs/${encodeURIComponent(id)}?after=${after}`,
  );
}

/** Follows a job until it ends, showing its log lines as progress; returns it as it ended. */
export async function waitForJob(
  client: ApiClient,
  id: string,
  o: { human: boolean; label: string },
): Promise<z.infer<typeof R.job>> {
  const { show, end } = progressReporter(o.human);
  show(`${o.label}: queued`);
  const job = await watchJob(client, id, (l) => show(`${o.label}: ${l.message}`));
  end(job.status === "succeeded", `${o.label}: ${job.error ?? job.status}`);
  return job;
}

/**
 * Follows a job the API queued (`{"jobId"}`) until it ends, showing its log lines as progress, and
 * returns its result; exit 1 with its error when it did not succeed. Undefined with `wait` false: the
 * job id is printed instead.
 */
export async function followJob(
  client: ApiClient,
  jobId: string,
  o: { wait: boolean; json?: boolean; label: string },
): Promise<Record<string, unknown> | undefined> {
  if (!o.wait) {
    if (o.json) printJson({ jobId });
    else console.log(`${o.label}: queued as job ${jobId} (berth job ${jobId} --follow)`);
    return undefined;
  }
  const job = await waitForJob(client, jobId, { human: !o.json, label: o.label });
  if (job.status !== "succeeded") {
    throw new CliError(`${o.label} ${job.status}: ${job.error ?? ""}`, EXIT.failed);
  }
  return job.result ?? {};
}
