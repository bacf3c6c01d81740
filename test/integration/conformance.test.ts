// Conformance with `docker stack deploy`: every compose file of the corpus (test/conformance/compose)
// is deployed with the docker CLI and with Berth on the real swarm, and the ServiceSpecs Swarm stores
// are compared field by field. Every field docker sets must come out the same in Berth's spec;
// Berth's own labels, its organization network and its name prefix (<org>-<stack>, digest-suffixed
// secret and config names) are the documented differences, and where docker leaves a field unset
// Berth may apply its defaults (limits, restart and update policies). Only specs are compared, so the
// cases run one after another without waiting for rollouts or removals (all are cleaned up at the end).
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, ROOT, startBerth, type TestBerth, until } from "../helpers/berth.js";

const exec = promisify(execFile);
const CORPUS = join(ROOT, "test/conformance/compose");
const d = docker();

/** Each case: its files (`NN-multi-a.yml` and `NN-multi-b.yml` are deployed together). */
const groups = new Map<string, string[]>();
for (const f of readdirSync(CORPUS)
  .filter((f) => f.endsWith(".yml"))
  .sort()) {
  groups.set(f.slice(0, 2), [...(groups.get(f.slice(0, 2)) ?? []), join(CORPUS, f)]);
}
const cases = [...groups].map(([id, files]) => ({ id, files }));

let b: TestBerth;
beforeAll(async () => {
  // Ingress ports and VIPs exactly as docker writes them; this kernel lacks IPVS, so they carry no
  // traffic here, but the specs are what is compared.
  b = await startBerth({
    BERTH_ROUTING_MESH: "on",
    BERTH_ROLLOUT_TIMEOUT: "30",
    // Cases follow each other without waiting for rollouts: none waits for a turn in the queue.
    BERTH_DEPLOY_CONCURRENCY: "16",
    BERTH_DEPLOY_CONCURRENCY_PER_ORG: "16",
  });
  // The capabilities case adds some, and the port cases publish ports of their own choosing: lifted
  // for this organization, as a platform admin would.
  const lifted = await b.api("PUT", "/api/v1/orgs/default/policy", {
    capabilities: ["NET_ADMIN", "NET_RAW", "CHOWN"],
    hostPortsAnywhere: true,
  });
  expect(lifted.status, JSON.stringify(lifted.body)).toBe(200);
}, 120_000);
// Berth's stacks go with the control plane (its objects are removed by their installation label).
afterAll(async () => {
  await Promise.all([b?.stop(), removeDockerStacks()]);
}, 180_000);

const isUnset = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  v === "" ||
  v === 0 ||
  v === false ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && !Array.isArray(v) && Object.values(v as object).every(isUnset));

/** The value without unset fields, so that `0` written and `0` omitted compare equal. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => !isUnset(x))
        .map(([k, x]) => [k, prune(x)]),
    );
  }
  return v;
}

/** Paths where docker set a value and Berth's differs. */
function mismatches(dk: any, br: any, path = ""): string[] {
  if (isUnset(dk)) return [];
  if (Array.isArray(dk) || typeof dk !== "object") {
    const [a, z] = [JSON.stringify(prune(dk)), JSON.stringify(prune(br))];
    return a === z ? [] : [`${path}: docker ${a}, berth ${z}`];
  }
  return Object.keys(dk).flatMap((k) => mismatches(dk[k], br?.[k], path ? `${path}.${k}` : k));
}

const OWN = (k: string) => k.startsWith("berth.") || k === "com.docker.stack.namespace";
const dropOwn = (labels?: Record<string, string>) =>
  labels && Object.fromEntries(Object.entries(labels).filter(([k]) => !OWN(k)));

/** A stored spec in comparable terms: names without the stack prefix, Berth's own parts removed. */
function normalize(spec: any, ns: string, networkNames: Map<string, string>): any {
  const s = structuredClone(spec);
  const descope = (name: string) => (name.startsWith(`${ns}_`) ? name.slice(ns.length + 1) : name);
  s.Name = descope(s.Name);
  s.Labels = dropOwn(s.Labels);
  const c = s.TaskTemplate.ContainerSpec;
  c.Labels = dropOwn(c.Labels);
  s.TaskTemplate.Networks = (s.TaskTemplate.Networks ?? [])
    .map((n: any) => ({ ...n, Target: descope(networkNames.get(n.Target) ?? n.Target) }))
    .filter((n: any) => !n.Target.startsWith("berth-org-"));
  for (const m of c.Mounts ?? []) {
    if (m.Source) m.Source = descope(m.Source);
    if (m.VolumeOptions?.Labels) m.VolumeOptions.Labels = dropOwn(m.VolumeOptions.Labels);
  }
  for (const r of c.Secrets ?? []) {
    delete r.SecretID;
    r.SecretName = descope(r.SecretName).replace(/-[0-9a-f]{12}$/, "");
  }
  for (const r of c.Configs ?? []) {
    delete r.ConfigID;
    r.ConfigName = descope(r.ConfigName).replace(/-[0-9a-f]{12}$/, "");
  }
  return s;
}

