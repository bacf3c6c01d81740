// Traffic through the routing proxy beside traffic straight to the task, same app, same run: req/s
// and p50/p99 (autocannon) through Caddy (Host header to the proxy's port) and to the task's host port.
// Then, with ROUTES routes in the table (a stack's domains, one deployment) and RATE req/s going to
// another route all along (kept-alive connections, a request that met a connection closed by a load
// sent again on a new one as browsers do; every other failure counted by cause and time), how long a
// new route takes from the API call
// to its first answer through the proxy (p50/p99), where the sync job's time goes (queue wait, routes
// read, proxy stack, config build, Caddy load, routes marked active; from its log), beside the floor: the same table plus
// one route pushed straight to Caddy's admin socket (`POST /load`), timed the same way.
// Usage: tsx bench/proxy.ts [SECONDS] [ROUTES] [ROUNDS] [RATE] [UPSTREAMS]
// UPSTREAMS (default 1): how many distinct upstreams the table's routes use; ROUTES makes every route
// its own upstream, which is what Caddy's load costs most for (routes sharing one share a handler).
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { freePort } from "../test/helpers/berth.js";
import { benchBerth, ms, now, percentile, steadyTraffic, type TrafficCounts, table, waitFor } from "./lib.js";

/** Polls every 5 ms (waitFor's 100 ms would round every figure up). */
async function firstOk(h: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await status(h)) !== 200) {
    if (Date.now() > deadline) throw new Error(`${h}: not served within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const SECONDS = Number(process.argv[2] ?? 10);
const ROUTES = Number(process.argv[3] ?? 1000);
const ROUNDS = Number(process.argv[4] ?? 20);
const RATE = Number(process.argv[5] ?? 200);
// How many distinct upstreams the table's routes use: 1 (every route to the demo's port 8080), up to
// ROUTES (each route its own port of the service; only the first one's, 8080, answers).
const UPSTREAMS = Math.max(1, Math.min(ROUTES, Number(process.argv[6] ?? 1)));
const portOf = (i: number) => (i % UPSTREAMS === 0 ? 8080 : 20_000 + (i % UPSTREAMS));
const httpPort = await freePort();
const b = await benchBerth({
  BERTH_HTTP_PORT: String(httpPort),
  BERTH_HTTPS_PORT: String(await freePort()),
  BERTH_PROXY_IMAGE: process.env.BERTH_PROXY_IMAGE ?? "local/caddy:2",
});
const tag = Date.now().toString(36).slice(-4);
const host = (name: string) => `${name}-${tag}.bench.test`;

function status(h: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: "127.0.0.1", port: httpPort, path: "/", headers: { host: h }, agent: false },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", () => resolve(0));
  });
}

/** One admin API call; a connection Caddy resets (it may, around a load) is tried again, up to twice. */
async function admin(method: string, path: string, body?: unknown, tries = 3): Promise<string> {
  try {
    return await adminOnce(method, path, body);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ECONNRESET" || tries <= 1) throw err;
    await new Promise((r) => setTimeout(r, 100));
    return admin(method, path, body, tries - 1);
  }
}

function adminOnce(method: string, path: string, body?: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: join(b.dataDir, "proxy", "admin.sock"),
        method,
        path,
        setHost: false,
        headers: { Host: "", "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("error", reject);
        res.on("end", () => (res.statusCode === 200 ? resolve(text) : reject(new Error(text))));
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

async function load(title: string, url: string, headers: Record<string, string> = {}) {
  const r = await autocannon({ url, duration: SECONDS, connections: 10, headers });
  const bad = r.non2xx + r.errors + r.timeouts;
  return [
    title,
    `${(r.requests.total / SECONDS).toFixed(0)}/s`,
    ms(r.latency.p50),
    ms(r.latency.p99),
    `${bad}`,
  ];
}

const route = (h: string) =>
  b.api("POST", "/api/v1/domains", { host: h, stack: "web", service: "web", port: 8080, tls: "off" });

try {
  const dep = await b.cli([
    "deploy",
    "--image",
    "local/berth-demo:1",
    "--name",
    "web",
    "--port",
    "8080",
    "--json",
  ]);
  if (dep.code !== 0) throw new Error(dep.stderr);
  const direct = JSON.parse(dep.stdout).urls[0] as string;
  const add = await b.cli([
    "domain",
    "add",
    host("app"),
    "--stack",
    "web",
    "--service",
    "web",
    "--port",
    "8080",
    "--tls",
    "off",
  ]);
  if (add.code !== 0) throw new Error(add.stderr);
  await waitFor("the route", async () => (await status(host("app"))) === 200);

  console.log(`\nHTTP, ${SECONDS} s each, 10 connections, one task of the demo app (Node, keep-alive)`);
  const rows = [
    ["path", "rate", "p50", "p99", "non-2xx/errors"],
    await load("straight to the task (host port)", direct),
    await load("through Caddy (Berth's route)", `http://127.0.0.1:${httpPort}/`, { host: host("app") }),
  ];
  console.log(table(rows));

  let t = now();
  // The table: one compose stack whose service has ROUTES domains (one deployment, one sync).
  const file = join(mkdtempSync(join(tmpdir(), "berth-bench-")), "many.yml");
  writeFileSync(
    file,
    [
      "services:",
      "  web:",
      "    image: local/berth-demo:1",
      "    x-berth-domains:",
      ...Array.from(
        { length: ROUTES },
        (_, i) => `      - { host: ${host(`r${i}`)}, port: ${portOf(i)}, tls: "off" }`,
      ),
      "",
    ].join("\n"),
  );
  const many = await b.cli(["stack", "deploy", "-c", file, "--name", "many"]);
  if (many.code !== 0) throw new Error(many.stderr);
  await waitFor(
    "the table served",
    async () => (await status(host(`r${UPSTREAMS * Math.floor((ROUTES - 1) / UPSTREAMS)}`))) === 200,
  );
  await waitFor("no route pending", async () => {
    const ds = (await b.api("GET", "/api/v1/domains")).body.domains as { status: string }[];
    return ds.length >= ROUTES && ds.every((d) => d.status === "active");
  });
  console.log(
    `\n${ROUTES} routes to ${UPSTREAMS} distinct upstream(s) in the table after ${((now() - t) / 1000).toFixed(1)} s`,
  );

  // Steady traffic to another route while routes change: any failure is a request lost to a change.
  const traffic = steadyTraffic({ port: httpPort, host: host("app"), rate: RATE });
  const trafficStart = now();
  const berth: number[] = [];
  const raw: number[] = [];
  const parts: Record<string, number[]> = {
    api: [],
    queue: [],
    read: [],
    stack: [],
    build: [],
    load: [],
    marked: [],
    job: [],
    enqueuedToLoaded: [],
    answeredToServed: [],
  };
  const changesAt: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    t = now();
    changesAt.push(Math.round(t - trafficStart));
    const r = await route(host(`new${i}`));
    const apiMs = now() - t;
    parts.api!.push(apiMs);
    if (r.status !== 202) throw new Error(JSON.stringify(r.body));
    const served = await firstOk(host(`new${i}`), 30_000).then(
      () => true,
      () => false,
    );
    // Taken here: waiting for the job's end below (polled every 100 ms) is not the route's.
    const servedMs = now() - t;
    const job = await waitFor("the sync done", async () => {
      const j = (await b.api("GET", `/api/v1/jobs/${r.body.jobId}`)).body;
      return ["succeeded", "failed", "cancelled"].includes(j.job.status) ? j : undefined;
    });
    if (!served || job.job.status !== "succeeded") {
      console.log(`round ${i}: not served: job ${job.job.status} ${job.job.error ?? ""}`);
      console.log((job.logs as { message: string }[]).map((l) => `  ${l.message}`).join("\n"));
      continue;
    }
    berth.push(servedMs);
    const logged = (job.logs as { message: string; at: string }[]).find((l) =>
      l.message.includes("routes in"),
    );
    const line = logged?.message;
    // From the job's creation to its "loaded" line (the database's clock), and from the API's answer
    // to the first 200 (this process's): the difference is what neither the job nor the API holds.
    if (logged) parts.enqueuedToLoaded!.push(Date.parse(logged.at) - Date.parse(job.job.createdAt));
    parts.answeredToServed!.push(servedMs - apiMs);
    const m =
      /in (\d+) ms \(routes read (\d+) ms, proxy stack (\d+) ms, config built (\d+) ms, load (\d+) ms, routes marked (\d+) ms\)/.exec(
        line ?? "",
      );
    if (m) {
      parts.job!.push(Number(m[1]));
      parts.read!.push(Number(m[2]));
      parts.stack!.push(Number(m[3]));
      parts.build!.push(Number(m[4]));
      parts.load!.push(Number(m[5]));
      parts.marked!.push(Number(m[6]));
    }
    parts.queue!.push(Date.parse(job.job.startedAt) - Date.parse(job.job.createdAt));
    // Traffic flows around each change for a while (as it does around the floor's pushes).
    await new Promise((r) => setTimeout(r, 500));
  }
  const duringBerth = traffic.counts();
  // The floor: Caddy loading the same table with one more route, pushed straight to its socket.
  // Berth's table is pushed back straight afterwards (the watch runs at its default interval, as it
  // does during Berth's rounds), and each round waits for that first.
  for (let i = 0; i < ROUNDS; i++) {
    const berthsTable = await admin("GET", "/config/");
    const config = JSON.parse(berthsTable);
    const h = host(`raw${i}`);
    config.apps.http.servers.http.routes.unshift({
      match: [{ host: [h] }],
      handle: [{ handler: "static_response", status_code: 200, body: "raw\n" }],
      terminal: true,
    });
    t = now();
    changesAt.push(Math.round(t - trafficStart));
    await admin("POST", "/load", config);
    await firstOk(h);
    raw.push(now() - t);
    await admin("POST", "/load", JSON.parse(berthsTable));
    await waitFor("Berth's table back", async () => (await status(h)) === 404, 60_000);
  }
  const floorEnd = traffic.counts();
  const sent = await traffic.stop();
  const line = (c: TrafficCounts) =>
    `${c.requests} requests, ${c.failed} failed, ${c.retried} sent again on a new connection (the kept-alive one was closed by a load)`;
  const minus = (a: TrafficCounts, b: TrafficCounts): TrafficCounts => ({
    requests: a.requests - b.requests,
    ok: a.ok - b.ok,
    retried: a.retried - b.retried,
    failed: a.failed - b.failed,
  });
  console.log(
    `\nsteady traffic to another route meanwhile, ${RATE}/s: p50 ${ms(percentile(sent.latencies, 50))}, p99 ${ms(percentile(sent.latencies, 99))}`,
  );
  console.log(`  during Berth's route changes: ${line(duringBerth)}`);
  console.log(
    `  during the floor's pushes (each a load, then a load of Berth's table again): ${line(minus(floorEnd, duringBerth))}`,
  );
  if (sent.failures.size) console.log(`  route changes at ${changesAt.join(", ")} ms`);
  for (const [what, at] of sent.failures) {
    console.log(
      `  ${at.length} x ${what}, at ${at.slice(0, 20).join(", ")}${at.length > 20 ? ", ..." : ""} ms`,
    );
  }
  console.log("\nwhere a sync job's time goes (ms), p50 / p99");
  console.log(
    table([
      ["part", "p50", "p99"],
      ...Object.entries(parts).map(([k, v]) => [k, ms(percentile(v, 50)), ms(percentile(v, 99))]),
    ]),
  );
  console.log(
    `\nroute change to serving, ${ROUNDS} rounds, with ${ROUTES}+ routes in the table (target: p99 <= 300 ms, 0 failed requests)`,
  );
  console.log(
    table([
      ["path", "p50", "p99", "max"],
      [
        "berth domain add (API, job, POST /load) to first 200",
        ms(percentile(berth, 50)),
        ms(percentile(berth, 99)),
        ms(Math.max(...berth)),
      ],
      [
        "POST /load straight to Caddy to first 200 (floor)",
        ms(percentile(raw, 50)),
        ms(percentile(raw, 99)),
        ms(Math.max(...raw)),
      ],
    ]),
  );
} finally {
  await b.stop();
}
