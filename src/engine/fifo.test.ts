// The shared pipe on a real named pipe, with a real process on the other end in place of a helper's
// tar: every byte passes, the data ends only once the other process exited, and the pipe is
// owner-only and gone after close.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openFifo } from "./fifo.js";

const dir = mkdtempSync(join(tmpdir(), "berth-fifo-"));
const data = randomBytes(3 * 1024 * 1024 + 17);
writeFileSync(join(dir, "in"), data);

function exited(cmd: string, args: string[]): Promise<number> {
  const p = spawn(cmd, args, { stdio: "ignore" });
  return new Promise((done) => p.on("exit", (code) => done(code ?? -1)));
}

describe("openFifo", () => {
  it("reads what another process writes, to the end only once it exited", async () => {
    const fifo = await openFifo(join(dir, "r"), "pipe");
    expect(statSync(fifo.path).mode & 0o777).toBe(0o600);
    // A slow writer: the data must not end before it wrote its second part.
    const writer = exited("sh", [
      "-c",
      `head -c 1000 "$1" > "$2"; sleep 0.3; cat "$1" > "$2"`,
      "sh",
      join(dir, "in"),
      fifo.path,
    ]);
    void writer.then(() => fifo.release());
    const parts: Buffer[] = [];
    for await (const chunk of fifo.stream) parts.push(chunk as Buffer);
    expect(await writer).toBe(0);
    const got = Buffer.concat(parts);
    expect(got.length).toBe(1000 + data.length);
    expect(got.subarray(1000).equals(data)).toBe(true);
    await fifo.close();
    expect(existsSync(fifo.path)).toBe(false);
  });
});
