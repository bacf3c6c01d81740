// `berth history`, `berth diff`, `berth rollback`: a stack's revisions, what changed between two of
// them, and deploying an earlier one's input again (waited for like `berth deploy`).
import type { Command } from "commander";
import type { z } from "zod";
import { parseRevision } from "../../config/revision.js";
import type * as R from "../../server/responses.js";
import { clientFor } from "../globals.js";
import { printJson, table } from "../output.js";
import { type DeploymentView, failUnlessSucceeded, listStacks, urlsOf, waitFor } from "./apps.js";

type History = z.infer<typeof R.history>;
type RevisionDiff = z.infer<typeof R.revisionDiff>;
type FieldChange = RevisionDiff["objects"][number];

const stackPath = (name: string) => `/api/v1/stacks/${encodeURIComponent(name)}`;

export function registerHistoryCommands(program: Command): void {
  program
    .command("history")
    .description("list a stack's revisions, newest first; the live one is the newest that succeeded")
    .argument("<stack>", "stack name")
    .option("--json", "print the result as JSON")
    .action(async (stack: string, opts: { json?: boolean }, cmd: Command) => {
      const h = await clientFor(cmd).request<History>("GET", `${stackPath(stack)}/history`);
      if (opts.json) return printJson(h);
      const now = Date.now();
      console.log(
        table(
          ["REV", "STATUS", "WHEN", "BY", "IMAGE", "REASON"],
          h.revisions.map((r) => [
            r.live ? `${r.revision} (live)` : String(r.revision),
            r.status,
            r.createdAt ? ago(now - Date.parse(r.createdAt)) : "",
            r.requestedBy,
            imagesText(r.images),
            [r.rollbackOf === null ? "" : `rollback of ${r.rollbackOf}`, r.reason ?? ""]
              .filter(Boolean)
              .join("; "),
          ]),
        ),
      );
    });

  program
    .command("diff")
    .description(
      "show what changed between two revisions of a stack (+ added, - removed, ~ changed); env keys only, never secret values",
    )
    .argument("<stack>", "stack name")
    .argument("<from>", "the earlier revision")
    .argument("[to]", "the later revision (default: the newest)")
    .option("--json", "print the result as JSON")
    .action(
      async (stack: string, from: string, to: string | undefined, opts: { json?: boolean }, cmd: Command) => {
        const q = new URLSearchParams({ from: String(parseRevision(from, "<from>")) });
        if (to !== undefined) q.set("to", String(parseRevision(to, "[to]")));
        const d = await clientFor(cmd).request<RevisionDiff>("GET", `${stackPath(stack)}/diff?${q}`);
        if (opts.json) return printJson(d);
        console.log(`${d.stack}: revision ${d.from} -> ${d.to}`);
        if (!d.services.length && !d.objects.length) return console.log("no differences");
        for (const s of d.services) {
          const sign = s.change === "added" ? "+" : s.change === "removed" ? "-" : "~";
          console.log(
            `${sign} ${s.service}${s.fields.length ? `: ${s.fields.map(fieldText).join(", ")}` : ""}`,
          );
        }
        // `[stack]` cannot be a service's name.
        for (const o of d.objects) console.log(`~ [stack] ${fieldText(o)}`);
      },
    );

  program
    .command("rollback")
    .description(
      "deploy an earlier revision's input again as a new revision (Berth's own choices, such as host ports, made afresh) and wait until it runs",
    )
    .argument("<stack>", "stack name")
    .option("--to <rev>", "revision to roll back to (default: the newest that succeeded before the live one)")
    .option("--no-wait", "return once the rollback is accepted")
    .option("--json", "print the result as JSON")
    .action(async (stack: string, opts: { to?: string; wait: boolean; json?: boolean }, cmd: Command) => {
      const body = opts.to === undefined ? {} : { to: parseRevision(opts.to, "--to") };
      const client = clientFor(cmd);
      const res = await client.request<{ deployment: DeploymentView }>(
        "POST",
        `${stackPath(stack)}/rollback`,
        body,
      );
      const final = opts.wait ? await waitFor(client, res.deployment, !opts.json) : res.deployment;
      const view = (await listStacks(client)).find((s) => s.name === final.stack);
      const urls = urlsOf(client, view);
      if (opts.json) printJson({ deployment: final, urls, stack: view });
      else if (final.status === "succeeded" || !opts.wait) {
        console.log(
          `${final.stack} revision ${final.revision} (rollback of ${res.deployment.rollbackOf}) ${final.status}${urls.length ? `: ${urls.join(" ")}` : ""}`,
        );
      }
      if (opts.wait) failUnlessSucceeded(final);
    });
}

function fieldText(f: FieldChange): string {
  if (f.from !== undefined || f.to !== undefined) return `${f.field} ${f.from ?? ""} -> ${f.to ?? ""}`;
  const keys = [
    ...(f.added ?? []).map((k) => `+${k}`),
    ...(f.removed ?? []).map((k) => `-${k}`),
    ...(f.changed ?? []).map((k) => `~${k}`),
  ];
  return keys.length ? `${f.field} ${keys.join(" ")}` : f.field;
}

function imagesText(images: Record<string, string>): string {
  const entries = Object.entries(images).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 1) return entries[0]![1];
  return entries.map(([service, image]) => `${service}=${image}`).join(" ");
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}
