import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArchiveCorrupt, CHUNK_BYTES, decryptStream, encryptStream } from "./archive-crypto.js";

const key = randomBytes(32);

async function through(t: NodeJS.ReadWriteStream, input: Buffer, pieces = 7): Promise<Buffer> {
  const step = Math.max(1, Math.ceil(input.length / pieces));
  const cuts: number[] = [];
  for (let i = step; i < input.length; i += step) cuts.push(i);
  return throughCut(t, input, cuts);
}

/** Feeds `input` to `t` cut at the given offsets (pieces of any size, as a pipe or file gives them). */
async function throughCut(t: NodeJS.ReadWriteStream, input: Buffer, cuts: number[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const parts: Buffer[] = [];
  let from = 0;
  for (const at of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (at <= from || at >= input.length) continue;
    parts.push(input.subarray(from, at));
    from = at;
  }
  if (from < input.length) parts.push(input.subarray(from));
  const collect = async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) out.push(c);
  };
  await pipeline(Readable.from(parts), t, collect as never);
  return Buffer.concat(out);
}

describe("chunked archive encryption", () => {
  it.each([0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17])(
    "round-trips %i bytes",
    async (n) => {
      const plain = randomBytes(n);
      const sealed = await through(encryptStream(key), plain);
      expect(sealed.subarray(0, 8).toString()).toBe("BERTHAE1");
      expect(sealed.includes(plain.subarray(0, Math.min(n, 64))) && n >= 16).toBe(false);
      expect((await through(decryptStream(key), sealed, 13)).equals(plain)).toBe(true);
    },
  );

  it("opens archives sealed in 64 KiB chunks (as before 1 MiB) and in pieces of one byte", async () => {
    const plain = randomBytes(3 * 64 * 1024 + 5);
    const old = await through(encryptStream(key, 64 * 1024), plain);
    expect((await through(decryptStream(key), old, 5)).equals(plain)).toBe(true);
    const small = randomBytes(100);
    const sealed = await through(encryptStream(key, 40), small);
    const everyByte = Array.from({ length: sealed.length }, (_, i) => i);
    expect((await throughCut(decryptStream(key), sealed, everyByte)).equals(small)).toBe(true);
  });

  it("refuses a chunk that declares more than 16 MiB", async () => {
    const sealed = await through(encryptStream(key), randomBytes(10));
    const bad = Buffer.from(sealed);
    bad.writeUInt32BE(0x8000_0000 + 16 * 1024 * 1024 + 1, 24);
    await expect(through(decryptStream(key), bad)).rejects.toThrow(/out of range/);
  });

  it("refuses a flipped byte anywhere, a truncation, extra data and another key", async () => {
    const plain = randomBytes(2 * CHUNK_BYTES + 100);
    const sealed = await through(encryptStream(key), plain);
    for (const at of [3, 10, 30, CHUNK_BYTES, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at]! ^= 1;
      await expect(through(decryptStream(key), bad), `byte ${at}`).rejects.toBeInstanceOf(ArchiveCorrupt);
    }
    await expect(through(decryptStream(key), sealed.subarray(0, sealed.length - 200))).rejects.toThrow(
      /truncated|authenticate/,
    );
    const cut = 24 + 4 + CHUNK_BYTES + 16; // header and the first chunk only: not marked last
    await expect(through(decryptStream(key), sealed.subarray(0, cut))).rejects.toThrow(/truncated/);
    await expect(through(decryptStream(key), Buffer.concat([sealed, Buffer.from("x")]))).rejects.toThrow(
      /after the last/,
    );
    await expect(through(decryptStream(randomBytes(32)), sealed)).rejects.toThrow(/authenticate/);
  });

  it("seals and opens the same bytes however the stream cuts them", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 * CHUNK_BYTES + 50 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (n, plainCuts, sealedCuts) => {
          const plain = randomBytes(n);
          const sealed = await throughCut(
            encryptStream(key),
            plain,
            plainCuts.map((c) => c % (n + 1)),
          );
          const opened = await throughCut(
            decryptStream(key),
            sealed,
            // Cuts inside the header and length words too.
            sealedCuts.map((c) => (c % 3 === 0 ? c % 40 : c % sealed.length)),
          );
          expect(opened.equals(plain)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
