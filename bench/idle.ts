// Idle memory of the control plane: RSS after start and 30 s of doing nothing, on the embedded
// database and (with BERTH_TEST_DATABASE_URL) on a PostgreSQL server, beside dockerd's own RSS.
// Usage: tsx bench/idle.ts
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freshPostgres } from "../test/helpers/databases.js";
import { benchBerth } from "./lib.js";

const rss = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

async function measure(label: string, env: NodeJS.ProcessEnv): Promise<void> {
  const b = await benchBerth(env);
  try {
    const pid = JSON.parse(readFileSync(join(b.dataDir, "server.json"), "utf8")).pid as number;
    const atStart = rss(pid);
    await new Promise((r) => setTimeout(r, 30_000));
    console.log(`${label}: ${atStart.toFixed(0)} MB after start, ${rss(pid).toFixed(0)} MB after 30 s idle`);
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
const dockerd = Number(execFileSync("pgrep", ["-x", "dockerd"]).toString().trim().split("\n")[0]);
console.log(`for scale, dockerd: ${rss(dockerd).toFixed(0)} MB (target for Berth: <= 150 MB)`);
