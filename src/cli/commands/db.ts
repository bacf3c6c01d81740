// `berth db create|ls|rm` and `berth db server ls`: managed PostgreSQL databases on the shared
// server. create and rm are jobs: the command follows them until they end, unless --no-wait.
import type { Command } from "commander";
import type { z } from "zod";
import type * as R from "../../server/responses.js";
import { CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { clientFor } from "../globals.js";
import { printJson, table } from "../output.js";
import { waitForJob } from "./jobs.js";

type Database = z.infer<typeof R.database>;

export function registerDbCommands(program: Command): void {
  const db = program
    .command("db")
    .description("managed PostgreSQL databases: one database and role per name, on a shared server");

  db.command("create")
    .description(
      "create a database and its role (generated password) on the shared server, deployed on first use; attach it with `deploy --db <name>` or `x-berth-databases`",
    )
    .argument("<name>", "database name: lowercase letters, digits and '-'")
    .option("--server <name>", "the server to put it on (default: the one holding the fewest)")
    .option("--no-wait", "return once the job is queued")
    .option("--json", "print the result as JSON")
    .action(async (name: string, opts: { server?: string; wait: boolean; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const res = await client.request<z.infer<typeof R.databaseJob>>("POST", "/api/v1/databases", {
        name,
        ...(opts.server ? { server: opts.server } : {}),
      });
      if (!opts.wait) {
        if (opts.json) printJson(res);
        else console.log(`database ${name}: creating (job ${res.jobId})`);
        return;
      }
      const job = await waitForJob(client, res.jobId, { human: !opts.json, label: `database ${name}` });
      const { databases } = await client.request<{ databases: Database[] }>("GET", "/api/v1/databases");
      const d = databases.find((x) => x.name === name);
      if (opts.json) printJson({ jobId: res.jobId, job, database: d });
      else if (d && job.status === "succeeded")
        console.log(
          `database ${name}: ${d.status} (PGHOST=${d.host} PGDATABASE=${d.database} PGUSER=${d.user})`,
        );
      if (job.status !== "succeeded")
        throw new CliError(`database ${name}: ${job.error ?? job.status}`, EXIT.failed);
    });

  db.command("ls")
    .description("list the organization's databases")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<z.infer<typeof R.databaseList>>("GET", "/api/v1/databases");
      if (opts.json) return printJson(res);
      if (!res.databases.length) return console.log("no databases");
      console.log(
        table(
          ["NAME", "STATUS", "INSTANCE", "SERVER", "PGHOST", "PGDATABASE", "PGUSER", "CREATED"],
          res.databases.map((d) => [
            d.name,
            d.reason ? `${d.status}: ${d.reason}` : d.status,
            d.instance ?? "-",
            d.server,
            d.host,
            d.database,
            d.user,
            d.createdAt ?? "",
          ]),
        ),
      );
    });

  db.command("rm")
    .description("drop a database and its role, after a final backup (kept in `berth backup ls`)")
    .argument("<name>", "database name")
    .option("--no-final-backup", "drop it without a final backup")
    .option("--no-wait", "return once the job is queued")
    .option("--json", "print the result as JSON")
    .action(
      async (name: string, opts: { finalBackup: boolean; wait: boolean; json?: boolean }, cmd: Command) => {
        const client = clientFor(cmd);
        const q = opts.finalBackup ? "" : "?finalBackup=false";
        const res = await client.request<z.infer<typeof R.databaseJob>>(
          "DELETE",
          `/api/v1/databases/${encodeURIComponent(name)}${q}`,
        );
        if (!opts.wait) {
          if (opts.json) printJson(res);
          else console.log(`database ${name}: removing (job ${res.jobId})`);
          return;
        }
        const job = await waitForJob(client, res.jobId, { human: !opts.json, label: `removal of ${name}` });
        if (opts.json) printJson({ ...res, job });
        else if (job.status === "succeeded")
          console.log(`removed database ${name}${res.backupId ? `; final backup ${res.backupId}` : ""}`);
        if (job.status !== "succeeded")
          throw new CliError(`removal of ${name}: ${job.error ?? job.status}`, EXIT.failed);
      },
    );

  const server = db.command("server").description("the shared PostgreSQL servers (platform admins)");
  server
    .command("add")
    .description(
      "register another shared server: new databases go to the one holding the fewest; deployed with its first database",
    )
    .argument("<name>", "server name (lowercase letters, digits and '-', at most 15)")
    .requiredOption("--port <port>", "host port Berth connects to on the server's node (host mode)")
    .option("--host <address>", "the address of that node as Berth reaches it (default: BERTH_POSTGRES_HOST)")
    .option("--node-label <key=value>", "pin it to the nodes with this label (default: Berth's node)")
    .option("--image <image>", "PostgreSQL image (default: BERTH_POSTGRES_IMAGE)")
    .option("--json", "print the result as JSON")
    .action(
      async (
        name: string,
        opts: { port: string; host?: string; nodeLabel?: string; image?: string; json?: boolean },
        cmd: Command,
      ) => {
        const port = Number(opts.port);
        if (!/^\d+$/.test(opts.port) || port < 1 || port > 65535)
          throw new CliError("--port: must be a port number (1-65535)", EXIT.invalidInput);
        const res = await clientFor(cmd).request<{ server: z.infer<typeof R.dbServer> }>(
          "POST",
          "/api/v1/system/db-servers",
          {
            name,
            port,
            ...(opts.host ? { host: opts.host } : {}),
            ...(opts.nodeLabel ? { nodeLabel: opts.nodeLabel } : {}),
            ...(opts.image ? { image: opts.image } : {}),
          },
        );
        if (opts.json) return printJson(res);
        const s = res.server;
        console.log(
          `database server ${s.name}: ${s.host}:${s.port}, ${s.placement}; deployed with its first database`,
        );
      },
    );
  server
    .command("ls")
    .description("list the servers, where they run and how many databases each holds")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<{ servers: z.infer<typeof R.dbServer>[] }>(
        "GET",
        "/api/v1/system/db-servers",
      );
      if (opts.json) return printJson(res);
      if (!res.servers.length)
        return console.log("no database servers (the first `berth db create` makes one)");
      console.log(
        table(
          ["NAME", "IMAGE", "PLACEMENT", "ADDRESS", "DATABASES"],
          res.servers.map((s) => [s.name, s.image, s.placement, `${s.host}:${s.port}`, String(s.databases)]),
        ),
      );
    });
}
