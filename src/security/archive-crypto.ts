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
/**
 * Plaintext per chunk written. A cipher per chunk has a fixed cost: at 64 KiB chunks (archives
 * before this size was raised, still opened) AES-256-GCM ran at about a third of its speed on
 * 1 MiB chunks here.
 */
export const CHUNK_BYTES = 1024 * 1024;
/** The largest chunk an archive may declare (a bound on what one chunk holds in memory). */
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

export class ArchiveCorrupt extends Error {}

function archiveKey(key: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", key, salt, "berth-backup-v1", 32));
}

function nonce(counter: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(counter), 4);
  return n;
}

/** Seals a plaintext stream under `key` (32 bytes), `chunkBytes` of plaintext per chunk. */
export function encryptStream(key: Buffer, chunkBytes = CHUNK_BYTES): Transform {
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new RangeError("chunkBytes out of range");
  const salt = randomBytes(SALT_BYTES);
  const k = archiveKey(key, salt);
  let counter = 0;
  // Up to one chunk of plaintext not sealed yet, as the pieces it came in: the last chunk must be
  // sealed as the last, so a full one waits until more data comes. Pieces are never joined; the
  // cipher takes them one after another.
  let held: Buffer[] = [];
  let heldBytes = 0;
  let headerSent = false;
  const seal = (push: (b: Buffer) => void, last: boolean) => {
    const word = Buffer.allocUnsafe(4);
    word.writeUInt32BE((last ? LAST : 0) + heldBytes);
    const c = createCipheriv("aes-256-gcm", k, nonce(counter++));
    c.setAAD(word);
    push(word);
    for (const piece of held) push(c.update(piece));
    c.final();
    push(c.getAuthTag());
    held = [];
    heldBytes = 0;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const push = (b: Buffer) => this.push(b);
      if (!headerSent) {
        push(Buffer.concat([MAGIC, salt]));
        headerSent = true;
      }
      let at = 0;
      while (at < chunk.length) {
        if (heldBytes === chunkBytes) seal(push, false);
        const take = Math.min(chunkBytes - heldBytes, chunk.length - at);
        held.push(chunk.subarray(at, at + take));
        heldBytes += take;
        at += take;
      }
      done();
    },
    flush(done: TransformCallback) {
      const push = (b: Buffer) => this.push(b);
      if (!headerSent) push(Buffer.concat([MAGIC, salt]));
      seal(push, true);
      done();
    },
  });
}

/** Opens what encryptStream sealed; fails with ArchiveCorrupt on any change, reorder or truncation. */
export function decryptStream(key: Buffer): Transform {
  // The unit (header or chunk) being read, as the pieces it came in: a chunk is opened as a stream
  // of those pieces, never joined. `need` is its whole size once its length word is in.
  let pieces: Buffer[] = [];
  let have = 0;
  let need = HEADER_BYTES;
  let k: Buffer | undefined;
  let counter = 0;
  let ended = false;
  /** The first `n` bytes of the pieces, joined (the header, a length word, a tag: all small). */
  const head = (n: number): Buffer => Buffer.concat(pieces, Math.min(n, have));
  /** Opens the whole unit in `pieces`; pushes its plaintext. */
  const open = (push: (b: Buffer) => void) => {
    if (!k) {
      const header = head(HEADER_BYTES);
      if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
        throw new ArchiveCorrupt("not an encrypted Berth archive (bad header)");
      }
      k = archiveKey(key, header.subarray(MAGIC.length));
      return;
    }
    if (ended) throw new ArchiveCorrupt("data after the last chunk");
    const word = head(4);
    const length = word.readUInt32BE(0) & 0x7fff_ffff;
    const d = createDecipheriv("aes-256-gcm", k, nonce(counter++));
    d.setAAD(word);
    d.setAuthTag(lastBytes(pieces, TAG_BYTES)); // the unit's last 16 bytes, which may span pieces
    const out: Buffer[] = [];
    try {
      let at = 0; // offset of the current piece in the unit
      for (const piece of pieces) {
        const from = Math.max(0, 4 - at);
        const to = Math.min(piece.length, 4 + length - at);
        if (to > from) out.push(d.update(piece.subarray(from, to)));
        at += piece.length;
      }
      d.final();
    } catch {
      throw new ArchiveCorrupt(`chunk ${counter - 1} does not authenticate (wrong key or altered)`);
    }
    if ((word.readUInt32BE(0) & LAST) !== 0) ended = true;
    for (const b of out) if (b.length) push(b);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const push = (b: Buffer) => this.push(b);
      try {
        let at = 0;
        while (at < chunk.length) {
          if (ended) throw new ArchiveCorrupt("data after the last chunk");
          const want = (need || 4) - have;
          const take = Math.min(want, chunk.length - at);
          pieces.push(chunk.subarray(at, at + take));
          have += take;
          at += take;
          if (need === 0 && have >= 4) need = chunkUnitBytes(head(4));
          if (need && have === need) {
            open(push);
            pieces = [];
            have = 0;
            need = 0;
          }
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      if (!k) return done(new ArchiveCorrupt("truncated: no header"));
      if (ended && have) return done(new ArchiveCorrupt("data after the last chunk"));
      if (!ended || have) return done(new ArchiveCorrupt("truncated: the last chunk is missing"));
      done();
    },
  });
}

/** A chunk's whole size from its length word. */
function chunkUnitBytes(word: Buffer): number {
  const length = word.readUInt32BE(0) & 0x7fff_ffff;
  if (length > MAX_CHUNK_BYTES) throw new ArchiveCorrupt("chunk length out of range");
  return 4 + length + TAG_BYTES;
}

/** The last `n` bytes of a unit held as pieces. */
function lastBytes(pieces: Buffer[], n: number): Buffer {
  const parts: Buffer[] = [];
  let got = 0;
  for (let i = pieces.length - 1; i >= 0 && got < n; i--) {
    const piece = pieces[i]!;
    const take = Math.min(n - got, piece.length);
    parts.unshift(piece.subarray(piece.length - take));
    got += take;
  }
  return Buffer.concat(parts);
}
