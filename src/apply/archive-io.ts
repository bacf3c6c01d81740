// Streaming archives into and out of the backup store: every byte passes through sha256 (of the
// stored file) and, when enabled, chunked AES-256-GCM; nothing is held whole in memory. A file is
// written beside its final name and renamed once complete, so the store never shows half an archive.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, link, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { PassThrough, Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ArchiveCorrupt, decryptStream, encryptStream } from "../security/archive-crypto.js";

export interface BackupSettings {
  /** The backup store's root (`BERTH_BACKUP_DIR`): a path every node can reach. */
  dir: string;
  /** A private local directory where a restore keeps the verified copy it extracts from. */
  stagingDir: string;
  /** Whether new archives are encrypted. */
  encrypt: boolean;
  /** The image of the helper container that empties a volume before a restore. */
  helperImage: string;
  /** The backup key (32 bytes), kept sealed under the master key in the database. */
  key: Buffer;
}

/** Reads and writes in this size: a pipe's 64 KiB pieces cost more per byte in every stage. */
const PIECE_BYTES = 1 << 20;
/** What each stage may hold, so reading, sealing and writing overlap instead of taking turns. */
const BUFFER_BYTES = 4 * PIECE_BYTES;

/** Passes data on in pieces of at least `size` bytes (the last may be smaller). */
function coalesce(size: number): Transform {
  let parts: Buffer[] = [];
  let held = 0;
  return new Transform({
    highWaterMark: BUFFER_BYTES,
    transform(chunk: Buffer, _e, done) {
      parts.push(chunk);
      held += chunk.length;
      if (held >= size) {
        this.push(parts.length === 1 ? parts[0] : Buffer.concat(parts, held));
        parts = [];
        held = 0;
      }
      done();
    },
    flush(done) {
      if (held) this.push(Buffer.concat(parts, held));
      done();
    },
  });
}

/** Counts bytes as they pass; `onBytes` gets the running total. */
function meter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    highWaterMark: BUFFER_BYTES,
    transform(chunk: Buffer, _e, done) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
}

/** Hashes what passes; at the end, checks it against `expect` (when given) or reports it. */
function hashTap(o: { expect?: string; onDigest?: (hex: string, size: number) => void }): Transform {
  const h = createHash("sha256");
  let size = 0;
  return new Transform({
    highWaterMark: BUFFER_BYTES,
    transform(chunk: Buffer, _e, done) {
      h.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      const hex = h.digest("hex");
      o.onDigest?.(hex, size);
      if (o.expect !== undefined && hex !== o.expect) {
        return done(new ArchiveCorrupt(`checksum mismatch: sha256 ${hex}, recorded ${o.expect}`));
      }
      done();
    },
  });
}

/** Writes `source` to `path` (sealed when `key` is given); returns the stored file's sha256 and size. */
export async function writeArchive(
  source: Readable,
  o: { path: string; key?: Buffer; onBytes: (read: number) => void },
): Promise<{ sha256: string; sizeBytes: number }> {
  const partial = `${o.path}.partial`;
  let result = { sha256: "", sizeBytes: 0 };
  try {
    await mkdir(dirname(o.path), { recursive: true, mode: 0o700 });
    await pipeline(
      source,
      coalesce(PIECE_BYTES),
      meter(o.onBytes),
      o.key ? encryptStream(o.key) : new PassThrough(),
      hashTap({ onDigest: (sha256, sizeBytes) => (result = { sha256, sizeBytes }) }),
      createWriteStream(partial, { mode: 0o600, highWaterMark: BUFFER_BYTES }),
    );
    await rename(partial, o.path);
    return result;
  } catch (err) {
    // A source left unread can hold its producer (the Engine keeps the helper locked meanwhile).
    source.destroy();
    await rm(partial, { force: true }).catch(() => {});
    throw err;
  }
}

/**
 * Hashes `source`, the bytes of the plain archive `from` (in the store) as they are written, then
 * puts that file in place at `path` without copying it; returns its sha256 and size.
 */
export async function adoptArchive(
  source: Readable,
  o: { from: string; path: string; onBytes: (read: number) => void },
): Promise<{ sha256: string; sizeBytes: number }> {
  let result = { sha256: "", sizeBytes: 0 };
  try {
    await pipeline(
      source,
      meter(o.onBytes),
      hashTap({ onDigest: (sha256, sizeBytes) => (result = { sha256, sizeBytes }) }),
      new Writable({ highWaterMark: BUFFER_BYTES, write: (_c, _e, done) => done() }),
    );
    await mkdir(dirname(o.path), { recursive: true, mode: 0o700 });
    await chmod(o.from, 0o600);
    await rename(o.from, o.path);
    return result;
  } catch (err) {
    source.destroy();
    throw err;
  }
}

