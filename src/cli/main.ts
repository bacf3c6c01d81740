// The `berth` command line. Only this edge and the HTTP server map errors to exit codes.
import { Command, CommanderError } from "commander";
import { BerthError } from "../domain/errors.js";
import { CliError } from "./client.js";
import { registerAppCommands } from "./commands/apps.js";
import { registerBackupCommands } from "./commands/backup.js";
import { registerDay2Commands } from "./commands/day2.js";
import { registerDbCommands } from "./commands/db.js";
import { registerDomainCommands } from "./commands/domains.js";
import { registerEnvCommands } from "./commands/env.js";
import { registerHistoryCommands } from "./commands/history.js";
import { registerJobCommands } from "./commands/jobs.js";
import { registerOrgCommands } from "./commands/orgs.js";
import { registerServerCommands } from "./commands/server.js";
import { registerStackCommands } from "./commands/stack.js";
import { registerTemplateCommands, templateVersionArgs } from "./commands/templates.js";
import { EXIT, EXIT_HELP, exitCodeFor } from "./exit-codes.js";

const program = new Command()
  .name("berth")
  .description("Berth: a self-hosted, multi-tenant container platform on Docker Swarm")
  .version("0.1.0")
  .option(
    "--data-dir <dir>",
    "data directory of the local control plane (env BERTH_DATA_DIR, default ~/.berth)",
  )
  .option("--url <url>", "Berth API URL (env BERTH_URL; default: the local control plane)")
  .option(
    "--token <token>",
    "API token (env BERTH_TOKEN; default: berth login's, else the local admin token)",
  )
  .option("--org <org>", "organization to act in (env BERTH_ORG; default: the token's, else 'default')")
  .addHelpText("after", EXIT_HELP)
  .showHelpAfterError("(run 'berth --help' for usage)")
  .exitOverride();

registerServerCommands(program);
registerAppCommands(program);
registerHistoryCommands(program);
registerDay2Commands(program);
registerEnvCommands(program);
registerJobCommands(program);
registerStackCommands(program);
registerOrgCommands(program);
registerDomainCommands(program);
registerBackupCommands(program);
registerTemplateCommands(program);
registerDbCommands(program);

try {
  await program.parseAsync(templateVersionArgs(process.argv));
} catch (err) {
  process.exitCode = report(err);
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    return err.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
  }
  if (err instanceof CliError) {
    console.error(`error: ${err.message}`);
    return err.exitCode;
  }
  if (err instanceof BerthError) {
    console.error(`error: ${err.message}`);
    return exitCodeFor(err.code);
  }
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.BERTH_DEBUG) console.error(err);
  return EXIT.failed;
}
