// `berth domain add|ls|rm`: routes from a host name to a service port, served by the proxy; and
// `berth system ps`: Berth's own system stacks (platform admins).
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { z } from "zod";
import { ConfigError } from "../../domain/errors.js";
import type * as R from "../../server/responses.js";
import { type ApiClient, CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { clientFor } from "../globals.js";
import { type JobView, watchJob } from "../job-events.js";
import { printJson, table } from "../output.js";

type DomainView = z.infer<typeof R.domain>;
type StackView = z.infer<typeof R.stack>;

/** Waits for the proxy sync; exit 1 with its error when it failed. */
export async function waitForSync(client: ApiClient, jobId: string): Promise<JobView> {
  const job = await watchJob(client, jobId);
  if (job.status !== "succeeded") {
    throw new CliError(`the proxy did not take the change: ${job.error ?? job.status}`, EXIT.failed);
  }
  return job;
}

/** A PEM file the user names (--cert, --key): read here, sent in the body. */
function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(
      flag,
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function certificateFlags(opts: { cert?: string; key?: string }) {
  if (opts.cert === undefined && opts.key === undefined) return undefined;
  if (opts.cert === undefined) throw new ConfigError("--cert", "is required with --key");
  if (opts.key === undefined) throw new ConfigError("--key", "is required with --cert");
  return { cert: readPem(opts.cert, "--cert"), key: readPem(opts.key, "--key") };
}

/** `valid until 2027-01-31 (Caddy Local Authority)`, `pending`, `error: ...`; empty for tls off. */
export function certificateOf(d: DomainView): string {
  const c = d.certificate;
  if (!c) return "";
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(c.issuer ?? "")?.[1];
  const until = c.notAfter ? ` until ${c.notAfter.slice(0, 10)}` : "";
  const by = cn ? ` (${cn})` : "";
  return c.status === "error" ? `error: ${c.error ?? ""}` : `${c.status}${until}${by}`;
}

function stateOf(d: DomainView): string {
  if (d.status !== "active") return d.status;
  if (d.suspension) return "suspended";
  return d.maintenance ? "maintenance" : "active";
}

export function registerDomainCommands(program: Command): void {
  const domain = program.command("domain").description("route host names to services through the proxy");

  domain
    .command("add")
    .description("route a host (and optional path prefix) to a service port; waits until the proxy serves it")
    .argument("<host>", "host name, e.g. app.example.com or *.customers.example.com")
    .requiredOption("--stack <stack>", "stack name")
    .requiredOption("--service <service>", "service of the stack")
    .requiredOption("--port <port>", "container port of the service")
    .option("--path <prefix>", "path prefix, e.g. /api (default: the whole host)")
    .option(
      "--tls <mode>",
      "acme (public certificate), internal (Berth's own CA), upload (your certificate: --cert, --key) or off",
      "acme",
    )
    .option("--cert <file>", "with --tls upload: the PEM certificate chain, leaf first")
    .option("--key <file>", "with --tls upload: the PEM private key of the certificate (unencrypted)")
    .option("--https-redirect", "redirect HTTP to HTTPS")
    .option("--no-wait", "return once the route is recorded")
    .option("--json", "print the result as JSON")
    .action(
      async (
        host: string,
        opts: {
          stack: string;
          service: string;
          port: string;
          path?: string;
          tls: string;
          cert?: string;
          key?: string;
          httpsRedirect?: boolean;
          wait: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const certificate = certificateFlags(opts);
        const client = clientFor(cmd);
        const port = /^\d+$/.test(opts.port) ? Number(opts.port) : opts.port;
        const res = await client.request<{ domain: DomainView; jobId: string }>("POST", "/api/v1/domains", {
          host,
          stack: opts.stack,
          service: opts.service,
          port,
          tls: opts.tls,
          httpsRedirect: opts.httpsRedirect === true,
          ...(opts.path === undefined ? {} : { path: opts.path }),
          ...(certificate ? { certificate } : {}),
        });
        if (opts.wait) await waitForSync(client, res.jobId);
        if (opts.json) return printJson(res);
        const d = res.domain;
        const scheme = d.tls === "off" ? "http" : "https";
        console.log(
          `${scheme}://${d.host}${d.path || "/"} -> ${d.stack}/${d.service}:${d.port} (tls ${d.tls})`,
        );
      },
    );

  domain
    .command("cert")
    .description(
      "upload (or replace, to renew) your certificate for a host routed with --tls upload; waits until the proxy serves it",
    )
    .argument("<host>", "host name the certificate covers")
    .requiredOption("--cert <file>", "the PEM certificate chain, leaf first")
    .requiredOption("--key <file>", "the PEM private key of the certificate (unencrypted)")
    .option("--no-wait", "return once the certificate is stored")
    .option("--json", "print the result as JSON")
    .action(
      async (
        host: string,
        opts: { cert: string; key: string; wait: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const body = certificateFlags(opts)!;
        const client = clientFor(cmd);
        const res = await client.request<{ host: string; issuer: string; notAfter: string; jobId: string }>(
          "PUT",
          `/api/v1/domains/${encodeURIComponent(host)}/certificate`,
          body,
        );
        if (opts.wait) await waitForSync(client, res.jobId);
        if (opts.json) return printJson(res);
        console.log(
          `${res.host}: certificate until ${res.notAfter} (issuer ${res.issuer.replace(/\n/g, ", ")})`,
        );
      },
    );

  domain
    .command("ls")
    .description("list the organization's routes")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<{ domains: DomainView[] }>("GET", "/api/v1/domains");
      if (opts.json) return printJson(res);
      if (!res.domains.length) return console.log("no domains; add one with 'berth domain add'");
      console.log(
        table(
          ["HOST", "PATH", "STACK", "SERVICE", "PORT", "TLS", "REDIRECT", "STATE", "FROM", "CERTIFICATE"],
          res.domains.map((d) => [
            d.host,
            d.path || "/",
            d.stack,
            d.service,
            String(d.port),
            d.tls,
            d.httpsRedirect ? "https" : "",
            stateOf(d),
            d.source,
            certificateOf(d),
          ]),
        ),
      );
    });

  domain
    .command("maintenance")
    .description(
      "answer a host (or one path of it) with 503, your message and Retry-After instead of its service; waits until the proxy does",
    )
    .argument("<host>", "host name")
    .option("--message <text>", "what visitors read", "This site is down for maintenance.")
    .option("--retry-after <seconds>", "the Retry-After header", "300")
    .option("--path <prefix>", "only this path prefix")
    .option("--no-wait", "return once the change is recorded")
    .option("--json", "print the result as JSON")
    .action(
      async (
        host: string,
        opts: { message: string; retryAfter: string; path?: string; wait: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const client = clientFor(cmd);
        const res = await client.request<{ changed: number; jobId: string }>(
          "PUT",
          `/api/v1/domains/${encodeURIComponent(host)}/maintenance`,
          {
            message: opts.message,
            retryAfter: /^\d+$/.test(opts.retryAfter) ? Number(opts.retryAfter) : opts.retryAfter,
            ...(opts.path === undefined ? {} : { path: opts.path }),
          },
        );
        if (opts.wait) await waitForSync(client, res.jobId);
        if (opts.json) return printJson(res);
        console.log(`${host}: in maintenance (${res.changed} route${res.changed === 1 ? "" : "s"})`);
      },
    );

  domain
    .command("activate")
    .description("bring a host (or one path of it) back from maintenance; waits until the proxy serves it")
    .argument("<host>", "host name")
    .option("--path <prefix>", "only this path prefix")
    .option("--no-wait", "return once the change is recorded")
    .option("--json", "print the result as JSON")
    .action(async (host: string, opts: { path?: string; wait: boolean; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const q = opts.path === undefined ? "" : `?path=${encodeURIComponent(opts.path)}`;
      const res = await client.request<{ changed: number; jobId: string }>(
        "DELETE",
        `/api/v1/domains/${encodeURIComponent(host)}/maintenance${q}`,
      );
      if (opts.wait) await waitForSync(client, res.jobId);
      if (opts.json) return printJson(res);
      console.log(`${host}: active (${res.changed} route${res.changed === 1 ? "" : "s"})`);
    });

  const routes = program
    .command("routes")
    .description("every route at once, for incidents (suspend answers 503 everywhere; resume restores)");
  for (const action of ["suspend", "resume"] as const) {
    const c = routes
      .command(action)
      .description(
        action === "suspend"
          ? "every route of the organization (--org) answers 503 with the message; without --org, every organization's (platform admin). Nothing is deleted"
          : "every suspended route serves exactly as before the suspension (--org: one organization's; without: all, platform admin)",
      )
      .requiredOption("--all", "every route (required, so that it is never done by accident)")
      .option("--json", "print the result as JSON")
      .option("--no-wait", "return once the change is recorded");
    if (action === "suspend") {
      c.option("--message <text>", "what visitors read", "This site is temporarily unavailable.").option(
        "--retry-after <seconds>",
        "the Retry-After header",
        "300",
      );
    }
    c.action(
      async (
        opts: { message?: string; retryAfter?: string; json?: boolean; wait: boolean },
        cmd: Command,
      ) => {
        const client = clientFor(cmd);
        // The organization only when asked for on this command line (or BERTH_ORG): else all of them.
        const org = (cmd.optsWithGlobals() as { org?: string }).org ?? process.env.BERTH_ORG;
        const body =
          action === "suspend"
            ? {
                message: opts.message,
                retryAfter: /^\d+$/.test(opts.retryAfter ?? "") ? Number(opts.retryAfter) : opts.retryAfter,
              }
            : {};
        const res = await client.request<{ changed: number; jobId: string }>(
          "POST",
          org ? `/api/v1/routes/${action}` : `/api/v1/system/routes/${action}`,
          body,
        );
        if (opts.wait) await waitForSync(client, res.jobId);
        if (opts.json) return printJson(res);
        console.log(
          `${action === "suspend" ? "suspended" : "resumed"} ${res.changed} route${res.changed === 1 ? "" : "s"}${org ? ` of ${org}` : " of every organization"}`,
        );
      },
    );
  }

  domain
    .command("rm")
    .description(
      "remove the routes of a host (or of one path prefix); waits until the proxy stops serving them",
    )
    .argument("<host>", "host name")
    .option("--path <prefix>", "only this path prefix")
    .option("--no-wait", "return once the route is removed from Berth's table")
    .option("--json", "print the result as JSON")
    .action(async (host: string, opts: { path?: string; wait: boolean; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const q = opts.path === undefined ? "" : `?path=${encodeURIComponent(opts.path)}`;
      const res = await client.request<{ removed: number; jobId: string }>(
        "DELETE",
        `/api/v1/domains/${encodeURIComponent(host)}${q}`,
      );
      if (opts.wait) await waitForSync(client, res.jobId);
      if (opts.json) return printJson(res);
      console.log(`removed ${res.removed} route${res.removed === 1 ? "" : "s"} of ${host}`);
    });

  const system = program.command("system").description("Berth's own infrastructure (platform admins)");
  system
    .command("ps")
    .description(
      "list the system stacks (the routing proxy, the registry, database servers), their services and task states",
    )
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const res = await clientFor(cmd).request<{ stacks: StackView[] }>("GET", "/api/v1/system/stacks");
      if (opts.json) return printJson(res);
      if (!res.stacks.length)
        return console.log("no system stacks yet (the proxy starts with the first domain)");
      const rows = res.stacks.flatMap((s) =>
        s.services.map((svc) => [
          s.name,
          svc.name,
          String(s.revision),
          s.status,
          `${svc.running}/${svc.replicas}`,
          svc.image,
          svc.ports.join(","),
          svc.tasks.map((t) => `${t.slot ?? "-"}:${t.state}${t.error ? `(${t.error})` : ""}`).join(" "),
        ]),
      );
      console.log(table(["STACK", "SERVICE", "REV", "STATUS", "RUNNING", "IMAGE", "PORTS", "TASKS"], rows));
    });
}
