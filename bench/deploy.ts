// Wall time to deploy one service until its task runs: Berth (CLI, through the API and a job) beside
// `docker service create --detach=false` (CLI) and raw Engine API calls, same image, same run.
// Usage: tsx bench/deploy.ts [ROUNDS]
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import Docker from "dockerode";
import { benchBerth, ms, now, percentile, table, waitFor } from "./lib.js";

const ROUNDS = Number(process.argv[2] ?? 5);
const exec = promisify(execFile);
const docker = new Docker();
const b = await benchBerth();
const tag = Date.now().toString(36).slice(-4);
const times: Record<string, number[]> = { "berth deploy": [], "docker service create": [], "Engine API": [] };

try {
  for (let i = 0; i < ROUNDS; i++) {
    let t = now();
    const r = await b.cli([
      "deploy",
      "--image",
      "local/httpd:1",
      "--name",
      `bench-d${tag}${i}`,
      "--port",
      "8080",
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
    times["berth deploy"]!.push(now() - t);

    t = now();
    await exec("docker", [
      "service",
      "create",
      "--detach=false",
      "--quiet",
      "--name",
      `bench-cli${tag}${i}`,
      "--label",
      `bench=${tag}`,
      "local/httpd:1",
    ]);
    times["docker service create"]!.push(now() - t);

    t = now();
    const created = (await docker.createService({
      Name: `bench-api${tag}${i}`,
      Labels: { bench: tag },
      TaskTemplate: { ContainerSpec: { Image: "local/httpd:1" } },
      Mode: { Replicated: { Replicas: 1 } },
    } as any)) as any;
    const id = created.id ?? created.ID;
    await waitFor("the task", async () =>
      ((await (docker.listTasks as any)({ filters: { service: [id] } })) as any[]).some(
        (x) => x.Status.State === "running",
      ),
    );
    times["Engine API"]!.push(now() - t);
  }
  console.log(`\none service until its task runs, ${ROUNDS} rounds\n`);
  console.log(
    table([
      ["how", "p50", "max"],
      ...Object.entries(times).map(([k, v]) => [k, ms(percentile(v, 50)), ms(Math.max(...v))]),
    ]),
  );
  const ratio = percentile(times["berth deploy"]!, 50) / percentile(times["docker service create"]!, 50);
  console.log(`\nberth deploy / docker service create: ${ratio.toFixed(2)}x`);
} finally {
  for (let i = 0; i < ROUNDS; i++) await b.api("DELETE", `/api/v1/stacks/bench-d${tag}${i}`).catch(() => {});
  for (const s of (await (docker.listServices as any)({ filters: { label: [`bench=${tag}`] } })) as any[])
    await docker.getService(s.ID).remove();
  await b.stop();
}
