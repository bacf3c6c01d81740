// `berth env ls|set|unset`: a running stack's environment variables. A change is a new revision from
// the live one's input (like `berth scale`), waited for like `berth deploy`. Values are stored and
// shown as given: secret values belong in compose `secrets:` (sealed at rest, mounted as files).
import type { Command } from "commander";
import type { z } from "zod";
import { parseAssignments, parseNames } from "../../config/env-name.js";
import { ConfigError } from "../../domain/errors.js";
import type * as R from "../../server/responses.js";
import type { ApiClient } from "../client.js";
import { clientFor } from "../globals.js";
import { printJson } from "../output.js";
import { failUnlessSucceeded, waitFor } from "./apps.js";

type StackEnv = z.infer<typeof R.stackEnv>;
type EnvSet = z.infer<typeof R.envSet>;

const envPath = (stack: string) => `/api/v1/stacks/${encodeURIComponent(stack)}/env`;

interface ChangeOpts {
  service?: string;
  wait: boolean;
  json?: boolean;
}

export function registerEnvCommands(program: Command): void {
  const env = program
    .command("env")
    .description("a running stack's environment variables (a change is a new revision, like scale)");

  env
    .command("ls")
    .description("list a service's variables as KEY=VALUE lines, as the live revision asked for them")
    .argument("<stack>", "stack name")
    .option("-s, --service <service>", "the service (needed when the stack has several)")
    .option("--json", "print the result as JSON")
    .action(async (stack: string, opts: { service?: string; json?: boolean }, cmd: Command) => {
      const res = await readEnv(clientFor(cmd), stack, opts.service);
      if (opts.json) return printJson(res);
      const lines = Object.entries(res.environment).map(([k, v]) => (v === null ? k : `${k}=${v}`));
      if (lines.length === 0) console.error(`${stack}/${res.service} has no environment variables`);
      else console.log(lines.join("\n"));
    });

  env
    .command("set")
    .description("set variables of a service (others kept): a new revision; waits until it runs")
    .argument("<stack>", "stack name")
    .argument("<KEY=VALUE...>", "variables to set")
    .option("-s, --service <service>", "the service (needed when the stack has several)")
    .option("--no-wait", "return once the deployment is accepted")
    .option("--json", "print the result as JSON")
    .action(async (stack: string, pairs: string[], opts: ChangeOpts, cmd: Command) => {
      const set = parseAssignments(pairs, "<KEY=VALUE>");
      await change(clientFor(cmd), stack, opts, (current) => ({ ...current, ...set }));
    });

  env
    .command("unset")
    .description("remove variables from a service: a new revision; waits until it runs")
    .argument("<stack>", "stack name")
    .argument("<KEY...>", "variables to remove")
    .option("-s, --service <service>", "the service (needed when the stack has several)")
    .option("--no-wait", "return once the deployment is accepted")
    .option("--json", "print the result as JSON")
    .action(async (stack: string, keys: string[], opts: ChangeOpts, cmd: Command) => {
      const names = parseNames(keys, "<KEY>");
      await change(clientFor(cmd), stack, opts, (current, service) => {
        const missing = names.filter((k) => !(k in current));
        if (missing.length > 0) {
          throw new ConfigError("<KEY>", `${stack}/${service} has no variable ${missing.join(", ")}`);
        }
        return Object.fromEntries(Object.entries(current).filter(([k]) => !names.includes(k)));
      });
    });
}

function readEnv(client: ApiClient, stack: string, service?: string): Promise<StackEnv> {
  const q = service === undefined ? "" : `?service=${encodeURIComponent(service)}`;
  return client.request<StackEnv>("GET", `${envPath(stack)}${q}`);
}

/** Reads the live revision's variables, applies `edit`, and asks for them based on that revision. */
async function change(
  client: ApiClient,
  stack: string,
  opts: ChangeOpts,
  edit: (current: StackEnv["environment"], service: string) => StackEnv["environment"],
): Promise<void> {
  const current = await readEnv(client, stack, opts.service);
  const res = await client.request<EnvSet>("PUT", envPath(stack), {
    service: current.service,
    environment: edit(current.environment, current.service),
    ...(current.live ? { base: current.revision } : {}),
  });
  const final = opts.wait ? await waitFor(client, res.deployment, !opts.json) : res.deployment;
  if (opts.json) {
    printJson({ deployment: final, service: res.service, base: res.base, changes: res.changes });
  } else if (final.status === "succeeded" || !opts.wait) {
    const c = res.changes;
    const said = [
      c.added.length ? `added ${c.added.join(", ")}` : "",
      c.changed.length ? `changed ${c.changed.join(", ")}` : "",
      c.removed.length ? `removed ${c.removed.join(", ")}` : "",
    ].filter(Boolean);
    console.log(
      `${final.stack} revision ${final.revision} (${res.service}: ${said.join("; ") || "no change"}, from revision ${res.base}) ${final.status}`,
    );
  }
  if (opts.wait) failUnlessSucceeded(final);
}
