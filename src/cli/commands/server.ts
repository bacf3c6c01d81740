// `berth up` and `berth down`: run the control plane in the foreground or detached.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { constants } from "node:os";
import type { Command } from "commander";
import { dataDirPaths, type ServerInfo } from "../../config/data-dir.js";
import { hasMallocTunables, withMallocTunables } from "../../config/defaults.js";
import { loadServerConfig } from "../../config/server-config.js";
import { isAlive } from "../../server/lock.js";
import { CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { globalOptions } from "../globals.js";
import { printJson } from "../output.js";

export function registerServerCommands(program: Command): void {
  program
    .command("up")
    .description("start the control plane (API, embedded database, swarm) on this host")
    .option("--port <port>", "API port (env BERTH_PORT, default 4780)")
    .option("--host <address>", "address to listen on (env BERTH_HOST, default 127.0.0.1)")
    .option("--http-port <port>", "host port of the routing proxy for HTTP (env BERTH_HTTP_PORT, default 80)")
    .option(
      "--https-port <port>",
      "host port of the routing proxy for HTTPS (env BERTH_HTTPS_PORT, default 443)",
    )
    .option(
      "--proxy-node-label <label>",
      "run the routing proxy on nodes with this label, key or key=value (env BERTH_PROXY_NODE_LABEL; default: this node)",
    )
    .option("-d, --detach", "run in the background; output goes to <data-dir>/berth.log")
    .option("--json", "print the result as JSON")
    .action(
      async (
        opts: {
          port?: string;
          host?: string;
          httpPort?: string;
          httpsPort?: string;
          proxyNodeLabel?: string;
          detach?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const { dataDir } = globalOptions(cmd);
        const config = loadServerConfig({
          dataDir,
          ...(opts.port ? { port: opts.port } : {}),
          ...(opts.host ? { host: opts.host } : {}),
          ...(opts.httpPort ? { httpPort: opts.httpPort } : {}),
          ...(opts.httpsPort ? { httpsPort: opts.httpsPort } : {}),
          ...(opts.proxyNodeLabel ? { proxyNodeLabel: opts.proxyNodeLabel } : {}),
        });
        if (opts.detach) {
          const args = [
            "up",
            ...["--port", String(config.port), "--host", config.host],
            ...["--http-port", String(config.httpPort), "--https-port", String(config.httpsPort)],
            ...(opts.proxyNodeLabel ? ["--proxy-node-label", opts.proxyNodeLabel] : []),
          ];
          const info = await startDetached(config.dataDir, args);
          const admin = takeInitialAdmin(config.dataDir);
          if (opts.json) printJson({ ...info, ...(admin ? { initialAdmin: admin } : {}) });
          else {
            console.log(`Berth is up at ${info.url} (pid ${info.pid}, data in ${config.dataDir})`);
            console.log(dashboardLine(info.url));
            if (admin) printAdmin(admin);
          }
          return;
        }
        // The allocator reads its settings at process start: run this same command again with them.
        if (!hasMallocTunables(process.env)) process.exit(await rerunWithTunables());
        const { startServer } = await import("../../server/start.js");
        const parentGone = whenParentGone();
        const server = await startServer(config);
        console.error(`Berth is up at ${server.url} (data in ${config.dataDir}); Ctrl-C stops it`);
        console.error(dashboardLine(server.url));
        const admin = process.env[DETACHED_CHILD] ? undefined : takeInitialAdmin(config.dataDir);
        if (admin) printAdmin(admin);
        await new Promise<void>((resolve) => {
          // Handlers stay: a second signal (Ctrl-C reaches parent and server alike) must not kill
          // the server halfway through closing.
          process.on("SIGINT", () => resolve());
          process.on("SIGTERM", () => resolve());
          void parentGone.then(resolve);
        });
        // A job still running once the queue's grace period is over is left to the next start, which
        // retries it: the process ends even if some call of that job never returns.
        const closed = await Promise.race([
          server.close().then(() => true),
          sleep(SHUTDOWN_MS).then(() => false),
        ]);
        if (!closed)
          console.error(
            `error: the control plane did not close within ${SHUTDOWN_MS / 1000} s; stopping anyway`,
          );
        process.exit(closed ? 0 : 1);
      },
    );

  program
    .command("down")
    .description("stop a control plane started with 'berth up --detach'")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { dataDir } = globalOptions(cmd);
      const info = readServerInfo(dataDir);
      if (!info || !isAlive(info.pid)) {
        if (opts.json) printJson({ stopped: false, reason: "not running" });
        else console.log(`Berth is not running on ${dataDir}`);
        return;
      }
      process.kill(info.pid, "SIGTERM");
      const deadline = Date.now() + DOWN_WAIT_MS;
      while (isAlive(info.pid)) {
        if (Date.now() > deadline)
          throw new CliError(`pid ${info.pid} did not stop within ${DOWN_WAIT_MS / 1000} s`, EXIT.failed);
        await sleep(100);
      }
      if (opts.json) printJson({ stopped: true, pid: info.pid });
      else console.log(`Berth stopped (pid ${info.pid})`);
    });
}

