// `berth deploy`, `berth ps`, `berth rm`: the short form of a stack, through the API.
import type { Command } from "commander";
import type { z } from "zod";
import type { StackView } from "../../apply/stacks.js";
import { parseShortForm } from "../../config/short-form.js";
import { ConfigError } from "../../domain/errors.js";
import { ROUTES_SYNC_LINE } from "../../domain/system.js";
import type * as R from "../../server/responses.js";
import { type ApiClient, CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { clientFor } from "../globals.js";
import { watchJob } from "../job-events.js";
import { printJson, progressReporter, table } from "../output.js";
import { BUILD_PLACEHOLDER, deployBuild, sourceOf } from "./build.js";
import { waitForSync } from "./domains.js";
import { followJob } from "./jobs.js";

/** A deployment as the API answers it. */
export type DeploymentView = z.infer<typeof R.deployment>;
type DomainView = z.infer<typeof R.domain>;

const TERMINAL = new Set(["succeeded", "failed", "rolled_back", "cancelled"]);

export function registerAppCommands(program: Command): void {
  program
    .command("deploy")
    .description(
      "deploy an image (or one built from a directory) as a one-service stack (create, or update in place) and wait until it runs",
    )
    .option("--image <ref>", "image reference, e.g. local/berth-demo:1")
    .option(
      "--build <dir>",
      "build the image from this directory (honouring its .dockerignore), then deploy it",
    )
    .option("--dockerfile <path>", "with --build: the Dockerfile, relative to the directory", "Dockerfile")
    .option("--build-arg <KEY=VALUE>", "with --build: a build argument (repeatable)", collect, [] as string[])
    .option("--target <stage>", "with --build: the stage to build")
    .requiredOption("--name <name>", "stack name: lowercase letters, digits and '-'")
    .requiredOption("--port <port>", "port the container listens on")
    .option("--publish <port>", "host port to publish on (default: the next free one from 30000)")
    .option("--replicas <n>", "number of tasks", "1")
    .option("-e, --env <KEY=VALUE>", "environment variable (repeatable)", collect, [] as string[])
    .option(
      "--domain <host>",
      "route this host name to --port through the proxy (repeatable); the port then gets no host port unless --publish",
      collect,
      [] as string[],
    )
    .option("--domain-tls <mode>", "TLS of the --domain routes: acme, internal or off", "acme")
    .option(
      "--db <name>",
      "attach a managed database (berth db create): secret /run/secrets/DATABASE_URL, PGHOST/PGPORT/PGDATABASE/PGUSER in env (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--health-cmd <command>",
      `health check: a shell command, or a JSON array for exec form ('["/app/check"]'); default: Berth's check that the port listens`,
    )
    .option("--health-interval <duration>", "time between checks (default 5s)")
    .option("--health-timeout <duration>", "time one check may take (default 3s)")
    .option("--health-retries <n>", "failures in a row that make a task unhealthy (default 3)")
    .option("--health-start-period <duration>", "time to start before failures count (default 30s)")
    .option("--no-healthcheck", "run no health check at all (not Berth's, not the image's)")
    .option("--update-parallelism <n>", "tasks updated at once (default 1)")
    .option("--update-delay <duration>", "pause between batches of tasks (default 0s)")
    .option("--update-monitor <duration>", "time each updated task is watched for failure (default 5s)")
    .option(
      "--update-order <order>",
      "start-first or stop-first (default start-first, stop-first with a host-mode port)",
    )
    .option("--update-failure-action <action>", "rollback, pause or continue (default rollback)")
    .option("--update-max-failure-ratio <ratio>", "share of tasks that may fail, 0 to 1 (default 0)")
    .option("--dry-run", "print the Swarm bodies Berth would send (health check included) and deploy nothing")
    .option("--no-wait", "return once the deployment is accepted")
    .option("--json", "print the result as JSON")
    .action(async (opts: DeployOptions, cmd: Command) => {
      const healthcheck = healthcheckOf(opts);
      const source = sourceOf(opts);
      const body = {
        name: opts.name,
        image: source.kind === "image" ? source.image : BUILD_PLACEHOLDER,
        port: toNumber(opts.port),
        replicas: toNumber(opts.replicas),
        ...(opts.publish === undefined ? {} : { publish: toNumber(opts.publish) }),
        env: parseEnv(opts.env),
        ...(opts.domain.length
          ? { domains: opts.domain.map((host) => ({ host, tls: opts.domainTls })) }
          : {}),
        ...(healthcheck ? { healthcheck } : {}),
        ...updateOf(opts),
        ...(opts.db.length ? { databases: opts.db } : {}),
      };
      parseShortForm(body); // refuse bad input here, before anything is sent
      const client = clientFor(cmd);
      if (source.kind === "build") {
        const { image: _placeholder, ...fields } = body;
        return deployBuild(client, { dir: source.dir, options: source.options, fields, opts });
      }
      if (opts.dryRun) {
        const rendered = await client.request<{ warnings: string[] }>(
          "POST",
          "/api/v1/deployments/render",
          body,
        );
        for (const w of rendered.warnings) console.error(w);
        return printJson(rendered);
      }
      const { deployment } = await client.request<{ deployment: DeploymentView }>(
        "POST",
        "/api/v1/deployments",
        body,
      );
      await reportDeployment(client, { deployment, domains: opts.domain, wait: opts.wait, json: opts.json });
    });

  program
    .command("ps")
    .description("list stacks, their services and task states")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const stacks = await listStacks(client);
      if (opts.json) return printJson({ stacks });
      if (stacks.length === 0) return console.log("no stacks; deploy one with 'berth deploy'");
      const rows: string[][] = [];
      for (const s of stacks) {
        for (const svc of s.services) {
          const states = svc.tasks
            .map((t) => `${t.slot ?? "-"}:${t.state}${t.error ? `(${t.error})` : ""}`)
            .join(" ");
          rows.push([
            s.name,
            svc.name,
            revisionText(s),
            s.status,
            `${svc.running}/${svc.replicas}`,
            svc.image,
            svc.ports.join(","),
            states,
          ]);
        }
        if (s.services.length === 0)
          rows.push([s.name, "-", revisionText(s), s.status, "0/0", "-", "-", "no services"]);
      }
      console.log(table(["STACK", "SERVICE", "REV", "STATUS", "RUNNING", "IMAGE", "PORTS", "TASKS"], rows));
    });

  program
    .command("rm")
    .description("remove a stack and its services")
    .argument("<name>", "stack name")
    .option("--no-wait", "return once the removal job is queued")
    .option("--json", "print the result as JSON")
    .action(async (name: string, opts: { wait: boolean; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const { jobId } = await client.request<{ jobId: string }>(
        "DELETE",
        `/api/v1/stacks/${encodeURIComponent(name)}`,
      );
      const result = await followJob(client, jobId, { ...opts, label: `removing ${name}` });
      if (!result) return;
      if (opts.json) printJson({ ...result, jobId });
      else console.log(`removed ${name} (${(result as { removed: string[] }).removed.length} services)`);
    });
}

