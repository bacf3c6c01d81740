// A burst of task transitions with a deliberately slow event consumer: the Engine drops events for
// slow readers, so only the resync can bring the database back to what Docker runs. Reports how long
// after Docker settles the database matches it 100% (target: within 60 s).
// Usage: tsx bench/burst.ts [SERVICES] [TASKS_PER_SERVICE]
import Docker from "dockerode";
import { benchBerth, deployed, now, waitFor } from "./lib.js";

const SERVICES = Number(process.argv[2] ?? 20);
const PER = Number(process.argv[3] ?? 25);
const docker = new Docker();
// Every event costs the observer this long (default 250 ms): slower than the burst produces them.
const DELAY = process.env.BENCH_EVENT_DELAY_MS ?? "250";
const b = await benchBerth({ BERTH_OBSERVER_EVENT_DELAY_MS: DELAY });
const stack = `bench-burst-${Date.now().toString(36).slice(-4)}`;

async function dockerState(ids: string[]) {
  const tasks = (await docker.listTasks()) as any[];
  return new Map(
    ids.map((id) => [
      id,
      tasks
        .filter((t) => t.ServiceID === id && (t.DesiredState === "running" || t.Status.State === "running"))
        .map((t) => `${t.ID}:${t.Status.State}`)
        .sort()
        .join(","),
    ]),
  );
}

async function berthState() {
  const s = (await b.api("GET", "/api/v1/stacks")).body.stacks.find((x: any) => x.name === stack);
  return new Map<string, string>(
    (s?.services ?? []).map((svc: any) => [
      svc.name,
      svc.tasks
        .filter((t: any) => t.desired === "running" || t.state === "running")
        .map((t: any) => `${t.id}:${t.state}`)
        .sort()
        .join(","),
    ]),
  );
}

try {
  const services = Array.from({ length: SERVICES }, (_, i) => ({
    name: `s${i}`,
    image: "local/httpd:1",
    replicas: 0,
  }));
  await deployed(b, { name: stack, services });
  const live = (await (docker.listServices as any)({
    filters: { label: [`berth.stack=${stack}`] },
  })) as any[];
  const byName = new Map(live.map((s) => [s.Spec.Labels["berth.service"] as string, s.ID as string]));
  const transitions: number[] = [];
  for (const target of [PER, 0]) {
    const t0 = now();
    await Promise.all(
      live.map(async (s) => {
        const cur = await docker.getService(s.ID).inspect();
        await docker
          .getService(s.ID)
          .update({ version: cur.Version.Index, ...cur.Spec, Mode: { Replicated: { Replicas: target } } });
      }),
    );
    await waitFor(
      "Docker to settle",
      async () => {
        const tasks = (await docker.listTasks()) as any[];
        const mine = tasks.filter((t) => [...byName.values()].includes(t.ServiceID));
        const running = mine.filter((t) => t.Status.State === "running").length;
        const moving = mine.filter(
          (t) => t.DesiredState === "running" && t.Status.State !== "running",
        ).length;
        return target > 0 ? running === SERVICES * target : running === 0 && moving === 0;
      },
      900_000,
    );
    const settled = now();
    // Each started task passes new, allocated, pending, assigned, accepted, preparing, starting,
    // running (8); each stopped one running -> shutdown/complete (1-2).
    transitions.push(SERVICES * PER * (target > 0 ? 8 : 2));
    const ids = [...byName.values()];
    await waitFor(
      "the database to match Docker",
      async () => {
        const [dk, bt] = [await dockerState(ids), await berthState()];
        return [...byName].every(([name, id]) => (bt.get(name) ?? "") === (dk.get(id) ?? ""));
      },
      120_000,
    );
    const matched = now();
    console.log(
      `scale ${SERVICES} services to ${target}: Docker settled after ${((settled - t0) / 1000).toFixed(1)} s; ` +
        `the database matched Docker 100% ${((matched - settled) / 1000).toFixed(1)} s later`,
    );
  }
  const metrics = await (await fetch(`${b.url}/metrics`)).text();
  const errors = metrics.match(/^berth_docker_errors_total\{operation="events"\} (\d+)/m)?.[1] ?? "0";
  console.log(
    `about ${transitions.reduce((a, c) => a + c, 0)} task transitions, consumer slowed to ${DELAY} ms an event; ` +
      `event stream restarts: ${errors}; target: match within 60 s`,
  );
} finally {
  await b.api("DELETE", `/api/v1/stacks/${stack}`).catch(() => {});
  await b.stop();
}
