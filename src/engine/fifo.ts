// A named pipe shared with a helper container through a bind-mounted private directory: the helper's
// `tar` writes a volume into it while Berth reads the other end, so a volume's bytes pass through the
// kernel, not through the Engine's archive API.
//
// Both ends are opened by Berth at once, without blocking, before the helper starts: the write end is
// held until the helper has exited (`release`). Held, it keeps Berth from seeing the end of the data
// before the helper opened the pipe (and lets the helper's open for writing return at once).
// Released, Berth gets the end of the data once the helper's bytes are read.
//
// Only this direction: a reader on the helper's side could open the pipe after Berth wrote a small
// input into its buffer and closed it, and then wait for a writer forever. A restore hands the helper
// a plain file instead.
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
  /** Berth's end, readable. */
  stream: Socket;
  /** Closes the write end Berth holds for the helper (once the helper has exited). Idempotent. */
  release(): void;
  /** Destroys Berth's end, releases the other, and removes the pipe. */
  close(): Promise<void>;
}

/** Makes `dir` (owner-only) and a pipe in it named `name`, open for Berth to read. */
export async function openFifo(dir: string, name: string): Promise<Fifo> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  await rm(path, { force: true });
  // Node has no mkfifo(3): the coreutils tool, with a path Berth made (no user input, no shell).
  await exec("mkfifo", ["-m", "600", path]);
  const readEnd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let held: number | undefined = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  const stream = new Socket({ fd: readEnd, readable: true, writable: false });
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