export interface DeployOptions {
  domain: string[];
  domainTls: string;
  db: string[];
  image?: string;
  build?: string;
  dockerfile: string;
  buildArg: string[];
  target?: string;
  name: string;
  port: string;
  publish?: string;
  replicas: string;
  env: string[];
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  /** False with --no-healthcheck. */
  healthcheck: boolean;
  updateParallelism?: string;
  updateDelay?: string;
  updateMonitor?: string;
  updateOrder?: string;
  updateFailureAction?: string;
  updateMaxFailureRatio?: string;
  dryRun?: boolean;
  wait: boolean;
  json?: boolean;
}

/** The short form's `healthcheck` from the --health-* flags (docker service create's names). */
function healthcheckOf(o: DeployOptions): Record<string, unknown> | undefined {
  const given = {
    ...(o.healthCmd === undefined ? {} : { test: healthTest(o.healthCmd) }),
    ...(o.healthInterval === undefined ? {} : { interval: o.healthInterval }),
    ...(o.healthTimeout === undefined ? {} : { timeout: o.healthTimeout }),
    ...(o.healthRetries === undefined ? {} : { retries: toNumber(o.healthRetries) }),
    ...(o.healthStartPeriod === undefined ? {} : { startPeriod: o.healthStartPeriod }),
  };
  if (!o.healthcheck) {
    if (Object.keys(given).length) {
      throw new ConfigError("--no-healthcheck", "cannot be combined with --health-* options");
    }
    return { disable: true };
  }
  return Object.keys(given).length ? given : undefined;
}

/** The short form's `update` from the --update-* flags (docker service create's names). */
function updateOf(o: DeployOptions): { update?: Record<string, unknown> } {
  const given = {
    ...(o.updateParallelism === undefined ? {} : { parallelism: toNumber(o.updateParallelism) }),
    ...(o.updateDelay === undefined ? {} : { delay: o.updateDelay }),
    ...(o.updateMonitor === undefined ? {} : { monitor: o.updateMonitor }),
    ...(o.updateOrder === undefined ? {} : { order: o.updateOrder }),
    ...(o.updateFailureAction === undefined ? {} : { failureAction: o.updateFailureAction }),
    ...(o.updateMaxFailureRatio === undefined ? {} : { maxFailureRatio: toNumber(o.updateMaxFailureRatio) }),
  };
  return Object.keys(given).length ? { update: given } : {};
}

/** A shell command (CMD-SHELL), or a JSON array of strings: the program and its arguments (CMD). */
function healthTest(cmd: string): string | string[] {
  if (!cmd.trimStart().startsWith("[")) return cmd;
  let list: unknown;
  try {
    list = JSON.parse(cmd);
  } catch {
    throw new ConfigError("--health-cmd", "starts with '[' but is not a JSON array of strings");
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === "string")) {
    throw new ConfigError("--health-cmd", "must be a JSON array of strings, the program first");
  }
  return ["CMD", ...list];
}

