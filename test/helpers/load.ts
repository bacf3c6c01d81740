// Steady HTTP load at a fixed rate (requests are started on a clock, not after the previous one
// ends, so a slow or stuck upstream cannot lower the rate), over keep-alive connections as a browser
// or an API client would use them. Every request that does not end in a 2xx is counted as lost,
// with what happened.
import http from "node:http";

export interface LoadReport {
  sent: number;
  ok: number;
  /** Requests that failed (an error, a timeout, or a status other than 2xx), first ones described. */
  lost: number;
  failures: string[];
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** What answered (a body field the caller picks, e.g. the app's version) and how often. */
  seen: Map<string, number>;
}

export function steadyLoad(o: {
  port: number;
  host: string;
  path?: string;
  perSecond: number;
  /** Reads what answered from a 2xx body (counted in `seen`). */
  label?: (body: string) => string;
}): { stop(): Promise<LoadReport> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const started = Date.now();
  const latencies: number[] = [];
  const failures: string[] = [];
  const seen = new Map<string, number>();
  let sent = 0;
  let ok = 0;
  let lost = 0;
  const pending = new Set<Promise<void>>();

  const one = () =>
    new Promise<void>((done) => {
      const t0 = Date.now();
      const fail = (why: string) => {
        lost++;
        if (failures.length < 20) failures.push(`${new Date().toISOString()} ${why}`);
        done();
      };
      const req = http.request(
        {
          host: "127.0.0.1",
          port: o.port,
          path: o.path ?? "/",
          headers: { host: o.host },
          agent,
          timeout: 15_000,
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c) => (body += c));
          res.on("error", (e) => fail(`response: ${e.message}`));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 299) return fail(`status ${status}: ${body.slice(0, 120).trim()}`);
            ok++;
            latencies.push(Date.now() - t0);
            const key = o.label?.(body);
            if (key !== undefined) seen.set(key, (seen.get(key) ?? 0) + 1);
            done();
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timed out after 15 s")));
      req.on("error", (e) => fail(e.message));
      req.end();
    });

  // A clock that catches up: each tick starts every request that is due by now.
  const interval = 1000 / o.perSecond;
  const timer = setInterval(() => {
    const due = Math.floor((Date.now() - started) / interval);
    while (sent < due) {
      sent++;
      const p = one();
      pending.add(p);
      p.finally(() => pending.delete(p));
    }
  }, 5);

  return {
    async stop() {
      clearInterval(timer);
      const seconds = (Date.now() - started) / 1000;
      await Promise.all(pending);
      agent.destroy();
      latencies.sort((a, b) => a - b);
      const q = (f: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? 0;
      return { sent, ok, lost, failures, seconds, p50Ms: q(0.5), p99Ms: q(0.99), seen };
    },
  };
}
