// Runs the real `bin/berth` against a control plane of the test's own (temporary data directory,
// free port), and cleans up what a test created by label.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Docker from "dockerode";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BIN = join(ROOT, "bin/berth");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 240_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
    srv.on("error", fail);
  });
}

export interface ApiResult {
  status: number;
  body: any;
}

export interface TestBerth {
  dataDir: string;
  port: number;
  url: string;
  env: NodeJS.ProcessEnv;
  /** The admin API token of this control plane. */
  token: string;
  /** Its installation id: the `berth.instance` label on everything it creates. */
  instance: string;
  /** Calls the API with the admin token; the body is parsed JSON. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResult>;
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  /** The last lines of this control plane's log (for a failure's message). */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/**
 * The host ports of this test worker's control planes: test files run two at a time
 * (vitest.config.ts), and two installations choosing the lowest free port at the same moment
 * would choose the same one. Each worker gets a range of its own.
 */
export function laneHostPorts(): string {
  const lane = Math.max(1, Number(process.env.VITEST_POOL_ID) || 1) - 1;
  const from = 30000 + (lane % 2) * 1000;
  return `${from}-${from + 999}`;
}

/** Starts `berth up --detach` on a fresh data directory. */
export async function startBerth(env: NodeJS.ProcessEnv = {}): Promise<TestBerth> {
  const dataDir = mkdtempSync(join(tmpdir(), "berth-it-"));
  const port = await freePort();
  // The CLI's stored credentials (berth login) stay inside this control plane's directory.
  const baseEnv = {
    BERTH_DATA_DIR: dataDir,
    BERTH_PORT: String(port),
    BERTH_CREDENTIALS: join(dataDir, "credentials.json"),
    // Ports of this control plane's own: another test's may run beside it.
    BERTH_HOST_PORTS: laneHostPorts(),
    BERTH_HTTP_PORT: String(await freePort()),
    BERTH_HTTPS_PORT: String(await freePort()),
    BERTH_POSTGRES_PORT: String(await freePort()),
    // New and updated tasks are watched for 2 s instead of Berth's 5 s: what the tests check does
    // not depend on the window's length, and each deploy is 3 s shorter. The README's commands and
    // the benches run with the default.
    BERTH_UPDATE_MONITOR: "2",
    ...env,
  };
  const up = await run(["up", "--detach"], baseEnv);
  if (up.code !== 0) throw new Error(`berth up failed (${up.code}): ${up.stderr || up.stdout}`);
  const url = `http://127.0.0.1:${port}`;
  const token = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  const { instance } = JSON.parse(readFileSync(join(dataDir, "server.json"), "utf8"));
  if (typeof instance !== "string")
    throw new Error("server.json has no instance (is dist/ stale? npm run build)");
  return {
    dataDir,
    port,
    url,
    env: baseEnv,
    token,
    instance,
    async api(method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await res.json() };
    },
    cli: (args, extra = {}) => run(args, { ...baseEnv, ...extra }),
    logTail(lines = 40) {
      try {
        // Request lines (a CLI polling its job) would crowd out what the jobs said.
        const all = readFileSync(join(dataDir, "berth.log"), "utf8").trimEnd().split("\n");
        return all
          .filter((l) => !/"msg":"(incoming request|request completed)"/.test(l))
          .slice(-lines)
          .join("\n");
      } catch (e) {
        return `(no log: ${(e as Error).message})`;
      }
    },
    /** Stops the control plane and removes what it left in Swarm (a test's stacks, networks...). */
    async stop() {
      await run(["down"], baseEnv);
      rmSync(dataDir, { recursive: true, force: true });
      await removeOwnedBy(new Docker(), instance);
    },
  };
}

export function docker(host?: string): Docker {
  if (!host) return new Docker();
  const u = new URL(host);
  return new Docker({ host: u.hostname, port: Number(u.port), protocol: "http" });
}

