// Compose files written for `docker compose`, as real projects publish them (test/compose-corpus/):
// for each, does `docker stack deploy -c <file>` get its objects accepted by the Engine, and does
// Berth (the CLI's loader, then `POST /stacks/deploy` on a control plane of the bench's own, on the
// real swarm)? Images cannot be pulled here (no registry): acceptance means the Engine accepted the
// stack's objects (its services exist), not that tasks run. docker is told not to resolve images;
// for Berth, whose admission refuses an image no node has and no registry knows, each image a file
// names that is not on this node is tagged from a local image for the time of that file's deploy
// (tags the bench made are removed right after; references pinned to a digest cannot be). The
// bench's organization has the policy rules a platform admin can lift lifted (bind mounts, host
// ports anywhere, the network capabilities NET_ADMIN, NET_RAW, NET_BIND_SERVICE); what the tenant
// policy refuses whatever an admin lifts (the Docker socket, `/`; SPEC: "never the Docker socket")
// is counted apart. Each file's stacks are removed (by label) before the next.
// Usage: tsx bench/compose-compat.ts [PROJECT...]
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { loadCompose, parseEnvFile } from "../src/config/compose/index.js";
import { benchBerth, table } from "./lib.js";

const exec = promisify(execFile);
const docker = new Docker();
const ROOT = resolve(import.meta.dirname, "../test/compose-corpus");
const BASE_IMAGE = "local/httpd:1";
const ORG = "compat";
const tag = Date.now().toString(36).slice(-4);
const only = process.argv.slice(2);
const projects = readdirSync(ROOT)
  .filter((d) => existsSync(join(ROOT, d, "compose.yml")) && (only.length === 0 || only.includes(d)))
  .sort();

