// The API under a steady request rate with 1,000 services on the swarm (100 stacks of 10 services,
// zero replicas so that the machine holds them): read p99 (one stack, the job list), list p99 (every
// stack with its 1,000 services), write-to-queued p99 (POST a deployment until it is queued), beside
// the Engine's own listing of the same 1,000 services (raw API and `docker service ls`), same run.
// Usage: tsx bench/api.ts [SECONDS]  (targets: reads <= 100 ms, writes <= 250 ms, list <= 1 s)
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import autocannon from "autocannon";
import Docker from "dockerode";
import { benchBerth, ms, now, percentile, table, waitFor } from "./lib.js";

const SECONDS = Number(process.argv[2] ?? 15);
const exec = promisify(execFile);
const docker = new Docker();
const b = await benchBerth();
const tag = Date.now().toString(36).slice(-4);
const STACKS = 100;
const auth = { authorization: `Bearer ${b.token}`, "content-type": "application/json" };

function fill(i: number) {
  return {
    name: `api${tag}-${i}`,
    services: Array.from({ length: 10 }, (_, j) => ({ name: `s${j}`, image: "local/httpd:1", replicas: 0 })),
  };
}

async function run(title: string, o: autocannon.Options) {
  let firstRefusal: string | undefined;
  const result = await autocannon({
    duration: SECONDS,
    connections: 4,
    ...o,
    headers: { ...auth, ...o.headers },
    setupClient: (client) => {
      client.on("body", (body: Buffer) => {
        const text = String(body);
        if (text.startsWith('{"error"') && firstRefusal === undefined) firstRefusal = text.slice(0, 200);
      });
    },
  });
  if (firstRefusal) console.log(`${title}: first refusal: ${firstRefusal}`);
  const bad = result.non2xx + result.errors + result.timeouts;
  return [
    title,
    `${result.requests.total}`,
    `${(result.requests.total / SECONDS).toFixed(0)}/s`,
    ms(result.latency.p50),
    ms(result.latency.p99),
    `${bad}`,
  ];
}

try {
  let t = now();
  for (let i = 0; i < STACKS; i += 4) {
    await Promise.all(
      Array.from({ length: Math.min(4, STACKS - i) }, async (_, k) => {
        const r = await b.api("POST", "/api/v1/deployments", fill(i + k));
        if (r.status !== 202) throw new Error(JSON.stringify(r.body));
      }),
    );
  }
  await waitFor(
    "1,000 services in the database",
    async () => {
      const stacks = (await b.api("GET", "/api/v1/stacks")).body.stacks as any[];
      const n = stacks.filter((s) => s.status === "succeeded").reduce((a, s) => a + s.services.length, 0);
      return n >= STACKS * 10;
    },
    1_800_000,
  );
  console.log(`\n${STACKS * 10} services deployed through Berth in ${((now() - t) / 1000).toFixed(0)} s`);

  // Baselines: the Engine's own listing of the same services.
  const engine: number[] = [];
  const cli: number[] = [];
  for (let i = 0; i < 10; i++) {
    t = now();
    await docker.listServices();
    engine.push(now() - t);
    t = now();
    await exec("docker", ["service", "ls", "--quiet"]);
    cli.push(now() - t);
  }

  const rows = [
    ["what", "requests", "rate", "p50", "p99", "non-2xx"],
    await run("read: GET /stacks/:name (100/s)", {
      url: `${b.url}/api/v1/stacks/api${tag}-7`,
      overallRate: 100,
    }),
    await run("read: GET /jobs?limit=50 (100/s)", { url: `${b.url}/api/v1/jobs?limit=50`, overallRate: 100 }),
    await run("list: GET /stacks, 1,000 services (10/s)", { url: `${b.url}/api/v1/stacks`, overallRate: 10 }),
    await run("write: POST /deployments until queued (10/s)", {
      url: `${b.url}/api/v1/deployments`,
      method: "POST",
      overallRate: 10,
      connections: 2,
      requests: [
        {
          method: "POST",
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({
              name: `w${tag}-${Math.random().toString(36).slice(2, 8)}`,
              services: [{ name: "w", image: "local/httpd:1", replicas: 0 }],
            }),
          }),
        },
      ],
    }),
  ];
  console.log(`\nsteady load for ${SECONDS} s each, 4 connections\n`);
  console.log(table(rows));
  console.log(`\nbaseline, listing the same services 10 times:`);
  console.log(
    table([
      ["how", "p50", "max"],
      ["Engine API GET /services", ms(percentile(engine, 50)), ms(Math.max(...engine))],
      ["docker service ls", ms(percentile(cli, 50)), ms(Math.max(...cli))],
    ]),
  );
} finally {
  const stacks = ((await b.api("GET", "/api/v1/stacks")).body.stacks ?? []) as any[];
  for (const s of stacks) await b.api("DELETE", `/api/v1/stacks/${s.name}`).catch(() => {});
  await b.stop();
}
