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

/** Seals a plaintext stream under `key` (32 bytes). */
export function encryptStream(key: Buffer): Transform {
  const salt = randomBytes(SALT_BYTES);
  const k = archiveKey(key, salt);
  let counter = 0;
  const seal = (plain: Buffer, last: boolean): Buffer => {
    const out = Buffer.allocUnsafe(4 + plain.length + TAG_BYTES);
    const word = out.subarray(0, 4);
    word.writeUInt32BE((last ? LAST : 0) + plain.length);
    const c = createCipheriv("aes-256-gcm", k, nonce(counter++));
    c.setAAD(word);
    c.update(plain).copy(out, 4);
    c.final();
    c.getAuthTag().copy(out, 4 + plain.length);
    return out;
  };
  // Up to one chunk of plaintext not sealed yet: the last chunk must be sealed as the last, so a
  // full one waits until more data comes. Chunks are cut from the input in place (no large copies:
  // sealing runs several times faster in cache-sized pieces than on whole megabytes).
  let held: Buffer = Buffer.alloc(0);
  let headerSent = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (!headerSent) {
        this.push(Buffer.concat([MAGIC, salt]));
        headerSent = true;
      }
      let at = 0;
      while (at < chunk.length) {
        if (held.length === CHUNK_BYTES) {
          this.push(seal(held, false));
          held = Buffer.alloc(0);
        }
        const take = Math.min(CHUNK_BYTES - held.length, chunk.length - at);
        const part = chunk.subarray(at, at + take);
        held = held.length ? Buffer.concat([held, part]) : part;
        at += take;
      }
      done();
    },
    flush(done: TransformCallback) {
      if (!headerSent) this.push(Buffer.concat([MAGIC, salt]));
      this.push(seal(held, true));
      done();
    },
  });
}

/** Opens what encryptStream sealed; fails with ArchiveCorrupt on any change, reorder or truncation. */
export function decryptStream(key: Buffer): Transform {
  // Bytes of a header or chunk that began in an earlier input piece; whole chunks are opened where
  // they lie in the input.
  let carry: Buffer = Buffer.alloc(0);
  let k: Buffer | undefined;
  let counter = 0;
  let ended = false;
  /** How many bytes the unit starting at `buf` needs (header or chunk), or 0 when not known yet. */
  const unitBytes = (buf: Buffer): number => {
    if (!k) return HEADER_BYTES;
    if (buf.length < 4) return 0;
    const length = buf.readUInt32BE(0) & 0x7fff_ffff;
    if (length > CHUNK_BYTES) throw new ArchiveCorrupt("chunk length out of range");
    return 4 + length + TAG_BYTES;
  };
  /** Opens one whole unit (the header or a chunk); returns its plaintext, if any. */
  const open = (unit: Buffer): Buffer | undefined => {
    if (!k) {
      if (!unit.subarray(0, MAGIC.length).equals(MAGIC)) {
        throw new ArchiveCorrupt("not an encrypted Berth archive (bad header)");
      }
      k = archiveKey(key, unit.subarray(MAGIC.length, HEADER_BYTES));
      return undefined;
    }
    if (ended) throw new ArchiveCorrupt("data after the last chunk");
    const word = unit.readUInt32BE(0);
    const length = word & 0x7fff_ffff;
    const d = createDecipheriv("aes-256-gcm", k, nonce(counter++));
    d.setAAD(unit.subarray(0, 4));
    d.setAuthTag(unit.subarray(4 + length));
    let plain: Buffer;
    try {
      plain = d.update(unit.subarray(4, 4 + length));
      d.final();
    } catch {
      throw new ArchiveCorrupt(`chunk ${counter - 1} does not authenticate (wrong key or altered)`);
    }
    if ((word & LAST) !== 0) ended = true;
    return plain.length ? plain : undefined;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try {
        let at = 0;
        // First finish a unit begun in an earlier piece, copying only what it lacks.
        while (carry.length && at < chunk.length) {
          const need = unitBytes(carry) || 4;
          const take = Math.min(need - carry.length, chunk.length - at);
          carry = Buffer.concat([carry, chunk.subarray(at, at + take)]);
          at += take;
          if (carry.length === unitBytes(carry)) {
            const plain = open(carry);
            if (plain) this.push(plain);
            carry = Buffer.alloc(0);
          }
        }
        // Then every whole unit in this piece, in place; a unit cut short waits in `carry`.
        while (at < chunk.length) {
          const rest = chunk.subarray(at);
          const need = unitBytes(rest);
          if (need === 0 || rest.length < need) {
            carry = Buffer.from(rest);
            break;
          }
          const plain = open(rest.subarray(0, need));
          if (plain) this.push(plain);
          at += need;
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      if (!k) return done(new ArchiveCorrupt("truncated: no header"));
      if (ended && carry.length) return done(new ArchiveCorrupt("data after the last chunk"));
      if (!ended || carry.length) return done(new ArchiveCorrupt("truncated: the last chunk is missing"));
      done();
    },
  });
}
