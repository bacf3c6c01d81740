// Shared bits of the benchmarks: timing, percentiles, a Berth of the bench's own, its API.
import http from "node:http";
import { startBerth, type TestBerth } from "../test/helpers/berth.js";

export const now = () => performance.now();

export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const ms = (v: number) => `${v.toFixed(1)} ms`;

export type BenchBerth = TestBerth;

export function benchBerth(env: NodeJS.ProcessEnv = {}): Promise<BenchBerth> {
  return startBerth({ BERTH_AUTO_REPAIR: "off", BERTH_LOG_LEVEL: "warn", BERTH_UPDATE_MONITOR: "5", ...env });
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 300_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for a deployment to end and fails loudly if it did not succeed. */
export async function deployed(b: BenchBerth, body: unknown): Promise<any> {
  const r = await b.api("POST", "/api/v1/deployments", body);
  if (r.status !== 202) throw new Error(`deploy refused: ${JSON.stringify(r.body)}`);
  const d = await waitFor("the deployment", async () => {
    const x = (await b.api("GET", `/api/v1/deployments/${r.body.deployment.id}`)).body.deployment;
    return ["succeeded", "failed", "rolled_back"].includes(x.status) ? x : undefined;
  });
  if (d.status !== "succeeded") throw new Error(`deployment ${d.status}: ${d.reason}`);
  return d;
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i]!)).join("  ")).join("\n");
}

export interface TrafficCounts {
  requests: number;
  /** Answered 2xx. */
  ok: number;
  /** Sent again on a new connection: the first went on a kept-alive one the server had closed. */
  retried: number;
  failed: number;
}

export interface SteadyTraffic {
  /** The counts so far (requests still in flight are in `requests` only). */
  counts(): TrafficCounts;
  /** Stops sending, waits for the requests in flight, and tells what happened. */
  stop(): Promise<{
    requests: number;
    /** Answered 2xx. */
    ok: number;
    /** Sent again on a new connection: the first went on a kept-alive one the server had closed. */
    retried: number;
    /** Each failure's cause (an error code, `HTTP <status>`) with when it happened (ms from start). */
    failures: Map<string, number[]>;
    latencies: number[];
  }>;
}

/**
 * `rate` GET requests a second to `host` over kept-alive connections (at most `connections`), the
 * way browsers and curl send them: a request that went out on a reused connection the server had
 * just closed (Caddy closes idle ones when it loads a config) and got no answer byte is sent once
 * more on a new connection, as RFC 9112 9.3.1 allows for idempotent requests; anything else that
 * is not a 2xx is a failure. (autocannon counts such a request as an error, or loses it and times
 * out 10 s later.)
 */
export function steadyTraffic(o: {
  port: number;
  host: string;
  rate: number;
  connections?: number;
  address?: string;
}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections ?? 10 });
  const start = now();
  const failures = new Map<string, number[]>();
  const latencies: number[] = [];
  let requests = 0;
  let ok = 0;
  let retried = 0;
  const inFlight = new Set<Promise<void>>();
  const failed = (what: string) => {
    const at = failures.get(what) ?? [];
    at.push(Math.round(now() - start));
    failures.set(what, at);
  };
  const send = (t0: number, again: boolean): Promise<void> =>
    new Promise((resolve) => {
      let answered = false;
      const req = http.get(
        {
          host: o.address ?? "127.0.0.1",
          port: o.port,
          path: "/",
          headers: { host: o.host },
          // The second try goes on a connection of its own, not another kept-alive one.
          agent: again ? false : agent,
          timeout: 10_000,
        },
        (res) => {
          answered = true;
          res.resume();
          res.on("end", () => {
            if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) {
              ok++;
              latencies.push(now() - t0);
            } else failed(`HTTP ${res.statusCode}`);
            resolve();
          });
          res.on("error", (err: NodeJS.ErrnoException) => {
            failed(err.code ?? err.message);
            resolve();
          });
        },
      );
      req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "TIMEOUT" })));
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (answered) return;
        if (!again && req.reusedSocket && ["ECONNRESET", "EPIPE"].includes(err.code ?? "")) {
          retried++;
          send(t0, true).then(resolve);
          return;
        }
        const on = again
          ? "the second try"
          : req.reusedSocket
            ? "a kept-alive connection"
            : "a new connection";
        failed(`${err.code ?? err.message} on ${on}`);
        resolve();
      });
    });
  // Requests go out on a schedule (never waiting for answers), every 10 ms as many as are due.
  let due = 0;
  const timer = setInterval(() => {
    const target = Math.floor(((now() - start) / 1000) * o.rate);
    for (; due < target; due++) {
      requests++;
      const p = send(now(), false);
      inFlight.add(p);
      p.then(() => inFlight.delete(p));
    }
  }, 10);
  return {
    counts: () => ({
      requests,
      ok,
      retried,
      failed: [...failures.values()].reduce((n, at) => n + at.length, 0),
    }),
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      agent.destroy();
      return { requests, ok, retried, failures, latencies };
    },
  } satisfies SteadyTraffic;
}
