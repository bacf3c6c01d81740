// A named pipe shared with a helper container through a bind-mounted private directory: the helper's
// `tar` writes (a backup) or reads (a restore) the pipe while Berth streams the other end, so a
// volume's bytes pass through the kernel, not through the Engine's archive API.
//
// Both ends are opened by Berth at once, without blocking, before the helper starts: the end Berth
// does not use is held open until the helper has exited (`release`). Held, it keeps a reading Berth
// from seeing the end of the data before the helper opened the pipe, and a writing Berth from failing
// before the helper reads. Released, a reading Berth gets the end of the data once the helper's bytes
// are read.
import { execFile } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface Fifo {
  /** The pipe's path (in `dir`). */
  path: string;
  /** Berth's end: readable when Berth reads, writable when it writes. */
  stream: Socket;
  /** Closes the end Berth holds for the helper (once the helper has exited). Idempotent. */
  release(): void;
  /** Destroys Berth's end, releases the other, and removes the pipe. */
  close(): Promise<void>;
}

/** Makes `dir` (owner-only) and a pipe in it named `name`, open for Berth to `read` or `write`. */
export async function openFifo(dir: string, name: string, way: "read" | "write"): Promise<Fifo> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  await rm(path, { force: true });
  // Node has no mkfifo(3): the coreutils tool, with a path Berth made (no user input, no shell).
  await exec("mkfifo", ["-m", "600", path]);
  const readEnd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  const mine = way === "read" ? readEnd : writeEnd;
  let held: number | undefined = way === "read" ? writeEnd : readEnd;
  const stream = new Socket({ fd: mine, readable: way === "read", writable: way === "write" });
  const release = () => {
    if (held === undefined) return;
    closeSync(held);
    held = undefined;
  };
  return {
    path,
    stream,
    release,
    async close() {
      stream.destroy();
      release();
      await rm(path, { force: true });
    },
  };
}
