// Traffic through the routing proxy beside traffic straight to the task, same app, same run: req/s
// and p50/p99 (autocannon) through Caddy (Host header to the proxy's port) and to the task's host port.
// Then, with ROUTES routes in the table, how long a new route takes from the API call to its first
// answer through the proxy (p50/p99), beside the floor: the same table plus one route pushed straight
// to Caddy's admin socket (`POST /load`), timed the same way.
// Usage: tsx bench/proxy.ts [SECONDS] [ROUTES] [ROUNDS]
import http from "node:http";
import { join } from "node:path";
import autocannon from "autocannon";
import { freePort } from "../test/helpers/berth.js";
import { benchBerth, ms, now, percentile, table, waitFor } from "./lib.js";

const SECONDS = Number(process.argv[2] ?? 10);
const ROUTES = Number(process.argv[3] ?? 200);
const ROUNDS = Number(process.argv[4] ?? 20);
const httpPort = await freePort();
const b = await benchBerth({
  BERTH_HTTP_PORT: String(httpPort),
  BERTH_HTTPS_PORT: String(await freePort()),
  BERTH_PROXY_IMAGE: process.env.BERTH_PROXY_IMAGE ?? "local/caddy:2",
  BERTH_PROXY_SYNC_INTERVAL: "1",
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

function admin(method: string, path: string, body?: unknown): Promise<string> {
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
  for (let i = 0; i < ROUTES; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, ROUTES - i) }, async (_, k) => {
        const r = await route(host(`r${i + k}`));
        if (r.status !== 202) throw new Error(JSON.stringify(r.body));
      }),
    );
  }
  await waitFor("every route served", async () => (await status(host(`r${ROUTES - 1}`))) === 200);
  await waitFor("no route pending", async () => {
    const ds = (await b.api("GET", "/api/v1/domains")).body.domains as { status: string }[];
    return ds.every((d) => d.status === "active");
  });
  console.log(`\n${ROUTES} routes in the table after ${((now() - t) / 1000).toFixed(1)} s`);

  const berth: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    t = now();
    const r = await route(host(`new${i}`));
    if (r.status !== 202) throw new Error(JSON.stringify(r.body));
    await waitFor("the new route", async () => (await status(host(`new${i}`))) === 200, 60_000);
    berth.push(now() - t);
    // Let the watch see the table it pushed, so the raw load below is not overwritten meanwhile.
    await waitFor("the sync done", async () => {
      const ds = (await b.api("GET", "/api/v1/domains")).body.domains as { status: string }[];
      return ds.every((d) => d.status === "active");
    });
  }
  // The floor: Caddy loading the same table with one more route, pushed straight to its socket.
  // The watch (1 s) puts Berth's table back afterwards; each round waits for that first.
  for (let i = 0; i < ROUNDS; i++) {
    const config = JSON.parse(await admin("GET", "/config/"));
    const h = host(`raw${i}`);
    config.apps.http.servers.http.routes.unshift({
      match: [{ host: [h] }],
      handle: [{ handler: "static_response", status_code: 200, body: "raw\n" }],
      terminal: true,
    });
    t = now();
    await admin("POST", "/load", config);
    await waitFor("the raw route", async () => (await status(h)) === 200, 60_000);
    raw.push(now() - t);
    await waitFor("Berth's table back", async () => (await status(h)) === 404, 60_000);
  }
  console.log(`\nroute change to serving, ${ROUNDS} rounds, with ${ROUTES}+ routes in the table`);
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
