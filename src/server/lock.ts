// One control plane per data directory: the embedded database must never be opened twice.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dataDirPaths } from "../config/data-dir.js";
import { Conflict } from "../domain/errors.js";

export function acquireLock(dataDir: string): () => void {
  const path = dataDirPaths(dataDir).lock;
  try {
    writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const pid = Number(readFileSync(path, "utf8").trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Conflict(
        `Berth is already running on ${dataDir} (pid ${pid}); stop it with 'berth down' first`,
      );
    }
    writeFileSync(path, `${process.pid}\n`); // stale lock from a process that died
  }
  return () => rmSync(path, { force: true });
}

/** Whether `pid` is a live process; a zombie (killed, not yet reaped by its parent) is not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no procfs: trust kill(0)
  }
}
