// Backup and restore throughput of one volume (SIZE_MB of random data in a few files), encrypted and
// plain, through Berth (CLI -> API -> job: a helper container's tar on a pipe, sha256, AES-GCM, the
// store; a restore checks the whole archive into a private copy, stops the service, empties and
// refills the volume, starts it again) beside plain `tar` of the same volume directory on the host,
// in the same run. Two figures per operation:
//   - whole: the CLI command, from start to exit;
//   - data: the job's data phases only, from its own log (backup: the archiving; restore: the check
//     plus the extraction, without stopping and starting the service), what moving bytes costs.
// Warm: the data was just written and read (page cache). Cold: the page cache is dropped before each
// timed operation, Berth's and tar's alike, as for data nobody touched lately (needs root; skipped,
// and said so, where /proc/sys/vm/drop_caches cannot be written).
// Two rows do with host tools what Berth must do besides tar: record the archive's sha256 as it is
// written (tar -c | tee | openssl sha256), and check it before extracting (openssl sha256, then tar -x).
// A last row per mode gives the floor under any archive Berth writes: the same number of bytes, already
// in memory, through sha256 (and AES-256-GCM when encrypted) in this process, beside tar -c.
// Usage: tsx bench/backup.ts [SIZE_MB] [ROUNDS]
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import Docker from "dockerode";
import { encryptStream } from "../src/security/archive-crypto.js";
import { benchBerth, ms, now, percentile, table } from "./lib.js";

const SIZE_MB = Number(process.argv[2] ?? 1024);
const ROUNDS = Number(process.argv[3] ?? 2);
const exec = promisify(execFile);
const docker = new Docker();
const dir = mkdtempSync(join(tmpdir(), "berth-bench-backup-"));
type Berth = Awaited<ReturnType<typeof benchBerth>>;

async function fill(volume: string): Promise<void> {
  const per = Math.max(1, Math.floor(SIZE_MB / 4));
  const c = await docker.createContainer({
    Image: "local/httpd:1",
    Cmd: ["sh", "-c", `for i in 1 2 3 4; do head -c ${per}m /dev/urandom > /data/f$i; done`],
    Labels: { "berth.bench": "backup" },
    HostConfig: { Mounts: [{ Type: "volume", Source: volume, Target: "/data" }] } as any,
  });
  try {
    await c.start();
    await c.wait();
  } finally {
    await c.remove({ force: true });
  }
}

async function cli(b: Berth, args: string[]): Promise<any> {
  const r = await b.cli([...args, "--json"]);
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Whether the page cache can be dropped here (root, a writable /proc/sys/vm). */
async function canDrop(): Promise<boolean> {
  try {
    await drop();
    return true;
  } catch {
    return false;
  }
}

async function drop(): Promise<void> {
  await exec("sync");
  writeFileSync("/proc/sys/vm/drop_caches", "3\n");
}

/** Milliseconds between the first log line matching `from` and the next one matching `to`. */
function span(logs: { at: string; message: string }[], from: RegExp, to: RegExp): number {
  const start = logs.findIndex((l) => from.test(l.message));
  const end = logs.findIndex((l, i) => i > start && to.test(l.message));
  if (start < 0 || end < 0) throw new Error(`no ${from} .. ${to} in the job's log`);
  return Date.parse(logs[end]!.at) - Date.parse(logs[start]!.at);
}

async function jobLog(b: Berth, jobId: string) {
  return (await b.api("GET", `/api/v1/jobs/${jobId}`)).body.logs as { at: string; message: string }[];
}

/**
 * The floor under any archive Berth writes: SIZE_MB of bytes already in memory through sha256 alone
 * (plain) or AES-256-GCM sealing then sha256 (encrypted), in this process, no I/O.
 */
async function cryptoFloor(encrypted: boolean): Promise<number> {
  const piece = randomBytes(1 << 20);
  const t0 = now();
  const h = createHash("sha256");
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < SIZE_MB; i++) yield piece;
    })(),
  );
  const sink = new Writable({
    write(c, _e, done) {
      h.update(c);
      done();
    },
  });
  if (encrypted) await pipeline(source, encryptStream(randomBytes(32)), sink);
  else await pipeline(source, sink);
  h.digest();
  return now() - t0;
}

