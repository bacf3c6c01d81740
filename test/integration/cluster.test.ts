// Berth on a 3-node swarm (docker-in-docker on this machine): tasks spread over nodes, a build goes
// through Berth's own registry so every node runs one digest (and a rollback returns to the first),
// an instance on a worker (a volume over 1 GiB, a database over 200 MB) is backed up to the shared
// store and restored onto another node, and a lost node's task is rescheduled. Brings the cluster up
// and down itself.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
const sh = (script: string) => exec("bash", ["-c", script], { timeout: 300_000 });

const MANAGER = "tcp://10.88.0.11:2375";
const STORE = "/var/lib/berth-cluster-store";
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
  // The registry runs on Berth's node (the manager): its image is needed there only.
  await sh(`${join(ROOT, "scripts/images.sh")} registry >/dev/null`);
  await sh("docker save local/registry:1 | docker exec -i berth-sim1 docker load -q");
  // So does the shared PostgreSQL server.
  await sh(`${join(ROOT, "scripts/images.sh")} postgres >/dev/null`);
  await sh("docker save local/postgres:15 | docker exec -i berth-sim1 docker load -q");
  work = mkdtempSync(join(tmpdir(), "berth-cluster-build-"));
  berth = await startBerth({
    DOCKER_HOST: MANAGER,
    BERTH_ROUTING_MESH: "off",
    BERTH_REGISTRY_IMAGE: "local/registry:1",
    // The store every node mounts at the same path (scripts/cluster.sh); archives encrypted there.
    BERTH_BACKUP_DIR: STORE,
    BERTH_BACKUP_HELPER_IMAGE: "local/httpd:1",
    BERTH_POSTGRES_IMAGE: "local/postgres:15",
    BERTH_POSTGRES_HOST: "10.88.0.11",
    BERTH_POSTGRES_PORT: "55499",
  });
}, 300_000);

