// Event-to-database lag: 100 tasks change state at once (a service scaled 0 -> 100 -> 0 behind
// Berth's back). Compared in the same run with Docker itself: when the Engine reports all tasks
// running, and when Berth's API (read from its database) does.
// Usage: tsx bench/events.ts [TASKS]
import Docker from "dockerode";
import { benchBerth, deployed, ms, now, table, waitFor } from "./lib.js";

const TASKS = Number(process.argv[2] ?? 100);
const docker = new Docker();
const b = await benchBerth();
const stack = `bench-ev-${Date.now().toString(36).slice(-4)}`;

async function lagQuantiles(): Promise<Record<string, number>> {
  const text = await (await fetch(`${b.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^berth_event_lag_seconds\{quantile="([\d.]+)"\} ([\d.e+-]+|NaN)$/gm)) {
    out[m[1]!] = Number(m[2]) * 1000;
  }
  return out;
}

try {
  await deployed(b, { name: stack, services: [{ name: "w", image: "local/httpd:1", replicas: 0 }] });
  const [svc] = (await (docker.listServices as any)({
    filters: { label: [`berth.stack=${stack}`] },
  })) as any[];
  const rows: (string | number)[][] = [
    ["change", "Docker reports it", "Berth's database shows it", "difference"],
  ];

  for (const target of [TASKS, 0]) {
    const cur = await docker.getService(svc.ID).inspect();
    const t0 = now();
    await docker
      .getService(svc.ID)
      .update({ version: cur.Version.Index, ...cur.Spec, Mode: { Replicated: { Replicas: target } } });
    let dockerAt = 0;
    let berthAt = 0;
    await waitFor(`${target} tasks`, async () => {
      if (!dockerAt) {
        const tasks = (await (docker.listTasks as any)({ filters: { service: [svc.ID] } })) as any[];
        const running = tasks.filter(
          (t) => t.Status.State === "running" && t.DesiredState === "running",
        ).length;
        if (running === target && (target > 0 || tasks.every((t) => t.Status.State !== "running")))
          dockerAt = now();
      }
      if (!berthAt) {
        const s = (await b.api("GET", "/api/v1/stacks")).body.stacks.find((x: any) => x.name === stack);
        const w = s?.services.find((x: any) => x.name === "w");
        if (w && w.running === target && w.replicas === target) berthAt = now();
      }
      return dockerAt > 0 && berthAt > 0 ? true : undefined;
    });
    rows.push([`scale to ${target}`, ms(dockerAt - t0), ms(berthAt - t0), ms(berthAt - dockerAt)]);
  }
  const q = await lagQuantiles();
  console.log(`\n${TASKS} tasks changing state at once (single-node swarm)\n`);
  console.log(table(rows));
  console.log(
    `\nevent -> database lag over every event of the run: p50 ${ms(q["0.5"]!)}, p90 ${ms(q["0.9"]!)}, p99 ${ms(q["0.99"]!)} (target p99 <= 1000 ms)`,
  );
} finally {
  await b.api("DELETE", `/api/v1/stacks/${stack}`).catch(() => {});
  await b.stop();
}
