// Every `bin/berth` command the README shows, run as written against a control plane on the real
// swarm: a command that stops working, or an example that drifts from the CLI, fails here.
//
// The README is read, not copied: each indented line starting with `bin/berth` is a command. Optional
// parts in brackets are left out (`[--to 1]`), `<id>` becomes the newest job's id, and `stack.yml` a
// small compose file. Sections run in the order below (each needs what the one before made), removals
// (`rm`, `stack rm`, `domain rm`) last, newest first. `cert.pem` and `key.pem` are a certificate
// made for the README's host. A few lines cannot run here as written; each is
// listed with why, and printed, and every other command must exit 0.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BIN,
  docker,
  freePort,
  type RunResult,
  removeImagesOf,
  startBerth,
  type TestBerth,
} from "../helpers/berth.js";
import { makeCert } from "../helpers/certs.js";

interface Command {
  line: number;
  section: string;
  text: string;
}

const README = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
const SECTIONS = [
  "Using it",
  "Building images from a directory",
  "Builds on several nodes",
  "Compose stacks",
  "Backups and restores",
  "Templates and customer instances",
  "Managed PostgreSQL databases",
  "Organizations, people and tokens",
  "Domains and the routing proxy",
];
const PASSWORD = "readme-example-password";

/** Lines that cannot run as written here, and why. Anything else in the README must run. */
function notRunnable(c: Command): string | undefined {
  const args = berthArgs(c.text);
  const verb = args[0] === "--org" ? args[2] : args[0];
  if (verb === "up" || verb === "down")
    return "the test runs its own control plane (its data directory, ports and proxy image)";
  if (/(^|\s)\.\.\.(\s|$)/.test(c.text))
    return "a schematic line: `...` stands for the rest of a command shown in full elsewhere";
  if (c.text.includes(" / ")) return "two commands on one line, each also shown on its own";
  return undefined;
}

function commands(): Command[] {
  const found: Command[] = [];
  let section = "";
  README.split("\n").forEach((raw, i) => {
    const heading = /^#+ (.*)$/.exec(raw);
    if (heading) section = heading[1]!.trim();
    const m = /^ {4,}((?:[A-Z_]+=\S+ )*bin\/berth .*)$/.exec(raw);
    if (!m) return;
    const text = m[1]!.replace(/\s+#.*$/, "").trim();
    found.push({ line: i + 1, section, text });
  });
  return found;
}

/** Splits like a shell for the README's simple lines: spaces, double and single quotes. */
function words(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** The words after `bin/berth` (a line may set environment variables before it). */
function berthArgs(text: string): string[] {
  const w = words(text);
  return w.slice(w.indexOf("bin/berth") + 1);
}

const isRemoval = (c: Command) =>
  /^bin\/berth (?:--org \S+ )?(?:rm|stack rm|domain rm|instance rm)\b/.test(c.text);

let b: TestBerth;
let stackFile: string;
let certFile: string;
let keyFile: string;
const skipped: { command: Command; why: string }[] = [];

function berth(args: string[], o: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...b.env, ...o.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => done({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(o.stdin ?? "");
  });
}

/** What `<id>` stands for: the newest backup in `backup` lines, the newest job elsewhere. */
async function newestId(command: string): Promise<string> {
  const [args, list] =
    command === "backup" ? [["backup", "ls", "--json"], "backups"] : [["jobs", "--json"], "jobs"];
  const r = await berth(args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout)[list][0].id;
}

/** The command as it runs here: brackets left out, placeholders filled. */
async function argsOf(c: Command): Promise<string[]> {
  const text = c.text.replace(/\s*\[[^\]]*\]/g, "");
  const args = berthArgs(text);
  const filled: string[] = [];
  for (const a of args) {
    if (a === "<id>") filled.push(await newestId(args[0]!));
    else if (a === "stack.yml") filled.push(stackFile);
    else if (a === "cert.pem") filled.push(certFile);
    else if (a === "key.pem") filled.push(keyFile);
    else filled.push(a);
  }
  return filled;
}

beforeAll(async () => {
  b = await startBerth({
    BERTH_HTTP_PORT: String(await freePort()),
    BERTH_HTTPS_PORT: String(await freePort()),
    BERTH_PROXY_IMAGE: "local/caddy:2",
    // The README's setting for machines without a registry (the default helper is pulled).
    BERTH_BACKUP_HELPER_IMAGE: "local/httpd:1",
    // The managed databases' server: the local image, on a port of this test's own.
    BERTH_POSTGRES_IMAGE: "local/postgres:15",
    BERTH_POSTGRES_PORT: String(await freePort()),
    // Berth's own update monitor, as on a fresh machine (other tests shorten it).
    BERTH_UPDATE_MONITOR: "5",
  });
  const dir = mkdtempSync(join(tmpdir(), "berth-readme-"));
  stackFile = join(dir, "stack.yml");
  // The README's uploaded certificate: one that covers its host.
  const cert = await makeCert({ names: ["secure.example.com"] });
  certFile = join(dir, "cert.pem");
  keyFile = join(dir, "key.pem");
  writeFileSync(certFile, cert.cert);
  writeFileSync(keyFile, cert.key);
  writeFileSync(
    stackFile,
    'services:\n  web:\n    image: local/berth-demo:1\n    ports: ["8080"]\n    volumes: ["data:/data"]\nvolumes:\n  data: {}\n',
  );
  // What the README's lines assume exists: bob (made a member), globex (whose isolation from acme is
  // verified) and shop-copy (a stack with the same volume, restored into).
  expect((await b.api("POST", "/api/v1/orgs", { slug: "globex" })).status).toBe(201);
  const bob = await berth(["user", "create", "--email", "bob@example.com", "--password-stdin"], {
    stdin: `${PASSWORD}\n`,
  });
  expect(bob.code, bob.stderr).toBe(0);
  const copy = await berth(["stack", "deploy", "-c", stackFile, "--name", "shop-copy"]);
  expect(copy.code, copy.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  for (const { command, why } of skipped)
    console.log(`skipped README line ${command.line}: ${command.text} (${why})`);
  await b?.stop();
  // Images its builds tagged (the registry keeps the last few per service, as designed): by label.
  if (b) await removeImagesOf(docker(), b.instance);
});

describe("every README command works as written", () => {
  const all = commands();
  const known = all.filter((c) => SECTIONS.includes(c.section));

  it("finds the README's commands, each in a section this test runs", () => {
    expect(all.length).toBeGreaterThan(30);
    expect(all.filter((c) => !SECTIONS.includes(c.section)).map((c) => `${c.line}: ${c.section}`)).toEqual(
      [],
    );
  });

  const runnable = known.filter((c) => {
    const why = notRunnable(c);
    if (why) skipped.push({ command: c, why });
    return !why;
  });
  const order = [
    ...SECTIONS.flatMap((s) => runnable.filter((c) => c.section === s && !isRemoval(c))),
    ...runnable.filter(isRemoval).reverse(),
  ];
  for (const c of order) {
    it(`line ${c.line}: ${c.text}`, async () => {
      const args = await argsOf(c);
      const stdin = c.text.includes("--password-stdin") ? `${PASSWORD}\n` : undefined;
      // `login` stores its token in a file of its own here, so the lines after it keep running as
      // the platform admin (the README's reader would sign in as alice once and stay so).
      const env = args[0] === "login" ? { BERTH_CREDENTIALS: join(b.dataDir, "alice.json") } : {};
      const r = await berth(args, { ...(stdin ? { stdin } : {}), env });
      expect(r.code, `${args.join(" ")}\n${r.stderr}${r.stdout}`).toBe(0);
    }, 180_000);
  }
});