afterAll(async () => {
  await berth?.stop();
  await cluster("down");
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

let work: string;

/** The running tasks of a stack's one service: the node, the image the task asks for, the image id its container runs. */
async function runningTasks(stack: string): Promise<{ node: string; image: string; imageId: string }[]> {
  const [svc] = await d.listServices({ filters: { label: [`berth.stack=${stack}`] } });
  const tasks = await d.listTasks({ filters: { service: [svc!.ID!], "desired-state": ["running"] } });
  const hostnames = new Map((await d.listNodes()).map((n: any) => [n.ID, n.Description.Hostname as string]));
  return Promise.all(
    tasks
      .filter((t: any) => t.Status?.State === "running")
      .map(async (t: any) => {
        const node = hostnames.get(t.NodeID)!;
        const container = await docker(`tcp://${nodeIp(node)}:2375`)
          .getContainer(t.Status.ContainerStatus.ContainerID)
          .inspect();
        return { node, image: t.Spec.ContainerSpec.Image, imageId: container.Image };
      }),
  );
}

/** Waits until three tasks run `image`, one per node, and each node's task answers `version`. */
async function onEveryNode(stack: string, image: string, port: number, version: string) {
  const tasks = await until(`3 tasks of ${image}`, async () => {
    const t = await runningTasks(stack);
    return t.length === 3 && t.every((x) => x.image === image) ? t : undefined;
  });
  expect(new Set(tasks.map((t) => t.node)).size).toBe(3);
  expect(new Set(tasks.map((t) => t.imageId)).size).toBe(1);
  for (const t of tasks) {
    const body = await until(`${t.node} to answer`, async () => {
      const res = await fetch(`http://${nodeIp(t.node)}:${port}/v.txt`).catch(() => undefined);
      return res?.ok ? (await res.text()).trim() : undefined;
    });
    expect(body).toBe(version);
  }
  return tasks[0]!.imageId;
}

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

  const built = `${name}b`;
  const digests: string[] = [];
  let port = 0;

  async function buildVersion(version: string) {
    const dir = join(work, version);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "Dockerfile"), `FROM local/httpd:1\nRUN echo ${version} > /www/v.txt\n`);
    const r = await berth.cli([
      ...["deploy", "--build", dir, "--name", built, "--port", "8080", "--replicas", "3", "--json"],
      // All three at once, watched for 1 s: the test is about which image runs, not the rollout's pace.
      ...["--update-parallelism", "3", "--update-monitor", "1s"],
    ]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  it("deploys a build through Berth's registry: three nodes run one digest, recorded on the deployment", {
    timeout: 180_000,
  }, async () => {
    const out = await buildVersion("one");
    expect(out.deployment).toMatchObject({ stack: built, revision: 1, status: "succeeded" });
    // Tagged <registry>/<org>/<stack>-<service>:<stamp> in the registry on the manager, run by digest.
    const digest = out.build.digest as string;
    expect(digest).toMatch(
      new RegExp(`^10\\.88\\.0\\.11:5000/default/${built}-${built}@sha256:[0-9a-f]{64}$`),
    );
    digests.push(digest);
    port = out.stack.services[0].ports[0];
    expect(await onEveryNode(built, digest, port, "one")).toBe(out.build.imageId);

    const dep = await berth.api("GET", `/api/v1/deployments/${out.deployment.id}`);
    expect(dep.body.deployment.builds).toEqual([
      {
        service: built,
        tag: expect.stringMatching(new RegExp(`^10\\.88\\.0\\.11:5000/default/${built}-${built}:\\d{14}$`)),
        imageId: out.build.imageId,
        jobId: out.build.jobId,
        digest,
      },
    ]);
    // The push's progress is in the build job's log; the registry is a system stack.
    const job = await berth.api("GET", `/api/v1/jobs/${out.build.jobId}`);
    const log = job.body.logs.map((l: { message: string }) => l.message).join("\n");
    expect(log).toContain(`pushed ${digest}`);
    expect(log).toMatch(/: Pushed/);
    const system = JSON.parse((await berth.cli(["system", "ps", "--json"])).stdout);
    expect(system.stacks.find((x: any) => x.name === "registry")?.services[0]).toMatchObject({
      image: "local/registry:1",
      running: 1,
    });
  });

  it("runs a second build's digest everywhere, and a rollback returns every node to the first", {
    timeout: 180_000,
  }, async () => {
    const out = await buildVersion("two");
    expect(out.deployment).toMatchObject({ revision: 2, status: "succeeded" });
    expect(out.build.digest).not.toBe(digests[0]);
    await onEveryNode(built, out.build.digest, port, "two");

    const r = await berth.cli(["rollback", built, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).deployment).toMatchObject({
      revision: 3,
      status: "succeeded",
      rollbackOf: 1,
    });
    await onEveryNode(built, digests[0]!, port, "one");
  });

  it("deploys a compose stack's build by its digest too, pulled by the other nodes", {
    timeout: 180_000,
  }, async () => {
    const stack = `${name}s`;
    const dir = join(work, "stack");
    mkdirSync(join(dir, "web"), { recursive: true });
    writeFileSync(join(dir, "web/Dockerfile"), "FROM local/httpd:1\nLABEL role=stack\n");
    writeFileSync(
      join(dir, "stack.yml"),
      "services:\n  web:\n    build: ./web\n    deploy:\n      replicas: 3\n      update_config: { parallelism: 3 }\n",
    );
    const r = await berth.cli([
      "stack",
      "deploy",
      "-c",
      join(dir, "stack.yml"),
      "--name",
      stack,
      "--build",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [svc] = await d.listServices({ filters: { label: [`berth.stack=${stack}`] } });
    const image = (svc!.Spec!.TaskTemplate as any).ContainerSpec.Image as string;
    expect(image).toMatch(new RegExp(`^10\\.88\\.0\\.11:5000/default/${stack}-web@sha256:[0-9a-f]{64}$`));
    const tasks = await until("3 tasks of the stack's build", async () => {
      const t = await runningTasks(stack);
      return t.length === 3 ? t : undefined;
    });
    expect(tasks.every((t) => t.image === image)).toBe(true);
    expect(new Set(tasks.map((t) => t.imageId)).size).toBe(1);
    expect(tasks.some((t) => t.node !== "berth-sim1")).toBe(true);
  });

  it("backs up an instance on a worker (1.1 GiB volume, 200 MB database) and restores it onto another node", {
    timeout: 900_000,
  }, async () => {
    const template = join(work, "pinned.yml");
    writeFileSync(
      template,
      [
        "x-berth-template:",
        "  variables:",
        '    zone: {required: true, pattern: "[a-z]"}',
        "  databases: [main]",
        "services:",
        "  app:",
        "    image: local/httpd:1",
        '    volumes: ["data:/www/data"]',
        "    x-berth-databases: [main]",
        "    deploy:",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a template's ${var}, for Berth to fill in
        '      placement: {constraints: ["node.labels.zone==${zone}"]}',
        "volumes:",
        "  data: {}",
        "",
      ].join("\n"),
    );
    const ok = async (args: string[]) => {
      const r = await berth.cli([...args, "--json"]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout);
    };
    // Workers in two zones, which the organization may place by (a platform admin lifts the rule).
    for (const [node, zone] of [
      ["berth-sim2", "a"],
      ["berth-sim3", "b"],
    ]) {
      await exec("docker", ["-H", MANAGER, "node", "update", "--label-add", `zone=${zone}`, node!]);
    }
    await ok(["org", "policy", "default", "--placement-labels", "zone"]);
    await ok(["template", "add", "-f", template, "--name", "pinned"]);
    const [src, dst] = [`${name}src`, `${name}dst`];
    await Promise.all([
      ok(["instance", "create", "pinned", "--name", src, "--set", "zone=a"]),
      ok(["instance", "create", "pinned", "--name", dst, "--set", "zone=b"]),
    ]);
    /** A shell line in the instance's container, on the node that runs it (through that node's Engine). */
    const onNode = async (stack: string, line: string) => {
      const [svc] = await d.listServices({ filters: { label: [`berth.stack=${stack}`] } });
      const [task] = await d.listTasks({ filters: { service: [svc!.ID!], "desired-state": ["running"] } });
      const host = nodeIp(
        ((await d.listNodes()).find((n: any) => n.ID === task!.NodeID) as any).Description.Hostname,
      );
      const id = (task as any).Status.ContainerStatus.ContainerID;
      const r = await exec("docker", ["-H", `tcp://${host}:2375`, "exec", id, "sh", "-c", line], {
        timeout: 300_000,
        maxBuffer: 1 << 20,
      });
      return { host, out: r.stdout.trim() };
    };
    const psqlAs = async (db: string, sql: string) => {
      const [c] = await d.listContainers({
        filters: {
          label: [`com.docker.swarm.service.name=berth-system-${berth.instance}_postgres_postgres`],
        },
      });
      const args = ["-H", MANAGER, "exec", c!.Id, "psql", "-U", "postgres", "-d", `default_${db}`];
      const r = await exec("docker", [...args, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], {
        timeout: 300_000,
      });
      return r.stdout.trim();
    };

    // The volume (on its worker) and the database (on the manager) are filled side by side.
    const [written] = await Promise.all([
      onNode(
        src,
        // 18 copies of 64 MiB of random bytes (1.2 GB; tar does not compress, urandom costs CPU).
        "head -c 67108864 /dev/urandom > /tmp/chunk && for i in $(seq 18); do cat /tmp/chunk; done > /www/data/big && rm /tmp/chunk && echo src > /www/data/owner && cat /www/data/* | md5sum",
      ),
      psqlAs(
        `${src}-main`,
        `set role "default_${src}-main"; create table items (id int primary key, body text); insert into items select g, repeat(md5(g::text), 7) from generate_series(1, 900000) g`,
      ),
    ]);
    expect(written.host).toBe(nodeIp("berth-sim2"));
    const ROWS = "select count(*) || ':' || md5(string_agg(md5(t::text), '' order by id)) from items t";
    const rows = await psqlAs(`${src}-main`, ROWS);
    expect(
      Number(await psqlAs(`${src}-main`, `select pg_database_size(current_database())`)),
    ).toBeGreaterThan(200e6);
    const made = await ok(["backup", "create", src]);
    const volume = made.backups.find((b: any) => b.kind === "volume");
    const database = made.backups.find((b: any) => b.kind === "database");
    expect(volume).toMatchObject({ status: "succeeded", encrypted: true });
    expect(volume.sizeBytes).toBeGreaterThan(1.1e9);
    expect(database).toMatchObject({ status: "succeeded", encrypted: true });
    const log = (await berth.api("GET", `/api/v1/jobs/${made.jobId ?? made.job?.id}`)).body;
    expect(JSON.stringify(log)).toMatch(/reading volume \S+ on node \S+ through a task there/);

    // Onto the other worker: the other instance's volume and database.
    await Promise.all([
      ok(["backup", "restore", volume.id, "--into", dst]),
      ok(["backup", "restore", database.id, "--into", `${dst}-main`]),
    ]);
    const back = await onNode(dst, "cat /www/data/* | md5sum");
    expect(back.host).toBe(nodeIp("berth-sim3"));
    expect(back.out).toBe(written.out);
    expect(await psqlAs(`${dst}-main`, ROWS)).toBe(rows);
    // Nothing left in transit.
    expect(await sh(`ls -A ${STORE}/.transfer`).then((r) => r.stdout.trim())).toBe("");
    await Promise.all([src, dst].map((n) => ok(["instance", "rm", n, "--no-final-backup"])));
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
