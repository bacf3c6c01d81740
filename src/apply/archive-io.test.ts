// The store's file handling on a real temporary directory: plain and sealed archives round-trip,
// the recorded sha256 is that of the stored file, and a changed byte is refused.
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ArchiveCorrupt, adoptArchive, growingFile, readArchive, writeArchive } from "./archive-io.js";

const dir = mkdtempSync(join(tmpdir(), "berth-archive-io-"));
const key = randomBytes(32);

function sink(): { stream: Writable; data: () => Buffer } {
  const parts: Buffer[] = [];
  return {
    stream: new Writable({
      write(c, _e, done) {
        parts.push(c);
        done();
      },
    }),
    data: () => Buffer.concat(parts),
  };
}

describe.each([
  ["plain", undefined],
  ["sealed", key],
])("%s archives", (name, k) => {
  const plain = randomBytes(300_000);
  const path = join(dir, "org", `${name}.tar`);

  it("writes through sha256 and reads back the same bytes", async () => {
    let seen = 0;
    const out = await writeArchive(Readable.from([plain.subarray(0, 1000), plain.subarray(1000)]), {
      path,
      ...(k ? { key: k } : {}),
      onBytes: (n) => (seen = n),
    });
    expect(seen).toBe(plain.length);
    const stored = readFileSync(path);
    expect(out).toEqual({
      sha256: createHash("sha256").update(stored).digest("hex"),
      sizeBytes: stored.length,
    });
    expect(existsSync(`${path}.partial`)).toBe(false);
    expect(stored.equals(plain)).toBe(!k);
    const s = sink();
    await readArchive({
      path,
      sha256: out.sha256,
      ...(k ? { key: k } : {}),
      sink: s.stream,
      onBytes: () => {},
    });
    expect(s.data().equals(plain)).toBe(true);
    const copy = join(dir, "staging", `${name}.plain`);
    const checkInto = () =>
      readArchive({ path, sha256: out.sha256, ...(k ? { key: k } : {}), plainTo: copy, onBytes: () => {} });
    await checkInto();
    expect(readFileSync(copy).equals(plain)).toBe(true);
    expect(statSync(copy).mode & 0o777).toBe(0o600);
    // A plain archive's checked copy on the same filesystem is a second name for it: nothing written.
    expect(statSync(copy).ino === statSync(path).ino).toBe(!k);
    // Checked again into the same place (a retried job): the old copy is replaced, not an error.
    await checkInto();
    expect(readFileSync(copy).equals(plain)).toBe(true);
  });

  it("refuses the archive once a byte changed", async () => {
    const stored = readFileSync(path);
    const sha256 = createHash("sha256").update(stored).digest("hex");
    stored[1000]! ^= 0x80;
    writeFileSync(path, stored);
    await expect(
      readArchive({ path, sha256, ...(k ? { key: k } : {}), onBytes: () => {} }),
    ).rejects.toBeInstanceOf(ArchiveCorrupt);
    // Nor is a copy of it left to extract from.
    const copy = join(dir, "staging", `${name}.refused`);
    await expect(
      readArchive({ path, sha256, ...(k ? { key: k } : {}), plainTo: copy, onBytes: () => {} }),
    ).rejects.toBeInstanceOf(ArchiveCorrupt);
    expect(existsSync(copy)).toBe(false);
  });
});

describe("a file read as another process writes it", () => {
  /** Appends `parts` to `path` one after another, a few ms apart; returns when all are written. */
  async function writeSlowly(path: string, parts: Buffer[]): Promise<void> {
    for (const part of parts) {
      await new Promise((r) => setTimeout(r, 3));
      appendFileSync(path, part);
    }
  }
  const drain = async (stream: Readable) => {
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    return Buffer.concat(parts);
  };

  it("gives every byte written, also those written after the reader caught up, then ends", async () => {
    const path = join(dir, "growing.tar");
    writeFileSync(path, "");
    const parts = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 997));
    const written = writeSlowly(path, parts);
    // Buffer.equals: toEqual compares a buffer element by element, seconds for this size.
    expect((await drain(growingFile(path, written))).equals(Buffer.concat(parts))).toBe(true);
  });

  it("fails with the writer's error, whatever it read before", async () => {
    const path = join(dir, "failed.tar");
    writeFileSync(path, randomBytes(5000));
    const failed = new Promise<void>((_, fail) => setTimeout(() => fail(new Error("tar exited with 2")), 20));
    await expect(drain(growingFile(path, failed))).rejects.toThrow("tar exited with 2");
  });

  it("puts a plain archive in place without copying it, with the sha256 of its bytes", async () => {
    const from = join(dir, "transfer.tar");
    const path = join(dir, "org", "adopted.tar");
    const bytes = randomBytes(200_000);
    writeFileSync(from, bytes);
    let seen = 0;
    const out = await adoptArchive(growingFile(from, Promise.resolve()), {
      from,
      path,
      onBytes: (n) => (seen = n),
    });
    expect(out).toEqual({
      sha256: createHash("sha256").update(bytes).digest("hex"),
      sizeBytes: bytes.length,
    });
    expect(seen).toBe(bytes.length);
    expect(existsSync(from)).toBe(false);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
