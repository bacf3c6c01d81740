// `berth scale`, `berth restart`, `berth status`, `berth logs`: running a stack after its deployment.
// Scale is a new revision, waited for like `berth deploy`; restart is a job on the same revision.
import type { Command } from "commander";
import type { z } from "zod";
import { parseReplicas } from "../../config/replicas.js";
import type * as R from "../../server/responses.js";
import { CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { clientFor } from "../globals.js";
import { printJson, table } from "../output.js";
import { failUnlessSucceeded, listStacks, waitFor } from "./apps.js";
import { waitForJob } from "./jobs.js";
import { logsCommand } from "./logs.js";

type Scaled = z.infer<typeof R.scaled>;
type Restarted = z.infer<typeof R.restarted>;
type StackStatus = z.infer<typeof R.stackStatus>;

const stackPath = (name: string) => `/api/v1/stacks/${encodeURIComponent(name)}`;

export function registerDay2Commands(program: Command): void {
  program
    .command("scale")
    .description(
      "set a service's replica count: a new revision from the live one's input (history shows it, rollback can go back); waits until it runs",
    )
    .argument("<stack>", "stack name")
    .argument("<replicas>", "number of tasks, 0 to 100")
    .option("-s, --service <service>", "the service to scale (needed when the stack has several)")
    .option("--no-wait", "return once the deployment is accepted")
    .option("--json", "print the result as JSON")
    .action(
      async (
        stack: string,
        replicasText: string,
        opts: { service?: string; wait: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const replicas = parseReplicas(replicasText, "<replicas>");
        const client = clientFor(cmd);
        const res = await client.request<Scaled>("POST", `${stackPath(stack)}/scale`, {
          replicas,
          ...(opts.service === undefined ? {} : { service: opts.service }),
        });
        const final = opts.wait ? await waitFor(client, res.deployment, !opts.json) : res.deployment;
        if (opts.json) {
          const view = (await listStacks(client)).find((s) => s.name === final.stack);
          printJson({ deployment: final, service: res.service, replicas, base: res.base, stack: view });
        } else if (final.status === "succeeded" || !opts.wait) {
          console.log(
            `${final.stack} revision ${final.revision} (${res.service} scaled to ${replicas}, from revision ${res.base}) ${final.status}`,
          );
        }
        if (opts.wait) failUnlessSucceeded(final);
      },
    );

  program
    .command("restart")
    .description(
      "replace the tasks of a stack's services (or one), one at a time by their update policy, without a new revision; waits until the new tasks run",
    )
    .argument("<stack>", "stack name")
    .option("-s, --service <service>", "only this service")
    .option("--no-wait", "return once the restart is queued")
    .option("--json", "print the result as JSON")
    .action(
      async (stack: string, opts: { service?: string; wait: boolean; json?: boolean }, cmd: Command) => {
        const client = clientFor(cmd);
        const res = await client.request<Restarted>(
          "POST",
          `${stackPath(stack)}/restart`,
          opts.service === undefined ? {} : { service: opts.service },
        );
        if (!opts.wait) {
          if (opts.json) printJson(res);
          else console.log(`restart of ${stack} (${res.services.join(", ")}) queued: job ${res.jobId}`);
          return;
        }
        const job = await waitForJob(client, res.jobId, { human: !opts.json, label: `restart of ${stack}` });
        if (opts.json) printJson({ ...res, job });
        else if (job.status === "succeeded") console.log(`restarted ${stack}: ${res.services.join(", ")}`);
        if (job.status !== "succeeded") {
          throw new CliError(`restart of ${stack} ${job.status}: ${job.error ?? ""}`, EXIT.failed);
        }
      },
    );

  program
    .command("status")
    .description(
      "a stack's newest revision and, while a deployment or restart runs, its job's progress; running/desired tasks per service",
    )
    .argument("<stack>", "stack name")
    .option("--json", "print the result as JSON")
    .action(async (stack: string, opts: { json?: boolean }, cmd: Command) => {
      const s = await clientFor(cmd).request<StackStatus>("GET", `${stackPath(stack)}/status`);
      if (opts.json) return printJson(s);
      const d = s.deployment;
      const live = s.live === null ? "no live revision" : s.live === d.revision ? "live" : `live: ${s.live}`;
      console.log(
        `${s.stack} revision ${d.revision} ${d.queuedBehind ? `queued behind revision ${d.queuedBehind}` : d.status} (${live})${d.reason ? `: ${d.reason}` : ""}`,
      );
      if (s.job) {
        console.log(
          `${s.job.type} job ${s.job.id} ${s.job.status} ${s.job.progress}%${s.job.message ? `: ${s.job.message}` : ""}`,
        );
      }
      console.log(
        table(
          ["SERVICE", "RUNNING", "IMAGE"],
          s.services.map((svc) => [svc.name, `${svc.running}/${svc.desired}`, svc.image]),
        ),
      );
    });

  logsCommand(program.command("logs"));
}
