// Berth on a 3-node swarm (docker-in-docker on this machine): tasks spread over nodes, and a lost
// node's task is rescheduled. Brings the cluster up and down itself.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deployHttpd,
  docker,
  ROOT,
  stackPrefix,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";

const exec = promisify(execFile);
const CLUSTER = join(ROOT, "scripts/cluster.sh");
const cluster = (...args: string[]) => exec(CLUSTER, args, { timeout: 300_000 });

const MANAGER = "tcp://10.88.0.11:2375";
const d = docker(MANAGER);
const nodeIp = (hostname: string) => `10.88.0.${10 + Number(hostname.replace("berth-sim", ""))}`;
let berth: TestBerth;
let upSeconds = 0;

beforeAll(async () => {
  await cluster("down");
  const started = Date.now();
  await cluster("up", "3");
  upSeconds = (Date.now() - started) / 1000;
  await cluster("load", "local/httpd:1");
  berth = await startBerth({ DOCKER_HOST: MANAGER, BERTH_ROUTING_MESH: "off" });
}, 300_000);

afterAll(async () => {
  await berth?.stop();
  await cluster("down");
}, 120_000);

describe("a 3-node swarm", () => {
  const name = stackPrefix("c");

  it("comes up with three Ready nodes in under 2 minutes", async () => {
    const nodes = await d.listNodes();
    expect(nodes.map((n: any) => n.Status.State)).toEqual(["ready", "ready", "ready"]);
    expect(upSeconds).toBeLessThan(120);
  });

  it("runs a deployment's tasks on different nodes, each answering on its node", async () => {
    const r = await deployHttpd(berth, name, { replicas: 2, message: "spread" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const stack = JSON.parse(r.stdout).stack;
    const tasks = stack.services[0].tasks;
    expect(tasks.filter((t: any) => t.state === "running")).toHaveLength(2);
    expect(new Set(tasks.map((t: any) => t.node)).size).toBe(2);

    const byId = new Map((await d.listNodes()).map((n: any) => [n.ID, n.Description.Hostname]));
    for (const t of tasks) {
      const ip = nodeIp(byId.get(t.node) as string);
      const body = await until(`task on ${ip} to answer`, async () => {
        const res = await fetch(`http://${ip}:${stack.services[0].ports[0]}/`);
        return res.ok ? (await res.text()).trim() : undefined;
      });
      expect(body).toBe("spread");
    }
  });

  it("reschedules the task of a node that goes down onto the free node", async () => {
    const ps = JSON.parse((await berth.cli(["ps", "--json"])).stdout).stacks.find(
      (s: any) => s.name === name,
    );
    const nodes = await d.listNodes();
    const byId = new Map(nodes.map((n: any) => [n.ID, n.Description.Hostname as string]));
    const used = new Set(ps.services[0].tasks.map((t: any) => byId.get(t.node)));
    // Stop a worker that runs a task (the manager must stay up to answer).
    const victim = [...used].find((h) => h !== "berth-sim1") as string;
    await cluster("stop", victim.replace("berth-sim", ""));
    try {
      await until(
        `${victim} to be marked down`,
        async () =>
          ((await d.listNodes()).find((n: any) => n.Description.Hostname === victim) as any)?.Status.State ===
          "down",
        90_000,
      );
      const moved = await until(
        "the task to run elsewhere",
        async () => {
          const s = JSON.parse((await berth.cli(["ps", "--json"])).stdout).stacks.find(
            (x: any) => x.name === name,
          );
          const running = s.services[0].tasks.filter(
            (t: any) => t.state === "running" && byId.get(t.node) !== victim,
          );
          return running.length === 2 ? running : undefined;
        },
        90_000,
      );
      expect(moved.map((t: any) => byId.get(t.node))).not.toContain(victim);
    } finally {
      await cluster("start", victim.replace("berth-sim", ""));
    }
  });
});
