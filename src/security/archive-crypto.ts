// Backup archives at rest: AES-256-GCM in chunks, so an archive of any size is sealed and checked as
// a stream, never whole in memory. Each chunk is authenticated on its own, and the last one says it
// is the last, so a reordered, dropped, altered or truncated archive fails to open.
//
// Layout: "BERTHAE1" | salt (16) | chunks. A chunk: length word (4 bytes, big-endian; the top bit
// marks the last chunk) | ciphertext | tag (16). The archive key is HKDF-SHA256(backup key, salt):
// a fresh key per archive, so the chunk counter alone is a safe nonce. The length word is the
// chunk's additional data; the salt is bound through the key.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

const MAGIC = Buffer.from("BERTHAE1");
const SALT_BYTES = 16;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + SALT_BYTES;
const LAST = 0x8000_0000;
export const CHUNK_BYTES = 64 * 1024;

export class ArchiveCorrupt extends Error {}

function archiveKey(key: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", key, salt, "berth-backup-v1", 32));
}

function nonce(counter: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(counter), 4);
  return n;
}

function lengthWord(length: number, last: boolean): Buffer {
  const w = Buffer.alloc(4);
  w.writeUInt32BE((last ? LAST : 0) + length);
  return w;
}

/** Seals a plaintext stream under `key` (32 bytes). */
export function encryptStream(key: Buffer): Transform {
  const salt = randomBytes(SALT_BYTES);
  const k = archiveKey(key, salt);
  let counter = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const seal = (plain: Buffer, last: boolean): Buffer => {
    const word = lengthWord(plain.length, last);
    const c = createCipheriv("aes-256-gcm", k, nonce(counter++));
    c.setAAD(word);
    return Buffer.concat([word, c.update(plain), c.final(), c.getAuthTag()]);
  };
  let headerSent = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (!headerSent) {
        this.push(Buffer.concat([MAGIC, salt]));
        headerSent = true;
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= CHUNK_BYTES) {
        let all = Buffer.concat(pending);
        // Keep the remainder back: the last chunk must be sealed as the last.
        while (all.length > CHUNK_BYTES) {
          this.push(seal(all.subarray(0, CHUNK_BYTES), false));
          all = all.subarray(CHUNK_BYTES);
        }
        pending = [all];
        pendingBytes = all.length;
      }
      done();
    },
    flush(done: TransformCallback) {
      if (!headerSent) this.push(Buffer.concat([MAGIC, salt]));
      this.push(seal(Buffer.concat(pending), true));
      done();
    },
  });
}

/** Opens what encryptStream sealed; fails with ArchiveCorrupt on any change, reorder or truncation. */
export function decryptStream(key: Buffer): Transform {
  let buf: Buffer = Buffer.alloc(0);
  let k: Buffer | undefined;
  let counter = 0;
  let ended = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      try {
        if (!k) {
          if (buf.length < HEADER_BYTES) return done();
          if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) {
            throw new ArchiveCorrupt("not an encrypted Berth archive (bad header)");
          }
          k = archiveKey(key, buf.subarray(MAGIC.length, HEADER_BYTES));
          buf = buf.subarray(HEADER_BYTES);
        }
        for (;;) {
          if (buf.length === 0) break;
          if (ended) throw new ArchiveCorrupt("data after the last chunk");
          if (buf.length < 4) break;
          const word = buf.readUInt32BE(0);
          const last = (word & LAST) !== 0;
          const length = word & 0x7fff_ffff;
          if (length > CHUNK_BYTES) throw new ArchiveCorrupt("chunk length out of range");
          const total = 4 + length + TAG_BYTES;
          if (buf.length < total) break;
          const d = createDecipheriv("aes-256-gcm", k, nonce(counter++));
          d.setAAD(buf.subarray(0, 4));
          d.setAuthTag(buf.subarray(4 + length, total));
          let plain: Buffer;
          try {
            plain = Buffer.concat([d.update(buf.subarray(4, 4 + length)), d.final()]);
          } catch {
            throw new ArchiveCorrupt(`chunk ${counter - 1} does not authenticate (wrong key or altered)`);
          }
          buf = buf.subarray(total);
          if (plain.length) this.push(plain);
          if (last) ended = true;
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      if (!k) return done(new ArchiveCorrupt("truncated: no header"));
      if (!ended || buf.length) return done(new ArchiveCorrupt("truncated: the last chunk is missing"));
      done();
    },
  });
}
