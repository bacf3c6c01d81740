// Deploy-to-verified for a cached image: one running service updated (a new env value each round)
// until the update is done and verified. Berth (CLI -> API -> job -> rolling update -> Berth's own
// verification) beside `docker service update --detach=false` (the CLI waits out the same monitor
// window) and raw Engine API calls (update, then poll until Swarm reports the update completed), all
// three with Berth's update settings (its order and monitor window) and, like Berth's, one fixed
// host-mode port (so the update runs stop-first on one node) and an overlay network of their own,
// same image, same run, round-robin (each round starting with the next client). Beside the times,
// what the Berth API and the raw Engine API clients spend beyond Swarm's own update, from Swarm's
// UpdateStatus timestamps.
// Usage: tsx bench/deploy.ts [ROUNDS]
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import Docker from "dockerode";
import { benchBerth, ms, now, percentile, table, waitFor } from "./lib.js";

const ROUNDS = Number(process.argv[2] ?? 10);
const exec = promisify(execFile);
const docker = new Docker();
const b = await benchBerth();
const tag = Date.now().toString(36).slice(-4);
const stack = `bench-u${tag}`;
const cliName = `bench-cli${tag}`;
const apiName = `bench-api${tag}`;
/** One overlay network per baseline: a service alone on its network, as Berth's is on its organization's. */
const cliNet = `bench-net-cli${tag}`;
const apiNet = `bench-net-api${tag}`;
/**
 * Time a client spends beyond Swarm's own update, from Swarm's timestamps: from the request to
 * Swarm's UpdateStatus.StartedAt, plus from its CompletedAt to when the client saw the end. Round to
 * round, Swarm's own time varies by seconds (stopping a task, the health check's interval); this
 * leaves it out.
 */
const beyondSwarm: Record<string, number[]> = { "Berth API": [], "Engine API": [] };
/** Swarm's own update, UpdateStatus.StartedAt to CompletedAt, for the same two clients. */
const swarmOwn: Record<string, number[]> = { "Berth API": [], "Engine API": [] };
async function swarmSpan(id: string): Promise<{ started: number; completed: number }> {
  const s = (await docker.getService(id).inspect()) as any;
  return { started: Date.parse(s.UpdateStatus.StartedAt), completed: Date.parse(s.UpdateStatus.CompletedAt) };
}
let berthServiceId = "";

const times: Record<string, number[]> = {
  "berth deploy": [],
  "Berth API": [],
  "docker service update": [],
  "Engine API": [],
};

