// `berth login/logout`, `berth org ...`, `berth user create`, `berth audit`: identity and tenancy.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../domain/errors.js";
import { CliError, credentialsPath } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { clientFor, globalOptions } from "../globals.js";
import { printJson, table } from "../output.js";
import { followJob } from "./jobs.js";

const BYTES = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i;
const UNIT: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

function bytes(v: string, flag: string): number | null {
  if (v === "none") return null;
  const m = BYTES.exec(v.trim());
  if (!m) throw new ConfigError(flag, `'${v}' is not a size (like 4G or 512M, or none)`);
  return Math.floor(Number(m[1]) * UNIT[m[2]!.toLowerCase()]!);
}

function num(v: string, flag: string, int = false): number | null {
  if (v === "none") return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (int && !Number.isInteger(n)))
    throw new ConfigError(flag, `'${v}' is not a ${int ? "whole " : ""}number (or none)`);
  return n;
}

async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const given = readFileSync(0, "utf8").replace(/\r?\n$/, "");
    if (!given) throw new ConfigError("--password-stdin", "no password on standard input");
    return given;
  }
  const env = process.env.BERTH_PASSWORD;
  if (env) return env;
  throw new ConfigError(
    "--password-stdin",
    "give the password on standard input (--password-stdin) or in BERTH_PASSWORD",
  );
}

// biome-ignore lint/suspicious/noExplicitAny: API responses, read field by field for printing
type Json = any;

const GIB = 1024 ** 3;
const show = (v: number | null, unit = "") => (v === null ? "-" : `${+v.toFixed(2)}${unit}`);

