import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { ArchiveCorrupt, CHUNK_BYTES, decryptStream, encryptStream } from "./archive-crypto.js";

const key = randomBytes(32);

async function through(t: NodeJS.ReadWriteStream, input: Buffer, pieces = 7): Promise<Buffer> {
  const out: Buffer[] = [];
  const parts: Buffer[] = [];
  const step = Math.max(1, Math.ceil(input.length / pieces));
  for (let i = 0; i < input.length; i += step) parts.push(input.subarray(i, i + step));
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
});
