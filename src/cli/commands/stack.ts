// `berth stack ...`: compose stacks. Files are loaded here, like `docker stack deploy -c`: variables
// come from this shell's environment, env_file and secret/config files are read next to the compose
// file; the server receives the merged document and validates it again.
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Command } from "commander";
import type { RemovedStack, StackView } from "../../apply/stacks.js";
import { refuseOversizedBody } from "../../config/limits.js";
import { ConfigError } from "../../domain/errors.js";
import { clientFor } from "../globals.js";
import { printJson, table } from "../output.js";
import { type DeploymentView, failUnlessSucceeded, queuedText, urlsOf, waitFor } from "./apps.js";
import { followJob } from "./jobs.js";
import { logsCommand } from "./logs.js";
import { buildStack } from "./stack-build.js";

interface FileOptions {
  composeFile: string[];
  name?: string;
  json?: boolean;
}

async function loadBody(opts: FileOptions) {
  if (opts.composeFile.length === 0)
    throw new ConfigError("-c", "name at least one compose file (-c stack.yml)");
  const files = opts.composeFile.map((f) => {
    try {
      return { name: f, text: readFileSync(f, "utf8") };
    } catch (err) {
      throw new ConfigError(f, `cannot read: ${(err as Error).message}`);
    }
  });
  // Loaded here, not at start: the YAML parser and schema validator are most of a command's start.
  const { loadCompose, stackNameOf } = await import("../../config/compose/index.js");
  const compose = loadCompose(files, { env: process.env, readFile: (p) => readFileSync(p) });
  // Like docker, the stack is named by --name, else by the compose `name:`, else by the directory.
  const name = stackNameOf(opts.name, compose, basename(dirname(resolve(files[0]!.name))));
  const { name: _n, ...rest } = compose;
  const body = { name, compose: rest };
  refuseOversizedBody(body, opts.composeFile.join(", "));
  return body;
}

function printWarnings(warnings: string[]) {
  for (const w of warnings) console.error(`${w}\n`);
}

const collect = (v: string, prev: string[]) => [...prev, v];

function withFiles(cmd: Command): Command {
  return cmd
    .option(
      "-c, --compose-file <file>",
      "compose file (repeatable; later files override earlier ones)",
      collect,
      [],
    )
    .option("--name <name>", "stack name (default: the compose file's `name`, else its directory)");
}

export function registerStackCommands(program: Command): void {
  const stack = program.command("stack").description("compose stacks: deploy, diff, render, ps, logs, rm");

  withFiles(stack.command("render"))
    .description("print the Swarm create bodies Berth would send, without touching the swarm")
    .option("--format <format>", "output format (json)", "json")
    .action(async (opts: FileOptions & { format: string }, cmd: Command) => {
      if (opts.format !== "json")
        throw new ConfigError("--format", `'${opts.format}' is not supported (json)`);
      const rendered = await clientFor(cmd).request<{ warnings: string[] }>(
        "POST",
        "/api/v1/stacks/render",
        await loadBody(opts),
      );
      printWarnings(rendered.warnings);
      printJson(rendered);
    });

  withFiles(stack.command("diff"))
    .description("show what deploying these files would change, service by service")
    .option("--json", "print the result as JSON")
    .action(async (opts: FileOptions, cmd: Command) => {
      const body = await loadBody(opts);
      const diff = await clientFor(cmd).request<{
        services: { service: string; action: string; fields?: string[] }[];
        warnings: string[];
      }>("POST", "/api/v1/stacks/diff", body);
      if (opts.json) return printJson(diff);
      printWarnings(diff.warnings);
      const sign: Record<string, string> = { create: "+", update: "~", remove: "-", none: "=" };
      for (const s of diff.services) {
        console.log(
          `${sign[s.action] ?? "?"} ${body.name}/${s.service}${s.fields ? ` (${s.fields.join(", ")})` : ""}`,
        );
      }
    });

  withFiles(stack.command("deploy"))
    .description("deploy compose files as a stack (create or update in place, prune removed services)")
    .option("--no-wait", "return once the deployment is accepted")
    .option(
      "--build",
      "first build each service that has `build:` on the Engine's node (its context sent, honouring .dockerignore), then deploy the stack with those images",
    )
    .option("--json", "print the result as JSON")
    .action(async (opts: FileOptions & { wait: boolean; build?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const body = await loadBody(opts);
      if (opts.build) await buildStack(client, body, dirname(resolve(opts.composeFile[0]!)), !opts.json);
      const res = await client.request<{ deployment: DeploymentView; warnings: string[] }>(
        "POST",
        "/api/v1/stacks/deploy",
        body,
      );
      printWarnings(res.warnings);
      const final = opts.wait ? await waitFor(client, res.deployment, !opts.json) : res.deployment;
      if (opts.json) printJson({ deployment: final, warnings: res.warnings });
      else {
        const status = final.status === "pending" ? queuedText(final) : final.status;
        console.log(`${final.stack} revision ${final.revision} ${status}`);
      }
      if (opts.wait) failUnlessSucceeded(final);
    });

  stack
    .command("ps")
    .description("a stack's services and their tasks")
    .argument("<name>", "stack name")
    .option("--json", "print the result as JSON")
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const { stack: s } = await client.request<{ stack: StackView }>(
        "GET",
        `/api/v1/stacks/${encodeURIComponent(name)}`,
      );
      if (opts.json) return printJson({ stack: s, urls: urlsOf(client, s) });
      console.log(`${s.name} revision ${s.revision} ${s.status}${s.reason ? `: ${s.reason}` : ""}`);
      const rows = s.services.flatMap((svc) =>
        svc.tasks.length
          ? svc.tasks.map((t) => [
              svc.name,
              `${svc.running}/${svc.replicas}`,
              svc.image,
              `${t.slot ?? "-"}`,
              t.state,
              t.error ?? "",
            ])
          : [[svc.name, `${svc.running}/${svc.replicas}`, svc.image, "-", "-", ""]],
      );
      console.log(table(["SERVICE", "RUNNING", "IMAGE", "SLOT", "STATE", "ERROR"], rows));
    });

  logsCommand(stack.command("logs"));

  stack
    .command("rm")
    .description("remove a stack: services, then its networks, secrets and configs (volumes with --volumes)")
    .argument("<name>", "stack name")
    .option("--volumes", "also remove the stack's volumes (their data is lost)")
    .option("--no-wait", "return once the removal job is queued")
    .option("--json", "print the result as JSON")
    .action(
      async (name: string, opts: { volumes?: boolean; wait: boolean; json?: boolean }, cmd: Command) => {
        const client = clientFor(cmd);
        const { jobId } = await client.request<{ jobId: string }>(
          "DELETE",
          `/api/v1/stacks/${encodeURIComponent(name)}${opts.volumes ? "?volumes=true" : ""}`,
        );
        const result = (await followJob(client, jobId, { ...opts, label: `removing ${name}` })) as
          | RemovedStack
          | undefined;
        if (!result) return;
        if (opts.json) printJson({ ...result, jobId });
        else {
          console.log(
            `removed ${name}: ${result.removed.length} services, ${result.networks} networks, ${result.secrets} secrets, ${result.configs} configs, ${result.volumes} volumes`,
          );
          if (result.left.length) console.error(`still in use, left for now: ${result.left.join(", ")}`);
        }
      },
    );
}
