// A stack's logs, the same for `berth logs` and `berth stack logs`: one definition of the options and
// of reading the API's server-sent events.
import type { Command } from "commander";
import { ConfigError } from "../../domain/errors.js";
import { CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { clientFor } from "../globals.js";

/** Adds the logs argument, options and action to `cmd`. */
export function logsCommand(cmd: Command): Command {
  return cmd
    .description("a stack's logs (all services, or one)")
    .argument("<name>", "stack name")
    .option("-s, --service <service>", "only this service")
    .option("-f, --follow", "keep printing new lines")
    .option("--since <seconds>", "only lines from the last N seconds")
    .option("-n, --tail <lines>", "only the last N lines of each service")
    .option("--json", "print one JSON object per line")
    .action(
      async (
        name: string,
        opts: { service?: string; follow?: boolean; since?: string; tail?: string; json?: boolean },
        cmd: Command,
      ) => {
        const q = new URLSearchParams();
        if (opts.service) q.set("service", opts.service);
        if (opts.follow) q.set("follow", "true");
        if (opts.since !== undefined) {
          const secs = Number(opts.since);
          if (!Number.isFinite(secs) || secs < 0)
            throw new ConfigError("--since", `'${opts.since}' is not a number of seconds`);
          q.set("since", String(Math.floor(Date.now() / 1000 - secs)));
        }
        if (opts.tail !== undefined) q.set("tail", opts.tail);
        const res = await clientFor(cmd).stream(`/api/v1/stacks/${encodeURIComponent(name)}/logs?${q}`);
        const decoder = new TextDecoder();
        let rest = "";
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          rest += decoder.decode(chunk, { stream: true });
          const lines = rest.split("\n");
          rest = lines.pop() ?? "";
          for (const raw of lines) {
            // Server-sent events: only their `data:` lines carry a log line (or an error).
            if (!raw.startsWith("data: ")) continue;
            const l = raw.slice(6);
            if (opts.json) console.log(l);
            else {
              const v = JSON.parse(l) as { service?: string; line?: string; error?: string };
              if (v.error) throw new CliError(v.error, EXIT.failed);
              console.log(`${name}_${v.service} | ${v.line}`);
            }
          }
        }
      },
    );
}