const cold = await canDrop();
/** Whether `openssl` is here for the rows of tar with a checksum (as Berth records and checks one). */
const openssl = await exec("openssl", ["version"]).then(
  () => true,
  () => false,
);
const rows: (string | number)[][] = [
  ["how", "cache", "MB", "whole p50", "MB/s", "vs tar", "data p50", "MB/s", "vs tar"],
];
const caches = cold ? ["warm", "cold"] : ["warm"];
for (const encrypt of ["on", "off"]) {
  const b = await benchBerth({ BERTH_BACKUP_HELPER_IMAGE: "local/httpd:1", BERTH_BACKUP_ENCRYPT: encrypt });
  const stack = `bench-bk${Date.now().toString(36).slice(-4)}`;
  try {
    writeFileSync(
      join(dir, "stack.yml"),
      "services:\n  web:\n    image: local/httpd:1\n    volumes: [data:/data]\nvolumes:\n  data: {}\n",
    );
    await cli(b, ["stack", "deploy", "-c", join(dir, "stack.yml"), "--name", stack]);
    const volume = `default_${stack}_data`;
    await fill(volume);
    const mountpoint = ((await docker.getVolume(volume).inspect()) as any).Mountpoint as string;
    for (const cache of caches) {
      const t = {
        backup: [] as number[],
        restore: [] as number[],
        dataB: [] as number[],
        dataR: [] as number[],
      };
      const tar = { c: [] as number[], x: [] as number[], cs: [] as number[], sx: [] as number[] };
      // Written data is flushed before each timed operation, Berth's and tar's alike: the kernel
      // throttles writers while earlier writes are still being flushed, whoever made them.
      const before = async () => {
        await exec("sync");
        if (cache === "cold") await drop();
      };
      let size = 0;
      for (let i = 0; i < ROUNDS; i++) {
        await before();
        let t0 = now();
        const created = await cli(b, ["backup", "create", stack]);
        t.backup.push(now() - t0);
        const id = created.backups[0].id;
        size = created.backups[0].sizeBytes;
        t.dataB.push(span(await jobLog(b, created.jobId), /^archiving volume/, /^volume data: \d+ bytes/));

        await before();
        t0 = now();
        const restored = await cli(b, ["backup", "restore", id]);
        t.restore.push(now() - t0);
        const logs = await jobLog(b, restored.jobId ?? restored.job.id);
        t.dataR.push(
          span(logs, /^checking backup/, /^archive verified/) +
            span(logs, /^replacing the contents/, /scaled to [1-9]/),
        );

        const archive = join(dir, "plain.tar");
        await before();
        t0 = now();
        await exec("tar", ["-C", mountpoint, "-cf", archive, "."]);
        tar.c.push(now() - t0);
        await before();
        t0 = now();
        await exec("tar", ["-C", mountpoint, "-xf", archive]);
        tar.x.push(now() - t0);
        rmSync(archive);
        if (openssl) {
          await before();
          t0 = now();
          await exec("sh", [
            "-c",
            'tar -C "$1" -cf - . | tee "$2" | openssl dgst -sha256',
            "sh",
            mountpoint,
            archive,
          ]);
          tar.cs.push(now() - t0);
          await before();
          t0 = now();
          await exec("sh", [
            "-c",
            'openssl dgst -sha256 "$2" && tar -C "$1" -xf "$2"',
            "sh",
            mountpoint,
            archive,
          ]);
          tar.sx.push(now() - t0);
          rmSync(archive);
        }
        await cli(b, ["backup", "rm", id]);
      }
      const mb = size / 1e6;
      const rate = (v: number[]) => mb / (percentile(v, 50) / 1000);
      const label = encrypt === "on" ? "encrypted" : "plain";
      const row = (how: string, whole: number[], data: number[], base: number[]) => [
        how,
        cache,
        mb.toFixed(0),
        ms(percentile(whole, 50)),
        rate(whole).toFixed(1),
        `${(rate(whole) / rate(base)).toFixed(2)}x`,
        ms(percentile(data, 50)),
        rate(data).toFixed(1),
        `${(rate(data) / rate(base)).toFixed(2)}x`,
      ];
      const floor = [await cryptoFloor(encrypt === "on"), await cryptoFloor(encrypt === "on")];
      rows.push(
        row(`berth backup create (${label})`, t.backup, t.dataB, tar.c),
        row(`berth backup restore (${label})`, t.restore, t.dataR, tar.x),
        row("tar -c (host, same volume)", tar.c, tar.c, tar.c),
        row("tar -x (host, same volume)", tar.x, tar.x, tar.x),
        ...(openssl
          ? [
              row("tar -c | tee | openssl sha256 (host)", tar.cs, tar.cs, tar.c),
              row("openssl sha256, then tar -x (host)", tar.sx, tar.sx, tar.x),
            ]
          : []),
        row(encrypt === "on" ? "in memory: AES-256-GCM + sha256" : "in memory: sha256", floor, floor, tar.c),
      );
    }
  } finally {
    await b.stop();
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(
  `\none volume of ${SIZE_MB} MB (4 files), ${ROUNDS} rounds; whole: the CLI command (job, checks, service stop and start); data: the job's archiving (backup) or check plus extraction (restore), from its log`,
);
if (!cold) console.log("cold rows skipped: /proc/sys/vm/drop_caches is not writable here (needs root)");
if (!openssl) console.log("rows of tar with a checksum skipped: no openssl here");
console.log("");
console.log(table(rows));
