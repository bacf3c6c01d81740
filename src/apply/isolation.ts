// Proof of network isolation with real traffic: a probe server joins organization A's network, then
// one client on A's network and one on B's network each fetch its page by its address on A's
// network. Within A it must connect; from B it must not. Probes are labelled and always removed.
// It takes up to two minutes, so it runs as a job (`verify-isolation`) whose result is the report.
import { randomBytes } from "node:crypto";
import { LABEL, ownerLabels, sortRecord } from "../domain/labels.js";
import type { JobContext } from "../jobs/queue.js";
import type { SwarmServiceSpec } from "../plan/swarm-types.js";
import { ensureOrgNetwork } from "./deploy.js";
import type { Platform } from "./platform.js";

const SERVER_IMAGE = "local/httpd:1";
const CLIENT_IMAGE = "local/debian:bookworm";
const PROBE_LABEL = "berth.probe";

export interface IsolationReport {
  orgs: [string, string];
  sameOrg: { connected: boolean; detail: string };
  crossOrg: { connected: boolean; detail: string };
  isolated: boolean;
}

export const ISOLATION_JOB = "verify-isolation";

/** Queues the probe between organizations `a` and `b` (the caller may act in both). */
export async function requestVerifyIsolation(
  p: Platform,
  o: { orgId: string; a: string; b: string; requestedBy: string; correlationId: string },
): Promise<{ jobId: string }> {
  const job = await p.jobs.enqueue({
    type: ISOLATION_JOB,
    orgId: o.orgId,
    target: `${o.a}/${o.b}`,
    payload: { a: o.a, b: o.b },
    correlationId: o.correlationId,
    requestedBy: o.requestedBy,
  });
  return { jobId: job.id };
}

export async function runVerifyIsolation(p: Platform, ctx: JobContext): Promise<void> {
  const { a, b } = ctx.job.payload as { a: string; b: string };
  const report = await verifyIsolation(p, a, b, (message, percent) => ctx.progress(percent, message));
  await ctx.result({ ...report });
  await ctx.say(report.isolated ? `${a} and ${b} are isolated` : `${a} and ${b} are NOT isolated`);
}

export async function verifyIsolation(
  p: Platform,
  a: string,
  b: string,
  say: (message: string, percent: number) => Promise<void> = async () => {},
): Promise<IsolationReport> {
  const run = randomBytes(4).toString("hex");
  const netA = await ensureOrgNetwork(p, a);
  const netB = await ensureOrgNetwork(p, b);
  const ids: string[] = [];
  try {
    // The server answers with a nonce: a connection alone proves nothing where something on the
    // path accepts every TCP connection, the page's content does.
    const nonce = randomBytes(16).toString("hex");
    const server = await p.engine.createService(
      probeSpec(`berth-probe-${run}-srv`, a, run, netA, undefined, false, [`MESSAGE=${nonce}`]),
    );
    ids.push(server);
    await say(`starting a probe server on ${a}'s network`, 10);
    const address = await until(60_000, async () => {
      const running = (await p.engine.tasksOf([server])).find((t) => t.state === "running");
      const cidr = running?.addresses?.[netA]?.[0];
      return cidr?.split("/")[0];
    });
    if (!address) throw new Error("the probe server did not start within 60 s");
    await say(`probe server runs on ${a}'s network; fetching its page from ${a} and from ${b}`, 40);
    // The address comes from Docker, never from the caller.
    const fetch = [
      "timeout",
      "5",
      "bash",
      "-c",
      `exec 3<>/dev/tcp/${address}/8080 && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && grep -q ${nonce} <&3`,
    ];
    const same = await p.engine.createService(probeSpec(`berth-probe-${run}-a`, a, run, netA, fetch, true));
    ids.push(same);
    const cross = await p.engine.createService(probeSpec(`berth-probe-${run}-b`, b, run, netB, fetch, true));
    ids.push(cross);
    const [sameOrg, crossOrg] = await Promise.all([outcome(p, same), outcome(p, cross)]);
    await say(`within ${a}: ${sameOrg.detail}; from ${b}: ${crossOrg.detail}`, 90);
    return { orgs: [a, b], sameOrg, crossOrg, isolated: sameOrg.connected && !crossOrg.connected };
  } finally {
    for (const id of ids) await p.engine.removeService(id).catch(() => undefined);
  }
}

function probeSpec(
  name: string,
  org: string,
  run: string,
  network: string,
  command: string[] | undefined,
  once = false,
  env: string[] = [],
): SwarmServiceSpec {
  const labels = sortRecord({ ...ownerLabels({ org }), [PROBE_LABEL]: run, [LABEL.instance]: "probe" });
  return {
    Name: name,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: once ? CLIENT_IMAGE : SERVER_IMAGE,
        Labels: labels,
        ...(command ? { Command: command } : {}),
        Env: env,
      },
      Resources: { Limits: { NanoCPUs: 100_000_000, MemoryBytes: 32 * 1024 * 1024 } },
      RestartPolicy: once
        ? { Condition: "none" }
        : { Condition: "any", Delay: 1_000_000_000, MaxAttempts: 0 },
      Networks: [{ Target: network }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: { Parallelism: 1 },
    RollbackConfig: { Parallelism: 1 },
    EndpointSpec: { Mode: "dnsrr", Ports: [] },
  };
}

/** A client's task ends `complete` when it got the probe's page and `failed` when it could not. */
async function outcome(p: Platform, serviceId: string): Promise<{ connected: boolean; detail: string }> {
  const end = await until(60_000, async () => {
    const t = (await p.engine.tasksOf([serviceId])).find(
      (x) => x.state === "complete" || x.state === "failed" || x.state === "rejected",
    );
    return t;
  });
  if (!end) return { connected: false, detail: "the probe did not finish within 60 s" };
  if (end.state === "complete") return { connected: true, detail: "fetched the probe's page" };
  return {
    connected: false,
    detail: `could not connect (${end.error || end.message}${end.exitCode === undefined ? "" : `, exit ${end.exitCode}`})`,
  };
}

async function until<T>(ms: number, fn: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
  return undefined;
}
