// An idle control plane: RSS after start and after 40 s of doing nothing, and the CPU it used in the
// last 30 s (share of one core), on the embedded database and (with BERTH_TEST_DATABASE_URL) on a
// PostgreSQL server, beside dockerd's own RSS and CPU over the same 30 s.
// Usage: tsx bench/idle.ts
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freshPostgres } from "../test/helpers/databases.js";
import { benchBerth } from "./lib.js";

const rss = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
/** User plus system CPU time of `pid` so far, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
const cpuTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
};
const TICKS_PER_S = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
const IDLE_S = 30;
const SETTLE_S = 10;
const dockerd = Number(execFileSync("pgrep", ["-x", "dockerd"]).toString().trim().split("\n")[0]);
const share = (ticks: number) => `${((100 * ticks) / TICKS_PER_S / IDLE_S).toFixed(1)}% of a core`;

async function measure(label: string, env: NodeJS.ProcessEnv): Promise<void> {
  const b = await benchBerth(env);
  try {
    const pid = JSON.parse(readFileSync(join(b.dataDir, "server.json"), "utf8")).pid as number;
    const atStart = rss(pid);
    // The first seconds after start still sweep the job queue and read Swarm's state.
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    const [cpu0, dockerd0] = [cpuTicks(pid), cpuTicks(dockerd)];
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const [cpu, dockerdCpu] = [cpuTicks(pid) - cpu0, cpuTicks(dockerd) - dockerd0];
    console.log(
      `${label}: ${atStart.toFixed(0)} MB after start, ${rss(pid).toFixed(0)} MB after ${SETTLE_S + IDLE_S} s idle; ` +
        `CPU over the last ${IDLE_S} s ${share(cpu)} (dockerd meanwhile: ${share(dockerdCpu)})`,
    );
  } finally {
    await b.stop();
  }
}

await measure("control plane on embedded PGlite", {});
if (process.env.BERTH_TEST_DATABASE_URL) {
  const db = await freshPostgres(process.env.BERTH_TEST_DATABASE_URL);
  await db.database.close();
  await measure("control plane on PostgreSQL", { DATABASE_URL: (db.target as { url: string }).url });
  await db.drop();
}
console.log(`for scale, dockerd: ${rss(dockerd).toFixed(0)} MB (target for Berth: <= 150 MB)`);