async function storedSpecs(namespace: string): Promise<Map<string, any>> {
  const nets = new Map<string, string>(
    ((await d.listNetworks()) as any[]).map((n) => [n.Id as string, n.Name as string]),
  );
  const services: any[] = await (d.listServices as any)({
    filters: { label: [`com.docker.stack.namespace=${namespace}`] },
  });
  return new Map(
    services.map((s) => [s.Spec.Name.slice(namespace.length + 1), normalize(s.Spec, namespace, nets)]),
  );
}

async function servicesGone(namespace: string) {
  await until(
    `${namespace} to be removed`,
    async () => {
      const left: any[] = await (d.listServices as any)({
        filters: { label: [`com.docker.stack.namespace=${namespace}`] },
      });
      const tasks: any[] = await (d.listTasks as any)({});
      return (
        left.length === 0 &&
        !tasks.some(
          (t) =>
            t.Spec?.ContainerSpec?.Labels?.["com.docker.stack.namespace"] === namespace &&
            t.DesiredState === "running",
        )
      );
    },
    60_000,
  );
}

// `docker stack rm` of Docker 20.10 removes the services at once and then fails on networks a task
// still holds: each case's stack is removed right away (services), and afterwards, once every task is
// gone, `docker stack rm` runs again until the networks go too. Volumes a stack's tasks created stay
// behind `docker stack rm`; they are removed by their stack label.
const dockerStacks: string[] = [];
async function removeDockerStacks() {
  const rm = (namespace: string) =>
    exec("docker", ["stack", "rm", namespace]).then(
      () => true,
      () => false,
    );
  await Promise.all(dockerStacks.map((ns) => servicesGone(ns)));
  for (const ns of dockerStacks) await until(`${ns}'s networks to be removed`, () => rm(ns), 60_000);
  const volumes = (await d.listVolumes()).Volumes ?? [];
  for (const v of volumes) {
    if (dockerStacks.includes(v.Labels?.["com.docker.stack.namespace"] ?? "")) {
      await d
        .getVolume(v.Name)
        .remove()
        .catch(() => {});
    }
  }
}

describe("compose conformance with docker stack deploy", () => {
  it("has a corpus of at least 25 compose files", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)(
    "$id: Berth's ServiceSpecs carry every field docker sets",
    async ({ id, files }) => {
      const dockerStack = `dk${id}`;
      const berthStack = `cf${id}`;
      const composeArgs = files.flatMap((f) => ["-c", f]);

      const dk = await exec(
        "docker",
        ["stack", "deploy", "--resolve-image", "never", ...composeArgs, dockerStack],
        {
          cwd: CORPUS,
        },
      );
      const fromDocker = await storedSpecs(dockerStack);
      dockerStacks.push(dockerStack);
      await exec("docker", ["stack", "rm", dockerStack]).catch(() => {});

      // Only the specs are compared: Berth's deploy is not waited for past the moment its services
      // are written (the deployment leaves `pending`); its rollout goes on while the next cases run.
      const br = await b.cli([
        "stack",
        "deploy",
        ...composeArgs,
        "--name",
        berthStack,
        "--no-wait",
        "--json",
      ]);
      expect(br.code, br.stderr).toBe(0);
      const deployment = JSON.parse(br.stdout).deployment.id;
      await until(
        `${berthStack}'s services to be written`,
        async () =>
          (await b.api("GET", `/api/v1/deployments/${deployment}`)).body.deployment?.status !== "pending",
      );
      const fromBerth = await storedSpecs(`default_${berthStack}`);

      expect([...fromBerth.keys()].sort()).toEqual([...fromDocker.keys()].sort());
      const problems = [...fromDocker].flatMap(([name, spec]) =>
        mismatches(spec, fromBerth.get(name)).map((m) => `${name}: ${m}`),
      );
      expect(problems).toEqual([]);

      // Docker's warnings about ignored keys are Berth's warnings.
      const ignoring = (text: string) =>
        text.split("\n").filter((l) => l.startsWith("Ignoring") || /^[a-z_]+: [A-Z]/.test(l));
      expect(ignoring(br.stderr)).toEqual(ignoring(dk.stderr));
    },
    180_000,
  );
});