/** `queued`, or `queued behind revision N` while an earlier revision of the stack runs first. */
export function queuedText(d: { queuedBehind?: number | null }): string {
  return d.queuedBehind ? `queued behind revision ${d.queuedBehind}` : "queued";
}

/** Exit 1, with Swarm's reason, when a deployment that was waited for did not succeed. */
export function failUnlessSucceeded(d: DeploymentView): void {
  if (d.status === "succeeded") return;
  throw new CliError(
    `deployment of ${d.stack} ${d.status.replace("_", " ")}: ${d.reason ?? ""}`,
    EXIT.failed,
  );
}

/**
 * Polls the deployment until it ends, showing its job's log lines as progress; when the revision
 * changed the stack's routes, also until the proxy serves them (exit 1 when it did not take them).
 */
export async function waitFor(client: ApiClient, d: DeploymentView, human: boolean): Promise<DeploymentView> {
  let routesJob: string | undefined;
  const final = await followDeployment(client, d, human, (line) => {
    if (line.startsWith(ROUTES_SYNC_LINE)) routesJob = line.slice(ROUTES_SYNC_LINE.length).trim();
  });
  if (routesJob && final.status === "succeeded") await waitForSync(client, routesJob);
  return final;
}

async function followDeployment(
  client: ApiClient,
  d: DeploymentView,
  human: boolean,
  onLog: (line: string) => void,
): Promise<DeploymentView> {
  const { show, end } = progressReporter(human);
  const label = `${d.stack} revision ${d.revision}`;
  let current = d;
  let waiting = "";
  // One deploy of a stack at a time: say which revision this one waits for, when it does.
  const sayQueued = (x: { status: string; queuedBehind?: number | null }) => {
    const now = ["pending", "queued"].includes(x.status) ? queuedText(x) : "";
    if (now && now !== waiting) show(`${label}: ${now}`);
    waiting = now;
  };
  let followed = false;
  for (;;) {
    if (TERMINAL.has(current.status)) break;
    sayQueued(current);
    if (current.jobId && !followed) {
      // Its job's events say each step at once; the deployment's end is recorded as the job ends.
      followed = true;
      await watchJob(
        client,
        current.jobId,
        (l) => {
          show(`${label}: ${l.message}`);
          onLog(l.message);
        },
        sayQueued,
      );
    } else await new Promise((r) => setTimeout(r, followed ? 100 : 200));
    current = (
      await client.request<{ deployment: DeploymentView }>("GET", `/api/v1/deployments/${current.id}`)
    ).deployment;
  }
  end(current.status === "succeeded", `${label}: ${current.reason ?? current.status}`);
  return current;
}

export async function listStacks(client: ApiClient): Promise<StackView[]> {
  return (await client.request<{ stacks: StackView[] }>("GET", "/api/v1/stacks")).stacks;
}

export function urlsOf(client: ApiClient, stack: StackView | undefined): string[] {
  const host = process.env.BERTH_PUBLIC_HOST ?? new URL(client.url).hostname;
  return (stack?.services ?? []).flatMap((s) => s.ports.map((p) => `http://${host}:${p}/`));
}

/** The stack's routes as URLs (the scheme its TLS mode serves). */
async function routeUrls(client: ApiClient, stack: string): Promise<string[]> {
  const { domains } = await client.request<{ domains: DomainView[] }>("GET", "/api/v1/domains");
  return domains
    .filter((d) => d.stack === stack && d.status === "active")
    .map((d) => `${d.tls === "off" ? "http" : "https"}://${d.host}${d.path || "/"}`);
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function toNumber(v: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v;
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new ConfigError("--env", `'${pair}' must be KEY=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** What `berth deploy` prints once a deployment it waited for (or not) is where it is. */
export async function reportDeployment(
  client: ApiClient,
  o: {
    deployment: DeploymentView;
    domains: string[];
    wait: boolean;
    json?: boolean;
    extra?: Record<string, unknown>;
  },
): Promise<void> {
  const final = o.wait ? await waitFor(client, o.deployment, !o.json) : o.deployment;
  const stack = (await listStacks(client)).find((s) => s.name === final.stack);
  const domains = o.domains.length ? await routeUrls(client, final.stack) : [];
  const urls = [...domains, ...urlsOf(client, stack)];
  if (o.json) printJson({ ...o.extra, deployment: final, urls, stack });
  else if (final.status === "succeeded" || !o.wait) {
    const status = final.status === "pending" ? queuedText(final) : final.status;
    console.log(
      `${final.stack} revision ${final.revision} ${status}${urls.length ? `: ${urls.join(" ")}` : ""}`,
    );
  }
  if (o.wait) failUnlessSucceeded(final);
}

/** `3`, or `3 (2 live)` when the latest revision is not the one that runs. */
function revisionText(s: { revision: number; liveRevision: number | null }): string {
  return s.liveRevision === null || s.liveRevision === s.revision
    ? `${s.revision}`
    : `${s.revision} (${s.liveRevision} live)`;
}
