// Backup and restore throughput of one volume (SIZE_MB of random data in a few files), encrypted and
// plain, through Berth (CLI -> API -> job: helper container, the Engine's archive API, sha256, AES-GCM,
// the store; a restore checks the whole archive, stops the service, empties and refills the volume,
// starts it again) beside plain `tar` of the same volume directory on the host, in the same run.
// Usage: tsx bench/backup.ts [SIZE_MB] [ROUNDS]
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { benchBerth, ms, now, percentile, table } from "./lib.js";

const SIZE_MB = Number(process.argv[2] ?? 256);
const ROUNDS = Number(process.argv[3] ?? 3);
const exec = promisify(execFile);
const docker = new Docker();
const dir = mkdtempSync(join(tmpdir(), "berth-bench-backup-"));

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

async function cli(b: Awaited<ReturnType<typeof benchBerth>>, args: string[]): Promise<any> {
  const r = await b.cli([...args, "--json"]);
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const rows: (string | number)[][] = [["how", "MB", "p50", "MB/s", "vs tar"]];
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
    const times = {
      backup: [] as number[],
      restore: [] as number[],
      tarC: [] as number[],
      tarX: [] as number[],
    };
    let size = 0;
    for (let i = 0; i < ROUNDS; i++) {
      let t = now();
      const created = await cli(b, ["backup", "create", stack]);
      times.backup.push(now() - t);
      const id = created.backups[0].id;
      size = created.backups[0].sizeBytes;

      t = now();
      await cli(b, ["backup", "restore", id]);
      times.restore.push(now() - t);

      const archive = join(dir, "plain.tar");
      t = now();
      await exec("tar", ["-C", mountpoint, "-cf", archive, "."]);
      times.tarC.push(now() - t);
      t = now();
      await exec("tar", ["-C", mountpoint, "-xf", archive]);
      times.tarX.push(now() - t);
      rmSync(archive);
      await cli(b, ["backup", "rm", id]);
    }
    const mb = size / 1e6;
    const rate = (v: number[]) => mb / (percentile(v, 50) / 1000);
    const label = encrypt === "on" ? "encrypted" : "plain";
    rows.push(
      [
        `berth backup create (${label})`,
        mb.toFixed(0),
        ms(percentile(times.backup, 50)),
        rate(times.backup).toFixed(1),
        `${(rate(times.backup) / rate(times.tarC)).toFixed(2)}x`,
      ],
      [
        `berth backup restore (${label})`,
        mb.toFixed(0),
        ms(percentile(times.restore, 50)),
        rate(times.restore).toFixed(1),
        `${(rate(times.restore) / rate(times.tarX)).toFixed(2)}x`,
      ],
      [
        "tar -c (host, same volume)",
        mb.toFixed(0),
        ms(percentile(times.tarC, 50)),
        rate(times.tarC).toFixed(1),
        "1.00x",
      ],
      [
        "tar -x (host, same volume)",
        mb.toFixed(0),
        ms(percentile(times.tarX, 50)),
        rate(times.tarX).toFixed(1),
        "1.00x",
      ],
    );
  } finally {
    await b.stop();
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(
  `\none volume of ${SIZE_MB} MB (4 files), ${ROUNDS} rounds; Berth's times are whole CLI commands (job, checks, service stop and start)\n`,
);
console.log(table(rows));
