// `berth template add|ls|show` and `berth instance create|ls|show|stop|start|restart|suspend|resume|
// upgrade|rm`. Every instance change is one job: the command follows its log until it ends, unless
// --no-wait. `instance upgrade --all --template t` upgrades that template's instances one at a time
// and stops at the first that fails.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Command } from "commander";
import type { z } from "zod";
import { ConfigError } from "../../domain/errors.js";
import { retentionText } from "../../plan/backup.js";
import type * as R from "../../server/responses.js";
import { type ApiClient, CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { clientFor } from "../globals.js";
import { printJson, table } from "../output.js";
import { waitForJob } from "./jobs.js";

type Template = z.infer<typeof R.template>;
type Instance = z.infer<typeof R.instance>;
type Queued = z.infer<typeof R.instanceQueued>;

const ipath = (name: string) => `/api/v1/instances/${encodeURIComponent(name)}`;

function parseSets(sets: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new ConfigError("--set", `'${s}' must be name=value`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

const collect = (v: string, all: string[]) => [...all, v];

function versionOf(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new ConfigError(flag, `'${v}' is not a version number`);
  return Number(v);
}

/** Follows an instance job; exit 1 when it did not succeed. */
async function follow(client: ApiClient, res: Queued, o: { wait: boolean; json?: boolean; label: string }) {
  if (!o.wait) {
    if (o.json) printJson(res);
    else console.log(`${o.label} queued: job ${res.jobId}`);
    return;
  }
  const job = await waitForJob(client, res.jobId, { human: !o.json, label: o.label });
  const instance = await client
    .request<{ instance: Instance }>("GET", ipath(res.instance.name))
    .then((r) => r.instance)
    .catch(() => null);
  if (o.json) printJson({ jobId: res.jobId, job, instance });
  else if (job.status === "succeeded")
    console.log(
      instance
        ? `${instance.name}: ${instance.state}, ${instance.template} version ${instance.version}`
        : `${o.label}: done`,
    );
  if (job.status !== "succeeded")
    throw new CliError(`${o.label} ${job.status}: ${job.error ?? ""}`, EXIT.failed);
}

function printTemplate(t: Template) {
  console.log(
    `${t.name} version ${t.version} (versions ${t.versions.join(", ")}), added by ${t.createdBy} ${t.createdAt ?? ""}`,
  );
  const vars = Object.entries(t.variables);
  if (vars.length)
    console.log(
      table(
        ["VARIABLE", "TYPE", "REQUIRED", "DEFAULT", "PATTERN", "GENERATE"],
        vars.map(([k, v]) => [
          k,
          v.type,
          v.required ? "yes" : "no",
          v.default ?? "",
          v.pattern ?? "",
          v.generate ?? "",
        ]),
      ),
    );
  console.log(`backups: ${t.backup.cron}, ${retentionText(t.backup)}`);
}

/**
 * `berth --version` prints Berth's version wherever it stands (commander reads the program's options
 * after subcommands too), so `template show` and `instance create` read their `--version <n>` under
 * another name: argv is rewritten before parsing, for these commands only.
 */
export const VERSION_FLAG = "--template-version";
const GLOBAL_WITH_VALUE = new Set(["--data-dir", "--url", "--token", "--org"]);

export function templateVersionArgs(argv: string[]): string[] {
  let i = 2;
  while (i < argv.length && argv[i]!.startsWith("-")) i += GLOBAL_WITH_VALUE.has(argv[i]!) ? 2 : 1;
  if (argv[i] !== "template" && argv[i] !== "instance") return argv;
  return argv.map((a, j) =>
    j > i && a === "--version"
      ? VERSION_FLAG
      : a.startsWith("--version=") && j > i
        ? `${VERSION_FLAG}=${a.slice(10)}`
        : a,
  );
}

export function registerTemplateCommands(program: Command): void {
  const template = program
    .command("template")
    .description("templates: a compose file with declared variables, versioned");

  template
    .command("add")
    .description("add a compose file with `x-berth-template` variables as the template's next version")
    .requiredOption("-f, --file <file>", "the template's compose file")
    .requiredOption("--name <name>", "template name")
    .option("--json", "print the result as JSON")
    .action(async (opts: { file: string; name: string; json?: boolean }, cmd: Command) => {
      let source: string;
      try {
        source = readFileSync(opts.file, "utf8");
      } catch (err) {
        throw new ConfigError(opts.file, `cannot read: ${(err as Error).message}`);
      }
      const res = await clientFor(cmd).request<{ template: Template }>("POST", "/api/v1/templates", {
        name: opts.name,
        file: basename(opts.file),
        source,
      });
      if (opts.json) return printJson(res);
      console.log(`template ${res.template.name} version ${res.template.version} added`);
    });

  template
    .command("ls")
    .description("list templates")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<z.infer<typeof R.templateList>>("GET", "/api/v1/templates");
      if (opts.json) return printJson(res);
      if (!res.templates.length) return console.log("no templates");
      console.log(
        table(
          ["NAME", "LATEST", "VERSIONS", "UPDATED"],
          res.templates.map((t) => [t.name, String(t.latest), String(t.versions), t.updatedAt ?? ""]),
        ),
      );
    });

  template
    .command("show")
    .description("a template version's variables and file (the newest unless --version)")
    .argument("<name>", "template name")
    .option(`${VERSION_FLAG} <n>`, "this version (also --version <n>)")
    .option("--json", "print the result as JSON")
    .action(async (name: string, opts: { templateVersion?: string; json?: boolean }, cmd: Command) => {
      const v = versionOf(opts.templateVersion, "--version");
      const res = await clientFor(cmd).request<{ template: Template }>(
        "GET",
        `/api/v1/templates/${encodeURIComponent(name)}${v === undefined ? "" : `?version=${v}`}`,
      );
      if (opts.json) return printJson(res);
      printTemplate(res.template);
      console.log(`\n${res.template.source}`);
    });

  const instance = program
    .command("instance")
    .description(
      "customer instances of templates: create, list, stop, start, suspend, resume, upgrade, restore, rm",
    );

  instance
    .command("create")
    .description(
      "create an instance of a template (one job: check values, generate secrets, deploy, domain, backup schedule)",
    )
    .argument("<template>", "template name")
    .requiredOption("--name <name>", "instance name (also its stack's)")
    .option("--set <name=value>", "a variable's value (repeatable)", collect, [])
    .option(`${VERSION_FLAG} <n>`, "template version (default: the newest; also --version <n>)")
    .option("--no-wait", "return once the job is queued")
    .option("--json", "print the result as JSON")
    .action(
      async (
        tmpl: string,
        opts: { name: string; set: string[]; templateVersion?: string; wait: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const client = clientFor(cmd);
        const v = versionOf(opts.templateVersion, "--version");
        const res = await client.request<Queued>("POST", "/api/v1/instances", {
          template: tmpl,
          name: opts.name,
          set: parseSets(opts.set),
          ...(v === undefined ? {} : { version: v }),
        });
        await follow(client, res, { ...opts, label: `instance ${opts.name}` });
      },
    );

  instance
    .command("ls")
    .description("list instances")
    .option("--template <t>", "only this template's")
    .option("--json", "print the result as JSON")
    .action(async (opts: { template?: string; json?: boolean }, cmd: Command) => {
      const q = opts.template === undefined ? "" : `?template=${encodeURIComponent(opts.template)}`;
      const res = await clientFor(cmd).request<z.infer<typeof R.instanceList>>(
        "GET",
        `/api/v1/instances${q}`,
      );
      if (opts.json) return printJson(res);
      if (!res.instances.length) return console.log("no instances");
      console.log(
        table(
          ["NAME", "TEMPLATE", "VERSION", "STATE", "LAST ERROR"],
          res.instances.map((i) => [i.name, i.template, String(i.version), i.state, i.lastError ?? ""]),
        ),
      );
    });

  instance
    .command("show")
    .description("one instance: template, version, state, values, secret names, last error")
    .argument("<name>", "instance name")
    .option("--json", "print the result as JSON")
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<{ instance: Instance }>("GET", ipath(name));
      if (opts.json) return printJson(res);
      const i = res.instance;
      console.log(`${i.name}: ${i.state}, ${i.template} version ${i.version}`);
      for (const [k, v] of Object.entries(i.values)) console.log(`  ${k}=${v}`);
      for (const k of i.secrets) console.log(`  ${k}=(generated, sealed)`);
      if (i.lastError) console.log(`last error: ${i.lastError}`);
    });

  const steps = {
    stop: "scale the instance's services to zero",
    start: "start a stopped instance again",
    restart: "restart the instance's services",
    suspend: "put the instance's routes in maintenance ('suspended') and scale it to zero",
    resume: "give a suspended instance back exactly as it was",
  } as const;
  for (const [action, description] of Object.entries(steps)) {
    instance
      .command(action)
      .description(description)
      .argument("<name>", "instance name")
      .option("--no-wait", "return once the job is queued")
      .option("--json", "print the result as JSON")
      .action(async (name: string, opts: { wait: boolean; json?: boolean }, cmd: Command) => {
        const client = clientFor(cmd);
        const res = await client.request<Queued>("POST", `${ipath(name)}/${action}`);
        await follow(client, res, { ...opts, label: `${action} of ${name}` });
      });
  }

  instance
    .command("restore")
    .description(
      "put one backup set of an instance back (its volumes and databases; default the newest complete set): into the instance, stopped meanwhile, or --into a new instance of the same template version and values",
    )
    .argument("<name>", "instance name")
    .option("--backup <id>", "any backup of the set to restore (berth backup ls --stack <name>)")
    .option("--into <new>", "make a new instance from the set instead (give it its own --set domain=...)")
    .option(
      "--set <name=value>",
      "with --into: a value that differs from the instance's (repeatable)",
      collect,
      [],
    )
    .option("--no-wait", "return once the job is queued")
    .option("--json", "print the result as JSON")
    .action(
      async (
        name: string,
        opts: { backup?: string; into?: string; set: string[]; wait: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const client = clientFor(cmd);
        const res = await client.request<Queued>("POST", `${ipath(name)}/restore`, {
          ...(opts.backup ? { backup: opts.backup } : {}),
          ...(opts.into ? { into: opts.into } : {}),
          ...(opts.set.length ? { set: parseSets(opts.set) } : {}),
        });
        await follow(client, res, {
          ...opts,
          label: `restore of ${name}${opts.into ? ` into ${opts.into}` : ""}`,
        });
      },
    );

  instance
    .command("upgrade")
    .description(
      "upgrade an instance (or --all of a --template, one at a time, stopping at the first failure) to a template version with the same values; a backup first",
    )
    .argument("[name]", "instance name")
    .requiredOption("--to <n>", "template version")
    .option("--all", "every instance of --template")
    .option("--template <t>", "with --all: the template")
    .option("--json", "print the result as JSON")
    .action(
      async (
        name: string | undefined,
        opts: { to: string; all?: boolean; template?: string; json?: boolean },
        cmd: Command,
      ) => {
        const client = clientFor(cmd);
        const to = versionOf(opts.to, "--to")!;
        if (opts.all && name) throw new ConfigError("name", "give an instance name or --all, not both");
        if (opts.all && !opts.template) throw new ConfigError("--template", "--all needs --template <t>");
        if (!opts.all && !name) throw new ConfigError("name", "name an instance (or --all --template <t>)");
        const names = opts.all
          ? (
              await client.request<z.infer<typeof R.instanceList>>(
                "GET",
                `/api/v1/instances?template=${encodeURIComponent(opts.template!)}`,
              )
            ).instances
              .filter((i) => i.version !== to)
              .map((i) => i.name)
          : [name!];
        if (!names.length) return console.log(`every instance of ${opts.template} runs version ${to}`);
        for (const n of names) {
          const res = await client.request<Queued>("POST", `${ipath(n)}/upgrade`, { to });
          await follow(client, res, {
            wait: true,
            ...(opts.json ? { json: true } : {}),
            label: `upgrade of ${n} to version ${to}`,
          });
        }
      },
    );

  instance
    .command("rm")
    .description(
      "remove an instance: a final backup (unless --no-final-backup), then its schedule, stack, volumes and databases",
    )
    .argument("<name>", "instance name")
    .option("--no-final-backup", "remove without a final backup")
    .option(
      "--keep-databases",
      "keep its databases as the organization's (berth db ls) instead of dropping them",
    )
    .option("--no-wait", "return once the job is queued")
    .option("--json", "print the result as JSON")
    .action(
      async (
        name: string,
        opts: { finalBackup: boolean; keepDatabases?: boolean; wait: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const client = clientFor(cmd);
        const query = new URLSearchParams({
          ...(opts.finalBackup ? {} : { finalBackup: "false" }),
          ...(opts.keepDatabases ? { keepDatabases: "true" } : {}),
        }).toString();
        const res = await client.request<Queued>("DELETE", `${ipath(name)}${query ? `?${query}` : ""}`);
        await follow(client, res, { ...opts, label: `removal of ${name}` });
      },
    );
}
