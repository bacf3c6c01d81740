// Compose stacks: conversion throughput (load + convert + plan, no I/O), and wall time to deploy a
// 10-service stack until every task runs, with Berth (CLI, API, job) beside `docker stack deploy`
// (which returns before tasks run, so both are timed until the tasks are running), same run.
// Berth attaches every service to its organization's network too; a third row times docker with the
// same two networks per service, to tell Berth's own cost from the cost of that topology.
// Usage: tsx bench/stack.ts [ROUNDS]
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { loadCompose } from "../src/config/compose/index.js";
import { composeToModel } from "../src/config/compose/to-model.js";
import { DEFAULT_UPDATE_MONITOR } from "../src/plan/service-spec.js";
import { planStackDeploy } from "../src/plan/stack-deploy.js";
import { benchBerth, ms, now, percentile, table, waitFor } from "./lib.js";

const ROUNDS = Number(process.argv[2] ?? 3);
const exec = promisify(execFile);
const docker = new Docker();

const services = Array.from(
  { length: 10 },
  (_, i) => `  s${i}:
    image: local/httpd:1
    environment:
      MESSAGE: service ${i}
    deploy:
      endpoint_mode: dnsrr
      resources:
        limits: { cpus: "0.1", memory: 32M }
`,
).join("");
const text = `version: "3.9"\nservices:\n${services}`;
const dir = mkdtempSync(join(tmpdir(), "berth-bench-stack-"));
const file = join(dir, "stack.yml");
writeFileSync(file, text);
const tag = Date.now().toString(36).slice(-4);
const extraNetwork = `bench-extra-${tag}`;
const twoNetworks = join(dir, "two-networks.yml");
writeFileSync(
  twoNetworks,
  `${text.replaceAll("    image: local/httpd:1\n", "    image: local/httpd:1\n    networks: [default, extra]\n")}networks:\n  extra:\n    external: true\n    name: ${extraNetwork}\n`,
);

// Conversion throughput.
const n = 2000;
let t = now();
for (let i = 0; i < n; i++) {
  const doc = loadCompose([{ name: file, text }], { env: {}, readFile: () => "" });
  const { model } = composeToModel(doc, "bench", "conv");
  planStackDeploy(
    model,
    { live: new Map(), usedHostPorts: new Set() },
    {
      deploymentId: "d",
      instance: "i",
      namespace: "bench_conv",
      network: "n",
      routingMesh: false,
      hostPortRange: { from: 30000, to: 32767 },
      updateMonitor: DEFAULT_UPDATE_MONITOR,
    },
  );
}
const perSecond = n / ((now() - t) / 1000);
console.log(
  `\nconversion (parse, interpolate, validate, convert, plan) of a 10-service file: ${perSecond.toFixed(0)} files/s`,
);

async function allRunning(namespace: string) {
  await waitFor(
    `${namespace} tasks`,
    async () => {
      const tasks: any[] = await (docker.listTasks as any)({
        filters: { label: [`com.docker.stack.namespace=${namespace}`], "desired-state": ["running"] },
      });
      return tasks.filter((x) => x.Status.State === "running").length >= 10;
    },
    180_000,
  );
}

const b = await benchBerth();
await docker.createNetwork({ Name: extraNetwork, Driver: "overlay", Attachable: true });
const times: Record<string, number[]> = {
  "berth stack deploy": [],
  "docker stack deploy": [],
  "docker stack deploy, two networks": [],
};
try {
  for (let i = 0; i < ROUNDS; i++) {
    t = now();
    const r = await b.cli(["stack", "deploy", "-c", file, "--name", `bs${tag}${i}`]);
    if (r.code !== 0) throw new Error(r.stderr);
    await allRunning(`default_bs${tag}${i}`);
    times["berth stack deploy"]!.push(now() - t);

    t = now();
    await exec("docker", ["stack", "deploy", "--resolve-image", "never", "-c", file, `ds${tag}${i}`]);
    await allRunning(`ds${tag}${i}`);
    times["docker stack deploy"]!.push(now() - t);

    t = now();
    await exec("docker", ["stack", "deploy", "--resolve-image", "never", "-c", twoNetworks, `dn${tag}${i}`]);
    await allRunning(`dn${tag}${i}`);
    times["docker stack deploy, two networks"]!.push(now() - t);
  }
  console.log(`\n10-service stack until every task runs, ${ROUNDS} rounds\n`);
  console.log(
    table([
      ["how", "p50", "max"],
      ...Object.entries(times).map(([k, v]) => [k, ms(percentile(v, 50)), ms(Math.max(...v))]),
    ]),
  );
  const ratio = percentile(times["berth stack deploy"]!, 50) / percentile(times["docker stack deploy"]!, 50);
  console.log(`\nberth stack deploy / docker stack deploy: ${ratio.toFixed(2)}x`);
  const same =
    percentile(times["berth stack deploy"]!, 50) /
    percentile(times["docker stack deploy, two networks"]!, 50);
  console.log(`berth stack deploy / docker stack deploy with the same two networks: ${same.toFixed(2)}x`);
} finally {
  for (let i = 0; i < ROUNDS; i++) {
    await b.cli(["stack", "rm", `bs${tag}${i}`]).catch(() => {});
    await exec("docker", ["stack", "rm", `ds${tag}${i}`]).catch(() => {});
    await exec("docker", ["stack", "rm", `dn${tag}${i}`]).catch(() => {});
  }
  await waitFor(
    "the extra network to be free",
    () =>
      docker
        .getNetwork(extraNetwork)
        .remove()
        .then(() => true),
    60_000,
  ).catch(() => console.error(`left behind: network ${extraNetwork}`));
  await b.stop();
}