type Verdict = { ok: boolean; why: string; kind?: "policy" | "image" | "conversion" | "engine" };
const rows: { project: string; docker: Verdict; berth: Verdict }[] = [];
const ENDED = ["succeeded", "failed", "rolled_back", "cancelled"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The folder's .env as the shell's environment, as a user of docker compose has it. */
function envOf(project: string): Record<string, string> {
  const file = join(ROOT, project, ".env");
  return existsSync(file) ? parseEnvFile(readFileSync(file, "utf8"), file) : {};
}

const short = (s: string) => s.replace(/\s+/g, " ").trim().slice(0, 110);

/** Removes the Swarm objects carrying every one of `labels`; waits for their tasks first. */
async function removeLabelled(labels: string[]): Promise<void> {
  const filters = { label: labels };
  const services: any[] = await (docker.listServices as any)({ filters });
  await Promise.allSettled(services.map((s) => docker.getService(s.ID).remove()));
  const ids = new Set(services.map((s) => s.ID));
  const deadline = Date.now() + 60_000;
  while (ids.size && Date.now() < deadline) {
    const tasks = (await docker.listTasks()) as any[];
    if (!tasks.some((t) => ids.has(t.ServiceID))) break;
    await sleep(250);
  }
  for (;;) {
    const left = [
      ...((await docker.listNetworks({ filters })) as any[]).map((n) => docker.getNetwork(n.Id)),
      ...((await docker.listSecrets({ filters })) as any[]).map((x) => docker.getSecret(x.ID)),
      ...((await docker.listConfigs({ filters })) as any[]).map((x) => docker.getConfig(x.ID)),
      ...((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => docker.getVolume(v.Name)),
    ];
    const results = await Promise.allSettled(left.map((o) => o.remove()));
    if (results.every((r) => r.status === "fulfilled") || Date.now() > deadline) return;
    await sleep(500);
  }
}

async function viaDocker(project: string, stack: string, env: Record<string, string>): Promise<Verdict> {
  const file = join(ROOT, project, "compose.yml");
  try {
    await exec(
      "docker",
      ["stack", "deploy", "-c", file, "--resolve-image", "never", "--detach=true", stack],
      { env: { ...process.env, ...env }, timeout: 120_000 },
    );
    const services: any[] = await (docker.listServices as any)({
      filters: { label: [`com.docker.stack.namespace=${stack}`] },
    });
    return { ok: true, why: `${services.length} services` };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const lines = (e.stderr || e.message).split("\n").filter((l) => l && !/level=warning/.test(l));
    return { ok: false, why: short(lines.at(-1) ?? e.message) };
  } finally {
    // Removed by label rather than `docker stack rm`, so that its tasks are waited for: until they
    // are gone they hold their host ports, and the next deploy of the same file would meet them.
    await removeLabelled([`com.docker.stack.namespace=${stack}`]);
  }
}

/** Tags each image `doc` names that this node lacks from a local image; returns the tags made. */
async function tagMissing(doc: Record<string, any>): Promise<string[]> {
  const made: string[] = [];
  const refs = new Set(
    Object.values((doc.services ?? {}) as Record<string, any>)
      .map((s) => s?.image)
      .filter((i): i is string => typeof i === "string"),
  );
  for (const ref of refs) {
    if (ref.includes("@")) continue;
    const present = await docker
      .getImage(ref)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (present) continue;
    const [repo, version] = splitRef(ref);
    const ok = await docker
      .getImage(BASE_IMAGE)
      .tag({ repo, tag: version })
      .then(() => true)
      .catch(() => false);
    if (ok) made.push(ref);
  }
  return made;
}

function splitRef(ref: string): [string, string] {
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, "latest"];
}

async function viaBerth(
  b: Awaited<ReturnType<typeof benchBerth>>,
  project: string,
  stack: string,
  env: Record<string, string>,
): Promise<Verdict> {
  const file = join(ROOT, project, "compose.yml");
  let doc: Record<string, any>;
  try {
    doc = loadCompose([{ name: file, text: readFileSync(file, "utf8") }], {
      env: { HOME: process.env.HOME, ...env },
      readFile: (p) => readFileSync(p),
    });
  } catch (err) {
    return { ok: false, kind: "conversion", why: short((err as Error).message) };
  }
  const { name: _n, ...compose } = doc;
  const tags = await tagMissing(compose);
  const labels = [`berth.instance=${b.instance}`, `berth.stack=${stack}`];
  try {
    const r = await b.api("POST", "/api/v1/stacks/deploy", { name: stack, compose }, { "x-berth-org": ORG });
    if (r.status !== 202) {
      const message = String(r.body?.error?.message ?? JSON.stringify(r.body));
      const kind = /not allowed|outside the allowed range|never bound|socket/.test(message)
        ? "policy"
        : /cannot be pulled/.test(message)
          ? "image"
          : "conversion";
      return { ok: false, kind, why: short(`${r.status} ${message}`) };
    }
    const expected = Object.values((compose.services ?? {}) as Record<string, any>).filter(
      (s) => !s?.profiles?.length,
    ).length;
    const id = r.body.deployment.id;
    const status = async () =>
      (await b.api("GET", `/api/v1/deployments/${id}`, undefined, { "x-berth-org": ORG })).body.deployment;
    const deadline = Date.now() + 90_000;
    let verdict: Verdict | undefined;
    while (!verdict) {
      const made: any[] = await (docker.listServices as any)({ filters: { label: labels } });
      const d = await status();
      if (made.length >= expected) verdict = { ok: true, why: `${made.length} services` };
      else if (ENDED.includes(d?.status))
        verdict = { ok: false, kind: "engine", why: short(`${d.status}: ${d.reason ?? ""}`) };
      else if (Date.now() > deadline)
        verdict = { ok: false, kind: "engine", why: `${made.length}/${expected} services after 90 s` };
      else await sleep(250);
    }
    // The deployment would follow a rollout that cannot converge (no image runs here): cancel it, so
    // that it ends and lets go of the host ports it holds before the next file.
    await b.api("POST", `/api/v1/jobs/${r.body.jobId}/cancel`, undefined, { "x-berth-org": ORG });
    const until = Date.now() + 60_000;
    while (!ENDED.includes((await status())?.status) && Date.now() < until) await sleep(250);
    return verdict;
  } finally {
    // Removed through Berth (which also lets go of the stack's host ports), then swept by label.
    const rm = await b.api("DELETE", `/api/v1/stacks/${stack}`, undefined, { "x-berth-org": ORG });
    const until = Date.now() + 60_000;
    while (rm.status === 202 && Date.now() < until) {
      const job = (await b.api("GET", `/api/v1/jobs/${rm.body.jobId}`, undefined, { "x-berth-org": ORG }))
        .body.job;
      if (["succeeded", "failed", "cancelled"].includes(job?.status)) break;
      await sleep(250);
    }
    await removeLabelled(labels);
    for (const t of tags)
      await docker
        .getImage(t)
        .remove({ noprune: true })
        .catch(() => {});
  }
}

const b = await benchBerth();
try {
  const created = await b.api("POST", "/api/v1/orgs", { slug: ORG });
  if (created.status !== 201) throw new Error(`org: ${JSON.stringify(created.body)}`);
  const policy = await b.api("PUT", `/api/v1/orgs/${ORG}/policy`, {
    bindMounts: true,
    hostPortsAnywhere: true,
    capabilities: ["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE"],
  });
  if (policy.status !== 200) throw new Error(`policy: ${JSON.stringify(policy.body)}`);
  for (const [i, project] of projects.entries()) {
    const env = envOf(project);
    const stack = `cc${tag}-${i}`;
    const dockerVerdict = await viaDocker(project, stack, env);
    const berthVerdict = await viaBerth(b, project, stack, env);
    rows.push({ project, docker: dockerVerdict, berth: berthVerdict });
    console.error(
      `${project}: docker ${dockerVerdict.ok ? "accepted" : "refused"} (${dockerVerdict.why}); berth ${berthVerdict.ok ? "accepted" : `refused [${berthVerdict.kind}]`} (${berthVerdict.why})`,
    );
  }
} finally {
  await b.stop();
}

const yes = (v: Verdict) => (v.ok ? "yes" : v.kind ? `no (${v.kind})` : "no");
console.log(
  "Acceptance means the Engine accepted the stack's objects (services created), not that tasks run: images cannot be pulled here.\n",
);
console.log(
  table([
    ["file", "docker stack deploy", "berth", "berth's reason when not"],
    ...rows.map((r) => [r.project, yes(r.docker), yes(r.berth), r.berth.ok ? "" : r.berth.why]),
  ]),
);
const dockerOk = rows.filter((r) => r.docker.ok);
const both = dockerOk.filter((r) => r.berth.ok);
const byDesign = dockerOk.filter((r) => !r.berth.ok && r.berth.kind === "policy");
const pct = (a: number, n: number) => (n ? `${((100 * a) / n).toFixed(0)}%` : "n/a");
console.log(`
files: ${rows.length}
docker stack deploy accepts: ${dockerOk.length} (${pct(dockerOk.length, rows.length)})
berth accepts: ${rows.filter((r) => r.berth.ok).length} (${pct(rows.filter((r) => r.berth.ok).length, rows.length)})
berth accepts of what docker accepts: ${both.length}/${dockerOk.length} (${pct(both.length, dockerOk.length)})
  refused by the tenant policy whatever an admin lifts (the Docker socket, /): ${byDesign.length}; without them: ${both.length}/${dockerOk.length - byDesign.length} (${pct(both.length, dockerOk.length - byDesign.length)})
berth accepts that docker refuses: ${rows.filter((r) => r.berth.ok && !r.docker.ok).length}`);
for (const r of rows.filter((x) => !x.docker.ok))
  console.log(`  docker refuses ${r.project}: ${r.docker.why}`);
