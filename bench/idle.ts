// Idle memory of the control plane: RSS after start and 30 s of doing nothing, beside dockerd's own.
// Usage: tsx bench/idle.ts

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { benchBerth } from "./lib.js";

const rss = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const b = await benchBerth();
try {
  const pid = JSON.parse(readFileSync(join(b.dataDir, "server.json"), "utf8")).pid as number;
  const atStart = rss(pid);
  await new Promise((r) => setTimeout(r, 30_000));
  const idle = rss(pid);
  const dockerd = Number(execFileSync("pgrep", ["-x", "dockerd"]).toString().trim().split("\n")[0]);
  console.log(
    `control plane RSS: ${atStart.toFixed(0)} MB after start, ${idle.toFixed(0)} MB after 30 s idle (target <= 150 MB, embedded PGlite included)`,
  );
  console.log(`for scale, dockerd: ${rss(dockerd).toFixed(0)} MB`);
} finally {
  await b.stop();
}