export function registerOrgCommands(program: Command): void {
  program
    .command("login")
    .description("sign in and store an API token for this CLI (file mode 0600)")
    .requiredOption("--email <email>", "your email")
    .option("--password-stdin", "read the password from standard input (else BERTH_PASSWORD)")
    .option("--role <role>", "role of the CLI token (default: your role in the organization)")
    .option("--json", "print the result as JSON")
    .action(
      async (
        opts: { email: string; passwordStdin?: boolean; role?: string; json?: boolean },
        cmd: Command,
      ) => {
        const password = await readPassword(Boolean(opts.passwordStdin));
        const g = globalOptions(cmd);
        const client = clientFor(cmd);
        const res = await fetch(`${client.url}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: opts.email, password }),
        });
        const login = (await res.json()) as { error?: { message: string } };
        if (!res.ok)
          throw new CliError(
            login.error?.message ?? `HTTP ${res.status}`,
            res.status === 429 ? EXIT.unavailable : EXIT.unauthorized,
          );
        const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
        // Changes made with the session cookie carry its CSRF token (from /me).
        let csrf = "";
        const call = async (method: string, path: string, body?: unknown) => {
          const r = await fetch(`${client.url}${path}`, {
            method,
            headers: {
              cookie,
              ...(csrf ? { "x-berth-csrf": csrf } : {}),
              ...(body ? { "content-type": "application/json" } : {}),
              ...(g.org ? { "x-berth-org": g.org } : {}),
            },
            ...(body ? { body: JSON.stringify(body) } : {}),
          });
          const parsed = (await r.json()) as Json;
          if (!r.ok)
            throw new CliError(
              parsed.error?.message ?? `HTTP ${r.status}`,
              r.status === 404 ? EXIT.notFound : EXIT.unauthorized,
            );
          return parsed;
        };
        const me = await call("GET", "/api/v1/me");
        csrf = String(me.csrfToken ?? "");
        const org = g.org ?? me.orgs[0]?.slug;
        if (!org) throw new CliError("you are not a member of any organization yet", EXIT.notFound);
        const role = opts.role ?? me.orgs.find((o: { slug: string }) => o.slug === org)?.role ?? "viewer";
        const created = await call("POST", `/api/v1/orgs/${org}/tokens`, {
          name: `cli-${opts.email}`.slice(0, 64),
          role,
        });
        await call("POST", "/api/v1/auth/logout");
        const path = credentialsPath();
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        writeFileSync(path, `${JSON.stringify({ url: client.url, token: created.token, org }, null, 2)}\n`, {
          mode: 0o600,
        });
        chmodSync(path, 0o600);
        if (opts.json) printJson({ url: client.url, org, role, credentials: path });
        else
          console.log(
            `signed in to ${client.url} as ${opts.email} (${role} in ${org}); token stored in ${path}`,
          );
      },
    );

  program
    .command("logout")
    .description("forget the stored API token")
    .action(() => {
      rmSync(credentialsPath(), { force: true });
      console.log("signed out");
    });

  program
    .command("user")
    .description("users (platform admins)")
    .command("create")
    .description("create a user")
    .requiredOption("--email <email>", "email")
    .option("--password-stdin", "read the password from standard input (else BERTH_PASSWORD)")
    .option("--platform-admin", "make the user a platform admin")
    .option("--json", "print the result as JSON")
    .action(
      async (
        opts: { email: string; passwordStdin?: boolean; platformAdmin?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const password = await readPassword(Boolean(opts.passwordStdin));
        const r = await clientFor(cmd).request<{ user: { email: string } }>("POST", "/api/v1/users", {
          email: opts.email,
          password,
          platformAdmin: Boolean(opts.platformAdmin),
        });
        if (opts.json) printJson(r);
        else console.log(`user ${r.user.email} created`);
      },
    );

  const org = program
    .command("org")
    .description("organizations: members, tokens, quota, usage, policy, isolation");

  org
    .command("ls")
    .description("organizations you can see")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const r = await clientFor(cmd).request<{ orgs: { slug: string; role: string }[] }>(
        "GET",
        "/api/v1/orgs",
      );
      if (opts.json) return printJson(r);
      console.log(
        table(
          ["ORG", "ROLE"],
          r.orgs.map((o) => [o.slug, o.role]),
        ),
      );
    });

  org
    .command("create")
    .description("create an organization (platform admins)")
    .argument("<slug>", "lowercase letters, digits and '-'")
    .option("--name <name>", "display name")
    .option("--owner <email>", "an existing user who becomes its owner")
    .option("--json", "print the result as JSON")
    .action(async (slug: string, opts: { name?: string; owner?: string; json?: boolean }, cmd: Command) => {
      const r = await clientFor(cmd).request("POST", "/api/v1/orgs", {
        slug,
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.owner ? { owner: opts.owner } : {}),
      });
      if (opts.json) printJson(r);
      else console.log(`organization ${slug} created`);
    });

  org
    .command("members")
    .description("members and roles")
    .argument("<org>", "organization")
    .option("--json", "print the result as JSON")
    .action(async (o: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await clientFor(cmd).request<{ members: { email: string; role: string }[] }>(
        "GET",
        `/api/v1/orgs/${encodeURIComponent(o)}/members`,
      );
      if (opts.json) return printJson(r);
      console.log(
        table(
          ["EMAIL", "ROLE"],
          r.members.map((m) => [m.email, m.role]),
        ),
      );
    });

  org
    .command("member")
    .description("add a member or change a role (--role), or remove one (--remove)")
    .argument("<org>", "organization")
    .argument("<email>", "the user's email")
    .option("--role <role>", "owner, admin, deployer or viewer")
    .option("--remove", "remove the member")
    .action(async (o: string, email: string, opts: { role?: string; remove?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      if (opts.remove) {
        await client.request(
          "DELETE",
          `/api/v1/orgs/${encodeURIComponent(o)}/members/${encodeURIComponent(email)}`,
        );
        return console.log(`${email} removed from ${o}`);
      }
      if (!opts.role)
        throw new ConfigError("--role", "give a role (owner, admin, deployer, viewer) or --remove");
      await client.request("PUT", `/api/v1/orgs/${encodeURIComponent(o)}/members`, {
        email,
        role: opts.role,
      });
      console.log(`${email} is ${opts.role} in ${o}`);
    });

  const tokens = org.command("token").description("API tokens scoped to an organization and a role");
  tokens
    .command("create")
    .argument("<org>", "organization")
    .requiredOption("--name <name>", "what the token is for")
    .requiredOption("--role <role>", "owner, admin, deployer or viewer")
    .option("--expires-in-days <n>", "expiry")
    .option("--json", "print the result as JSON")
    .action(
      async (
        o: string,
        opts: { name: string; role: string; expiresInDays?: string; json?: boolean },
        cmd: Command,
      ) => {
        const days =
          opts.expiresInDays === undefined ? undefined : num(opts.expiresInDays, "--expires-in-days", true);
        const r = await clientFor(cmd).request<{ token: string; id: string }>(
          "POST",
          `/api/v1/orgs/${encodeURIComponent(o)}/tokens`,
          {
            name: opts.name,
            role: opts.role,
            ...(days ? { expiresInDays: days } : {}),
          },
        );
        if (opts.json) return printJson(r);
        console.log(r.token);
        console.error(`token ${r.id} (shown once; store it now)`);
      },
    );
  tokens
    .command("ls")
    .argument("<org>", "organization")
    .option("--json", "print the result as JSON")
    .action(async (o: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await clientFor(cmd).request<{
        tokens: {
          id: string;
          name: string;
          role: string;
          expiresAt: string | null;
          revokedAt: string | null;
        }[];
      }>("GET", `/api/v1/orgs/${encodeURIComponent(o)}/tokens`);
      if (opts.json) return printJson(r);
      console.log(
        table(
          ["ID", "NAME", "ROLE", "EXPIRES", "REVOKED"],
          r.tokens.map((t) => [t.id, t.name, t.role, t.expiresAt ?? "-", t.revokedAt ?? "-"]),
        ),
      );
    });
  tokens
    .command("revoke")
    .argument("<org>", "organization")
    .argument("<id>", "token id")
    .action(async (o: string, id: string, _opts: unknown, cmd: Command) => {
      await clientFor(cmd).request(
        "DELETE",
        `/api/v1/orgs/${encodeURIComponent(o)}/tokens/${encodeURIComponent(id)}`,
      );
      console.log(`token ${id} revoked`);
    });

  org
    .command("quota")
    .description("show the quota, or set limits (platform admins; 'none' lifts one)")
    .argument("<org>", "organization")
    .option("--cpus <n>", "CPUs")
    .option("--memory <size>", "memory, like 4G")
    .option("--services <n>", "services")
    .option("--replicas <n>", "tasks")
    .option("--volumes <size>", "volume bytes")
    .option("--json", "print the result as JSON")
    .action(async (o: string, opts: Record<string, string | boolean | undefined>, cmd: Command) => {
      const body = {
        ...(typeof opts.cpus === "string" ? { cpus: num(opts.cpus, "--cpus") } : {}),
        ...(typeof opts.memory === "string" ? { memoryBytes: bytes(opts.memory, "--memory") } : {}),
        ...(typeof opts.services === "string" ? { services: num(opts.services, "--services", true) } : {}),
        ...(typeof opts.replicas === "string" ? { replicas: num(opts.replicas, "--replicas", true) } : {}),
        ...(typeof opts.volumes === "string" ? { volumeBytes: bytes(opts.volumes, "--volumes") } : {}),
      };
      const path = `/api/v1/orgs/${encodeURIComponent(o)}/quota`;
      const client = clientFor(cmd);
      const r = await (Object.keys(body).length
        ? client.request<Json>("PUT", path, body)
        : client.request<Json>("GET", path));
      if (opts.json) return printJson(r);
      const q = r.quota;
      console.log(
        `cpus ${show(q.cpus)}  memory ${show(q.memoryBytes === null ? null : q.memoryBytes / GIB, " GiB")}  services ${show(q.services)}  replicas ${show(q.replicas)}`,
      );
    });

  org
    .command("usage")
    .description("what the organization's stacks use, beside its quota")
    .argument("<org>", "organization")
    .option("--json", "print the result as JSON")
    .action(async (o: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await clientFor(cmd).request<Json>("GET", `/api/v1/orgs/${encodeURIComponent(o)}/usage`);
      if (opts.json) return printJson(r);
      const { usage: u, quota: q } = r;
      console.log(
        table(
          ["RESOURCE", "USED", "QUOTA"],
          [
            ["cpus", show(u.cpus), show(q.cpus)],
            [
              "memory",
              show(u.memoryBytes / GIB, " GiB"),
              show(q.memoryBytes === null ? null : q.memoryBytes / GIB, " GiB"),
            ],
            ["services", String(u.services), show(q.services)],
            ["replicas", String(u.replicas), show(q.replicas)],
            [
              "volumes",
              show(u.volumeBytes / GIB, " GiB"),
              show(q.volumeBytes === null ? null : q.volumeBytes / GIB, " GiB"),
            ],
          ],
        ),
      );
    });

  org
    .command("policy")
    .description("lift workload policy rules for an organization (platform admins)")
    .argument("<org>", "organization")
    .option(
      "--placement-labels <keys>",
      "node label keys its placement constraints may use (comma-separated)",
    )
    .option(
      "--bind-mounts",
      "allow bind mounts of host paths (never /, /proc, the Docker socket or a directory above it)",
    )
    .option("--host-ports-anywhere", "allow published ports outside the host port range")
    .option(
      "--capabilities <names>",
      "capabilities its services may add with cap_add, such as NET_ADMIN (comma-separated; never ALL)",
    )
    .option("--json", "print the result as JSON")
    .action(
      async (
        o: string,
        opts: {
          placementLabels?: string;
          bindMounts?: boolean;
          hostPortsAnywhere?: boolean;
          capabilities?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const list = (v: string) => v.split(",").map((s) => s.trim());
        const r = await clientFor(cmd).request("PUT", `/api/v1/orgs/${encodeURIComponent(o)}/policy`, {
          ...(opts.placementLabels ? { placementLabels: list(opts.placementLabels) } : {}),
          ...(opts.capabilities ? { capabilities: list(opts.capabilities) } : {}),
          bindMounts: Boolean(opts.bindMounts),
          hostPortsAnywhere: Boolean(opts.hostPortsAnywhere),
        });
        if (opts.json) printJson(r);
        else console.log(`policy of ${o} updated`);
      },
    );

  org
    .command("verify-isolation")
    .description("send real traffic: within <a> it must connect, from <b> to <a> it must not")
    .argument("<a>", "organization")
    .argument("<b>", "another organization")
    .option("--no-wait", "return once the probe job is queued")
    .option("--json", "print the result as JSON")
    .action(async (a: string, b: string, opts: { wait: boolean; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const { jobId } = await client.request<{ jobId: string }>(
        "POST",
        `/api/v1/orgs/${encodeURIComponent(a)}/verify-isolation`,
        { other: b },
      );
      // The job is organization <a>'s.
      const r: Json = await followJob(client.inOrg(a), jobId, { ...opts, label: `probing ${a} and ${b}` });
      if (!r) return;
      if (opts.json) printJson({ ...r, jobId });
      else {
        console.log(
          `within ${a}: ${r.sameOrg.connected ? "connected" : "NOT connected"} (${r.sameOrg.detail})`,
        );
        console.log(
          `from ${b} to ${a}: ${r.crossOrg.connected ? "CONNECTED" : "blocked"} (${r.crossOrg.detail})`,
        );
        console.log(r.isolated ? "isolated" : "NOT isolated");
      }
      if (!r.isolated) throw new CliError(`${a} and ${b} are not isolated`, EXIT.failed);
    });

  program
    .command("audit")
    .description("the audit log of an organization: who changed what, when, from where")
    .argument("[org]", "organization (default: the current one)")
    .option("-n, --limit <n>", "entries", "50")
    .option("--json", "print the result as JSON")
    .action(async (o: string | undefined, opts: { limit: string; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const target = o ?? globalOptions(cmd).org ?? "default";
      const limit = num(opts.limit, "--limit", true);
      const r = await client.request<Json>(
        "GET",
        `/api/v1/orgs/${encodeURIComponent(target)}/audit?limit=${limit}`,
      );
      if (opts.json) return printJson(r);
      console.log(
        table(
          ["AT", "ACTOR", "ACTION", "TARGET", "FROM"],
          r.entries.map((e: Json) => [e.at, e.actor, e.action, e.target, e.sourceAddress ?? "-"]),
        ),
      );
    });
}