/**
 * Runs the foreground `berth up` again as a child with the allocator settings; passes signals on and
 * returns its exit code. The child watches the IPC channel and stops if this process is killed.
 */
function rerunWithTunables(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: withMallocTunables(process.env),
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => child.kill(signal));
  return new Promise((done) => {
    child.on("exit", (code, signal) => done(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
  });
}

/** For a server run again by its parent `berth up`: settles when that parent is gone (even killed). */
function whenParentGone(): Promise<void> {
  if (!process.channel) return new Promise(() => {});
  process.channel.unref();
  return new Promise((resolve) => process.once("disconnect", () => resolve()));
}

async function startDetached(dataDir: string, args: string[]): Promise<ServerInfo> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const paths = dataDirPaths(dataDir);
  const running = readServerInfo(dataDir);
  if (running && isAlive(running.pid)) return running;

  const out = openSync(paths.log, "a");
  const child = spawn(process.execPath, [process.argv[1]!, "--data-dir", dataDir, ...args], {
    detached: true,
    stdio: ["ignore", out, out],
    // The parent prints what the first start hands over (the admin password); the log must not.
    env: { ...withMallocTunables(process.env), [DETACHED_CHILD]: "1" },
  });
  closeSync(out);
  let exited = null as number | null;
  child.on("exit", (code) => {
    exited = code ?? 1;
  });
  child.unref();

  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (exited !== null) throw new CliError(`Berth did not start: ${lastError(paths.log)}`, EXIT.unavailable);
    const info = readServerInfo(dataDir);
    if (info && info.pid === child.pid) return info;
    await sleep(200);
  }
  throw new CliError(`Berth did not come up within 120 s; see ${paths.log}`, EXIT.unavailable);
}

const DETACHED_CHILD = "BERTH_DETACHED_CHILD";

/** The generated first admin password, once: the file is deleted after reading. */
function takeInitialAdmin(dataDir: string): { email: string; password: string } | undefined {
  const path = dataDirPaths(dataDir).initialAdmin;
  if (!existsSync(path)) return undefined;
  const [email, password] = readFileSync(path, "utf8").split("\n");
  rmSync(path, { force: true });
  return email && password ? { email, password } : undefined;
}

function dashboardLine(url: string): string {
  return `dashboard: ${url}/  (sign in with a user's email and password; the first is the platform admin below, or BERTH_ADMIN_EMAIL/BERTH_ADMIN_PASSWORD)`;
}

function printAdmin(a: { email: string; password: string }) {
  console.error(`platform admin created: ${a.email}  password: ${a.password}`);
  console.error(`(shown once; sign in elsewhere with 'berth login --email ${a.email} --password-stdin')`);
}

function readServerInfo(dataDir: string): ServerInfo | undefined {
  const path = dataDirPaths(dataDir).serverInfo;
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as ServerInfo;
  } catch {
    return undefined;
  }
}

/** The error line a failed start printed last. */
function lastError(logPath: string): string {
  const lines = readFileSync(logPath, "utf8").trim().split("\n");
  const line = [...lines].reverse().find((l) => l.startsWith("error:")) ?? lines.at(-1) ?? "";
  return line.replace(/^error:\s*/, "");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a stopping control plane may take to close (the job queue's grace period is 15 s). */
const SHUTDOWN_MS = 20_000;
/** How long `berth down` waits for it: its closing, and then some for the process to end. */
const DOWN_WAIT_MS = SHUTDOWN_MS + 10_000;