/**
 * The file at `path` read as another process writes it, until `ended` says the writer is done (then
 * to its last byte) or failed (then with its error). The file must exist already.
 */
export function growingFile(path: string, ended: Promise<void>): Readable {
  let done = false;
  let failure: Error | undefined;
  const settled = ended.then(
    () => {
      done = true;
    },
    (err: Error) => {
      done = true;
      failure = err;
    },
  );
  async function* pieces() {
    const file = await open(path, "r");
    try {
      let at = 0;
      let buffer = Buffer.allocUnsafe(PIECE_BYTES);
      for (;;) {
        // Taken before the read: a read that finds nothing after the writer ended is the end.
        const last = done;
        const { bytesRead } = await file.read(buffer, 0, PIECE_BYTES, at);
        if (bytesRead > 0) {
          at += bytesRead;
          yield buffer.subarray(0, bytesRead);
          buffer = Buffer.allocUnsafe(PIECE_BYTES);
        } else if (last) {
          if (failure) throw failure;
          return;
        } else {
          await Promise.race([settled, new Promise((r) => setTimeout(r, GROW_WAIT_MS))]);
        }
      }
    } finally {
      await file.close();
    }
  }
  return Readable.from(pieces(), { objectMode: false, highWaterMark: BUFFER_BYTES });
}

/** How long a reader that caught up with a growing file waits before it looks again. */
const GROW_WAIT_MS = 5;

/**
 * A whole file's bytes, the next piece read while the one before is used (hashed, opened): a
 * quarter faster than fs.createReadStream, which reads only once asked.
 */
function fileSource(path: string): Readable {
  async function* pieces() {
    const file = await open(path, "r");
    const read = () => file.read(Buffer.allocUnsafe(PIECE_BYTES), 0, PIECE_BYTES, null);
    let next = read();
    try {
      for (;;) {
        const { bytesRead, buffer } = await next;
        if (bytesRead === 0) return;
        next = read();
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      // A reader that stopped early leaves a read in flight: it ends before the file is closed.
      await next.catch(() => {});
      await file.close();
    }
  }
  return Readable.from(pieces(), { objectMode: false, highWaterMark: BUFFER_BYTES });
}

/**
 * Reads the archive at `path` end to end: its sha256 must be `sha256`, and when `key` is given every
 * chunk must decrypt. The plaintext goes to `sink` (or nowhere); with `plainTo`, to that file (made
 * owner-only). Throws ArchiveCorrupt when not.
 */
export async function readArchive(o: {
  path: string;
  sha256: string;
  key?: Buffer;
  sink?: Writable;
  plainTo?: string;
  onBytes: (read: number) => void;
}): Promise<void> {
  let from = o.path;
  let sink = o.sink;
  if (o.plainTo) {
    await mkdir(dirname(o.plainTo), { recursive: true, mode: 0o700 });
    await rm(o.plainTo, { force: true });
    if (!o.key && (await linked(o.path, o.plainTo))) from = o.plainTo;
    else sink = createWriteStream(o.plainTo, { mode: 0o600, highWaterMark: BUFFER_BYTES });
  }
  const stages: NodeJS.ReadWriteStream[] = [meter(o.onBytes), hashTap({ expect: o.sha256 })];
  if (o.key) stages.push(decryptStream(o.key));
  try {
    await pipeline(
      fileSource(from),
      ...(stages as [NodeJS.ReadWriteStream]),
      sink ?? new Writable({ write: (_c, _e, done) => done() }),
    );
  } catch (err) {
    if (o.plainTo) await rm(o.plainTo, { force: true }).catch(() => {});
    throw err;
  }
}

/**
 * A plain archive's copy is a second name for the stored file where both are on one filesystem (the
 * default: the store and the staging directory under Berth's data directory), checked through that
 * name: no bytes written. The store's file being replaced or removed meanwhile leaves it as checked;
 * only a write into the file itself (root on this node: the store is owner-only) could reach it.
 * False where a link cannot be made (another filesystem, a store that has none): then it is copied.
 */
async function linked(path: string, to: string): Promise<boolean> {
  try {
    await link(path, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw err;
    return false;
  }
}

/** A checked plaintext copy (readArchive's `plainTo`) read back, counting bytes as they pass. */
export function readStaged(path: string, onBytes: (read: number) => void): Readable {
  return fileSource(path).pipe(meter(onBytes));
}

/** The size of a stored archive, or undefined when its file is gone. */
export async function archiveSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

export { ArchiveCorrupt };