async function berthDeploy(round: number): Promise<void> {
  const r = await b.cli([
    ...["deploy", "--image", "local/httpd:1", "--name", stack, "--port", "8080", "-e", `ROUND=${round}`],
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  if (process.env.BENCH_DEBUG) console.error(r.stderr);
}

/** The same through Berth's API alone (no CLI process start): POST, then poll the deployment. */
async function berthApi(round: number): Promise<void> {
  const sent = Date.now();
  const r = await b.api("POST", "/api/v1/deployments", {
    image: "local/httpd:1",
    name: stack,
    port: 8080,
    env: { ROUND: String(round) },
  });
  if (r.status !== 202) throw new Error(JSON.stringify(r.body));
  const d = await waitFor("the deployment", async () => {
    const x = (await b.api("GET", `/api/v1/deployments/${r.body.deployment.id}`)).body.deployment;
    return ["succeeded", "failed", "rolled_back"].includes(x.status) ? x : undefined;
  });
  const seen = Date.now();
  if (d.status !== "succeeded") throw new Error(`${d.status}: ${d.reason}`);
  const swarm = await swarmSpan(berthServiceId);
  beyondSwarm["Berth API"]!.push(swarm.started - sent + (seen - swarm.completed));
  swarmOwn["Berth API"]!.push(swarm.completed - swarm.started);
}

/** Update through the Engine API and wait until Swarm says the update is done (monitor included). */
async function apiUpdate(id: string, round: number): Promise<void> {
  const svc = docker.getService(id);
  const info = (await svc.inspect()) as any;
  const spec = info.Spec;
  spec.TaskTemplate.ContainerSpec.Env = [`ROUND=${round}`];
  const sent = Date.now();
  await svc.update({ version: info.Version.Index, ...spec });
  await waitFor("the update", async () => {
    const s = (await svc.inspect()) as any;
    return s.Version.Index > info.Version.Index && s.UpdateStatus?.State === "completed";
  });
  const seen = Date.now();
  const swarm = await swarmSpan(id);
  beyondSwarm["Engine API"]!.push(swarm.started - sent + (seen - swarm.completed));
  swarmOwn["Engine API"]!.push(swarm.completed - swarm.started);
}

try {
  await berthDeploy(0);
  const [berthSvc] = (await (docker.listServices as any)({
    filters: { label: [`berth.instance=${b.instance}`, `berth.stack=${stack}`] },
  })) as any[];
  berthServiceId = berthSvc.ID;
  const update = berthSvc.Spec.UpdateConfig;
  const monitorMs = (update.Monitor ?? 5e9) / 1e6;
  const updateFlags = [
    `--update-order=${update.Order}`,
    `--update-monitor=${monitorMs}ms`,
    `--update-failure-action=${update.FailureAction}`,
    `--update-parallelism=${update.Parallelism}`,
  ];
  // Berth's service sits alone on its organization's overlay network; each baseline sits alone on
  // one of its own. (A service that shares its network with another running task updates about
  // 0.6 s faster here: the node keeps the network's sandbox while a task of it runs.)
  for (const Name of [cliNet, apiNet])
    await docker.createNetwork({ Name, Driver: "overlay", Labels: { bench: tag } });
  await exec("docker", [
    ...["service", "create", "--detach=false", "--quiet", "--name", cliName, "--label", `bench=${tag}`],
    ...updateFlags,
    ...["--publish", "mode=host,target=8080,published=29990", "--network", cliNet],
    ...["--endpoint-mode", "dnsrr"],
    "local/httpd:1",
  ]);
  // The Engine API baseline is Berth's own service spec (resources, restart policy, update config,
  // endpoint mode), renamed, on the bench's network, with its own fixed host port.
  const { TaskTemplate } = berthSvc.Spec;
  const created = (await docker.createService({
    ...berthSvc.Spec,
    Name: apiName,
    Labels: { bench: tag },
    TaskTemplate: {
      ...TaskTemplate,
      ContainerSpec: { ...TaskTemplate.ContainerSpec, Labels: {}, Env: ["ROUND=0"] },
      Networks: [{ Target: apiNet }],
    },
    EndpointSpec: {
      Mode: berthSvc.Spec.EndpointSpec.Mode,
      Ports: [{ TargetPort: 8080, PublishedPort: 29991, PublishMode: "host", Protocol: "tcp" }],
    },
  } as any)) as any;
  const apiId = created.id ?? created.ID;
  await waitFor("the Engine API service's task", async () =>
    ((await (docker.listTasks as any)({ filters: { service: [apiId] } })) as any[]).some(
      (x) => x.Status.State === "running",
    ),
  );

  const methods: [string, (i: number) => Promise<void>][] = [
    ["berth deploy", (i) => berthDeploy(i)],
    ["Berth API", (i) => berthApi(i + ROUNDS)],
    [
      "docker service update",
      async (i) => {
        await exec("docker", [
          "service",
          "update",
          "--detach=false",
          "--quiet",
          "--env-add",
          `ROUND=${i}`,
          cliName,
        ]);
      },
    ],
    ["Engine API", (i) => apiUpdate(apiId, i)],
  ];
  for (let i = 1; i <= ROUNDS; i++) {
    // Each round starts with a different one, so that no client always follows the same other.
    for (let k = 0; k < methods.length; k++) {
      const [how, run] = methods[(i + k) % methods.length]!;
      const t = now();
      await run(i);
      times[how]!.push(now() - t);
    }
  }

  console.log(
    `\none running service updated until verified (cached image, ${update.Order}, monitor ${monitorMs} ms), ${ROUNDS} rounds\n`,
  );
  console.log(
    table([
      ["how", "p50", "p99", "max", "p50 beyond monitor"],
      ...Object.entries(times).map(([k, v]) => [
        k,
        ms(percentile(v, 50)),
        ms(percentile(v, 99)),
        ms(Math.max(...v)),
        ms(percentile(v, 50) - monitorMs),
      ]),
    ]),
  );
  for (const how of ["berth deploy", "Berth API"]) {
    const overhead = times[how]!.map((v, i) => v - times["Engine API"]![i]!);
    console.log(
      `${how === "berth deploy" ? "\n" : ""}${how} over the raw Engine API (paired by round): p50 ${ms(percentile(overhead, 50))}, p99 ${ms(percentile(overhead, 99))}`,
    );
  }
  console.log(
    `\nbeyond Swarm's own update (request to UpdateStatus.StartedAt, plus CompletedAt to seen done):\n${table(
      [
        ["how", "p50", "p99", "Swarm's own update p50"],
        ...Object.entries(beyondSwarm).map(([k, v]) => [
          k,
          ms(percentile(v, 50)),
          ms(percentile(v, 99)),
          ms(percentile(swarmOwn[k]!, 50)),
        ]),
      ],
    )}`,
  );
  const ratio = percentile(times["berth deploy"]!, 50) / percentile(times["docker service update"]!, 50);
  console.log(`berth deploy / docker service update: ${ratio.toFixed(2)}x (p50)`);
} finally {
  await b.api("DELETE", `/api/v1/stacks/${stack}`).catch(() => {});
  for (const s of (await (docker.listServices as any)({ filters: { label: [`bench=${tag}`] } })) as any[])
    await docker.getService(s.ID).remove();
  for (const net of [cliNet, apiNet])
    await waitFor("the baselines' tasks to go", () =>
      docker
        .getNetwork(net)
        .remove()
        .then(() => true),
    ).catch(() => {});
  await b.stop();
}