/** One HTTP call as anyone: a token, a session cookie, or nobody. */
export async function call(
  url: string,
  method: string,
  path: string,
  o: { token?: string; cookie?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResult & { headers: Headers; text: string }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(o.cookie ? { cookie: o.cookie } : {}),
      ...(o.body === undefined ? {} : { "content-type": "application/json" }),
      ...o.headers,
    },
    ...(o.body === undefined ? {} : { body: typeof o.body === "string" ? o.body : JSON.stringify(o.body) }),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (docs page, log stream)
  }
  return { status: res.status, body, headers: res.headers, text };
}

/**
 * Removes every Swarm object labelled with installation `instance`: services first, then, once their
 * tasks are gone, networks, secrets, configs and volumes. What is still in use after 30 s stays.
 */
export async function removeOwnedBy(d: Docker, instance: string): Promise<void> {
  const filters = { label: [`berth.instance=${instance}`] };
  const services: any[] = await (d.listServices as any)({ filters });
  await Promise.allSettled(services.map((s) => d.getService(s.ID).remove()));
  const ids = new Set(services.map((s) => s.ID));
  const deadline = Date.now() + 30_000;
  const settled = async () => !((await d.listTasks()) as any[]).some((t) => ids.has(t.ServiceID));
  while (ids.size > 0 && Date.now() < deadline && !(await settled())) await sleep(250);
  // A volume stays in use until the Engine has removed the last container of its tasks.
  const removalDeadline = Date.now() + 60_000;
  for (;;) {
    const left = [
      ...((await d.listNetworks({ filters })) as any[]).map((n) => d.getNetwork(n.Id)),
      ...((await d.listSecrets({ filters })) as any[]).map((x) => d.getSecret(x.ID)),
      ...((await d.listConfigs({ filters })) as any[]).map((x) => d.getConfig(x.ID)),
      ...((await d.listVolumes({ filters })).Volumes ?? []).map((v) => d.getVolume(v.Name)),
    ];
    const results = await Promise.allSettled(left.map((o) => o.remove()));
    const failed = results.filter((r) => r.status === "rejected").length;
    if (failed === 0 || Date.now() > removalDeadline) return;
    await sleep(500);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Services of stacks whose name starts with `prefix` (found by Berth's labels). */
export async function servicesOfStacks(d: Docker, prefix: string): Promise<any[]> {
  const all: any[] = await (d.listServices as any)({ filters: { label: ["berth.managed=true"] } });
  return all.filter((s) => (s.Spec?.Labels?.["berth.stack"] ?? "").startsWith(prefix));
}

export async function removeStacks(d: Docker, prefix: string): Promise<void> {
  for (const s of await servicesOfStacks(d, prefix)) {
    await d
      .getService(s.ID)
      .remove()
      .catch(() => {});
  }
}

/** Removes the images an installation tagged (its builds), found by its `berth.instance` label. */
export async function removeImagesOf(d: Docker, instance: string): Promise<void> {
  const images = await d.listImages({ filters: { label: [`berth.instance=${instance}`] } });
  for (const img of images)
    await d
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => {});
}

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Runs one set-up step with its own bound: a step that hangs fails with its name and the control
 * plane's last log lines, instead of a bare hook timeout that says nothing of where it stood.
 */
export async function step<T>(
  b: TestBerth,
  what: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () =>
        fail(new Error(`${what} did not finish within ${timeoutMs} ms; Berth's log ends:\n${b.logTail()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([fn(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `berth deploy --json` of the tiny test app, which serves MESSAGE. */
export function deployHttpd(
  b: TestBerth,
  name: string,
  opts: { message?: string; replicas?: number } = {},
): Promise<RunResult> {
  return b.cli([
    "deploy",
    ...["--image", "local/httpd:1", "--name", name, "--port", "8080"],
    ...(opts.message ? ["-e", `MESSAGE=${opts.message}`] : []),
    ...(opts.replicas ? ["--replicas", String(opts.replicas)] : []),
    "--json",
  ]);
}

/** A unique stack-name prefix per test file, so files never touch each other's stacks. */
export function stackPrefix(tag: string): string {
  // Files run side by side: a clock alone could give two of them one prefix.
  return `it${tag}${Date.now().toString(36).slice(-3)}${Math.random().toString(36).slice(2, 4)}`;
}
