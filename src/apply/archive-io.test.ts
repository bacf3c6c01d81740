// The store's file handling on a real temporary directory: plain and sealed archives round-trip,
// the recorded sha256 is that of the stored file, and a changed byte is refused.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ArchiveCorrupt, readArchive, writeArchive } from "./archive-io.js";

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
    await readArchive({
      path,
      sha256: out.sha256,
      ...(k ? { key: k } : {}),
      plainTo: copy,
      onBytes: () => {},
    });
    expect(readFileSync(copy).equals(plain)).toBe(true);
    expect(statSync(copy).mode & 0o777).toBe(0o600);
  });

  it("refuses the archive once a byte changed", async () => {
    const stored = readFileSync(path);
    const sha256 = createHash("sha256").update(stored).digest("hex");
    stored[1000]! ^= 0x80;
    writeFileSync(path, stored);
    await expect(
      readArchive({ path, sha256, ...(k ? { key: k } : {}), onBytes: () => {} }),
    ).rejects.toBeInstanceOf(ArchiveCorrupt);
  });
});
