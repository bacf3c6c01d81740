// Volume backups on the real swarm: a stack with a volume, distinct data written into it, a backup
// (encrypted), the data destroyed, a restore (every file compared by checksum, the service back at
// its replicas), a restore into another stack, a tampered archive refused with the data untouched,
// another organization that sees none of it, bad input refused with nothing created, and no helper
// container ever left behind.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, docker, stackPrefix, startBerth, type TestBerth, until } from "../helpers/berth.js";

const d = docker();
const app = `${stackPrefix("b")}-app`;
const copy = `${stackPrefix("c")}-copy`;
const OTHER = `bk${Date.now().toString(36).slice(-5)}`;
const dir = mkdtempSync(join(tmpdir(), "berth-backup-"));
let b: TestBerth;

const compose = `services:
  web:
    image: local/httpd:1
    volumes:
      - data:/data
volumes:
  data: {}
`;

beforeAll(async () => {
  b = await startBerth({ BERTH_BACKUP_HELPER_IMAGE: "local/httpd:1", BERTH_BACKUP_ENCRYPT: "on" });
}, 120_000);

afterAll(async () => {
  await b?.stop();
});

const volumeOf = (stack: string) => `default_${stack}_data`;

/** Runs a shell script in a throwaway container with the volume at /data; returns its output. */
async function inVolume(volume: string, script: string): Promise<string> {
  const c = await d.createContainer({
    Image: "local/httpd:1",
    Cmd: ["sh", "-c", script],
    Labels: { "berth.test": "backup" },
    HostConfig: { Mounts: [{ Type: "volume", Source: volume, Target: "/data" }] } as any,
  });
  try {
    await c.start();
    const { StatusCode } = await c.wait();
    const out = (await c.logs({ stdout: true, stderr: true })).toString("latin1");
    expect(StatusCode, out).toBe(0);
    return out;
  } finally {
    await c.remove({ force: true });
  }
}

/** Every file's checksum, and every entry's type, mode and link target: the volume's whole state. */
async function fingerprint(volume: string): Promise<string> {
  return inVolume(
    volume,
    "cd /data && find . -type f -exec sha256sum {} + | sort -k2 && find . | sort | while read f; do stat -c '%n %F %a %s' \"$f\"; done && find . -type l -exec readlink {} +",
  );
}

async function helpers(): Promise<number> {
  const all = await d.listContainers({
    all: true,
    filters: { label: [`berth.instance=${b.instance}`, "berth.role=backup-helper"] },
  });
  return all.length;
}

async function service(stack: string): Promise<any> {
  const all: any[] = await (d.listServices as any)({
    filters: { label: [`berth.instance=${b.instance}`, `berth.stack=${stack}`] },
  });
  expect(all).toHaveLength(1);
  return all[0];
}

async function running(stack: string): Promise<number> {
  const { ID } = await service(stack);
  const tasks: any[] = await d.listTasks({ filters: { service: [ID], "desired-state": ["running"] } });
  return tasks.filter((t) => t.Status.State === "running").length;
}

async function deploy(stack: string): Promise<void> {
  writeFileSync(join(dir, "stack.yml"), compose);
  const r = await b.cli(["stack", "deploy", "-c", join(dir, "stack.yml"), "--name", stack]);
  expect(r.code, r.stderr).toBe(0);
  await until(`${stack} running`, async () => ((await running(stack)) === 1 ? true : undefined));
}

let original = "";
let backupId = "";
let location = "";

describe("volume backups", () => {
  it("backs up a stack's volume, encrypted, with its size and sha256, reporting progress", async () => {
    await deploy(app);
    await inVolume(
      volumeOf(app),
      "head -c 3000000 /dev/urandom > /data/big && mkdir -p /data/sub/deep && echo one > /data/sub/.hidden && printf '' > /data/empty && chmod 640 /data/sub/.hidden && ln -s big /data/link",
    );
    original = await fingerprint(volumeOf(app));
    expect(original).toContain("./big");
    const r = await b.cli(["backup", "create", app, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.backups).toHaveLength(1);
    const bk = out.backups[0];
    expect(bk).toMatchObject({
      stack: app,
      volume: "data",
      status: "succeeded",
      encrypted: true,
      reason: null,
    });
    backupId = bk.id;
    location = join(b.dataDir, "backups", bk.location);
    const stored = readFileSync(location);
    expect(stored.length).toBe(bk.sizeBytes);
    expect(createHash("sha256").update(stored).digest("hex")).toBe(bk.sha256);
    expect(stored.subarray(0, 8).toString()).toBe("BERTHAE1");
    expect(stored.includes(Buffer.from("sub/.hidden"))).toBe(false);
    const job = (await b.api("GET", `/api/v1/jobs/${out.jobId}`)).body;
    expect(job.job).toMatchObject({ type: "backup", status: "succeeded", progress: 100 });
    expect(job.logs.map((l: any) => l.message).join("\n")).toMatch(
      /data: [\d.]+ (KiB|MiB) of [\d.]+ (KiB|MiB) \(\d+%\)/,
    );
    const ls = JSON.parse((await b.cli(["backup", "ls", "--stack", app, "--json"])).stdout);
    expect(ls.backups.map((x: any) => x.id)).toEqual([backupId]);
    expect(await running(app)).toBe(1);
    expect(await helpers()).toBe(0);
  });

  it("verifies the archive end to end", async () => {
    const r = await b.cli(["backup", "verify", backupId, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, backup: { status: "succeeded" } });
  });

  it("restores every byte after the data was destroyed, and starts the service again", async () => {
    await inVolume(volumeOf(app), "rm -rf /data/* && echo garbage > /data/big && echo new > /data/extra");
    expect(await fingerprint(volumeOf(app))).not.toBe(original);
    const r = await b.cli(["backup", "restore", backupId, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      stack: app,
      volume: volumeOf(app),
      services: [{ replicas: 1 }],
      job: { status: "succeeded" },
    });
    expect(await fingerprint(volumeOf(app))).toBe(original);
    expect((await service(app)).Spec.Mode.Replicated.Replicas).toBe(1);
    await until("the service running again", async () => ((await running(app)) === 1 ? true : undefined));
    const logs = (await b.api("GET", `/api/v1/jobs/${out.jobId}`)).body.logs.map((l: any) => l.message);
    expect(logs.join("\n")).toMatch(/archive verified[\s\S]*scaled to 0[\s\S]*replacing[\s\S]*scaled to 1/);
    expect(await helpers()).toBe(0);
  });

  it("restores into another stack with --into", async () => {
    await deploy(copy);
    const r = await b.cli(["backup", "restore", backupId, "--into", copy, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await fingerprint(volumeOf(copy))).toBe(original);
    expect(await running(copy)).toBe(1);
  });

  it("refuses a tampered archive before touching anything", async () => {
    await inVolume(volumeOf(app), "echo changed-after-backup > /data/later");
    const before = await fingerprint(volumeOf(app));
    const stored = readFileSync(location);
    stored[Math.floor(stored.length / 2)]! ^= 0x01;
    writeFileSync(location, stored);
    const { ID, Spec } = await service(app);
    const r = await b.cli(["backup", "restore", backupId]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    // The flipped byte fails its chunk's authentication (or the checksum, whichever is read first).
    expect(r.stderr).toMatch(
      /is corrupt: (checksum mismatch|chunk \d+ does not authenticate).*nothing was changed/,
    );
    expect(await fingerprint(volumeOf(app))).toBe(before);
    // Berth touched nothing: the same service with the same spec. (Its version can still move: Swarm
    // records there when an earlier update's monitor window ends.)
    const after = await service(app);
    expect(after.ID).toBe(ID);
    expect(after.Spec).toEqual(Spec);
    expect(await running(app)).toBe(1);
    // Now known corrupt: refused at once, and verify says so too.
    const again = await b.api("POST", `/api/v1/backups/${backupId}/restore`, {});
    expect(again.status).toBe(409);
    const v = await b.cli(["backup", "verify", backupId]);
    expect(v.code).toBe(4);
    const ls = JSON.parse((await b.cli(["backup", "ls", "--json"])).stdout);
    expect(ls.backups.find((x: any) => x.id === backupId)).toMatchObject({ status: "corrupt" });
    expect(await helpers()).toBe(0);
  });

  it("refuses bad input with a 4xx naming the field, creating nothing", async () => {
    const count = async () => (await b.api("GET", "/api/v1/backups")).body.backups.length;
    const n = await count();
    const bad = [
      [{ stack: app, volumes: ["nope"] }, 400, "volumes.0"],
      [{ stack: "Bad_Name" }, 400, "stack"],
      [{ stack: app, volumes: ["../x"] }, 400, "volumes.0"],
      [{ stack: app, extra: 1 }, 400, ""],
      [{ stack: "no-such-stack" }, 404, ""],
    ] as const;
    for (const [body, status, path] of bad) {
      const r = await b.api("POST", "/api/v1/backups", body);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      if (path) expect(r.body.error.details.path).toBe(path);
    }
    expect((await b.api("POST", `/api/v1/backups/${backupId}/restore`, { into: "Nope!" })).status).toBe(400);
    expect((await b.api("GET", "/api/v1/backups/not-a-uuid")).status).toBe(400);
    const cli = await b.cli(["backup", "create", app, "--volume", "nope"]);
    expect(cli.code).toBe(2);
    expect(await count()).toBe(n);
  });

  it("hides backups and stacks of another organization (404)", async () => {
    expect((await b.api("POST", "/api/v1/orgs", { slug: OTHER })).status).toBe(201);
    const t = await b.api("POST", `/api/v1/orgs/${OTHER}/tokens`, { name: "admin", role: "admin" });
    const token = t.body.token;
    const as = (method: string, path: string, body?: unknown) =>
      call(b.url, method, path, { token, ...(body === undefined ? {} : { body }) });
    expect((await as("POST", "/api/v1/backups", { stack: app })).status).toBe(404);
    expect((await as("GET", `/api/v1/backups/${backupId}`)).status).toBe(404);
    expect((await as("POST", `/api/v1/backups/${backupId}/restore`, {})).status).toBe(404);
    expect((await as("POST", `/api/v1/backups/${backupId}/verify`)).status).toBe(404);
    expect((await as("DELETE", `/api/v1/backups/${backupId}`)).status).toBe(404);
    expect((await as("GET", "/api/v1/backups")).body.backups).toEqual([]);
  });

  it("reports a backup that cannot be stored as failed with the reason, the app untouched", async () => {
    // The organization's folder in the store is a file now: the archive cannot be written.
    const orgDir = join(b.dataDir, "backups", "default");
    renameSync(orgDir, `${orgDir}.aside`);
    writeFileSync(orgDir, "not a directory");
    try {
      const { ID, Spec } = await service(app);
      const r = await b.cli(["backup", "create", app, "--json"]);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out.job.status).toBe("failed");
      expect(out.backups[0]).toMatchObject({
        status: "failed",
        reason: expect.stringMatching(/ENOTDIR|EEXIST|not a directory/),
      });
      expect(out.job.error).toContain(out.backups[0].reason);
      const after = await service(app);
      expect(after.ID).toBe(ID);
      expect(after.Spec).toEqual(Spec);
      expect(await running(app)).toBe(1);
      expect(await helpers()).toBe(0);
    } finally {
      rmSync(orgDir, { force: true });
      renameSync(`${orgDir}.aside`, orgDir);
    }
  });

  it("backs up on a cron schedule as a durable job, keeping the newest archive", async () => {
    for (const [body, path] of [
      [{ cron: "not a cron", keepLast: 1 }, "cron"],
      [{ cron: "* * * * *", keepLast: 0 }, "keepLast"],
      [{ cron: "* * * * *", keepLast: 1, timezone: "Mars/Base" }, "timezone"],
    ] as const) {
      const r = await b.api("PUT", `/api/v1/stacks/${app}/backup-schedule`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.details.path).toBe(path);
    }
    expect((await b.api("GET", "/api/v1/backup-schedules")).body.schedules).toEqual([]);
    const manual = JSON.parse((await b.cli(["backup", "create", app, "--json"])).stdout).backups[0];
    expect(manual.status).toBe("succeeded");
    const set = await b.cli([
      "backup",
      "schedule",
      "set",
      app,
      "--cron",
      "* * * * *",
      "--keep-last",
      "1",
      "--json",
    ]);
    expect(set.code, set.stderr).toBe(0);
    const { schedule } = JSON.parse(set.stdout);
    expect(schedule).toMatchObject({ stack: app, cron: "* * * * *", timezone: "UTC", keepLast: 1 });
    expect(schedule.next.length).toBeGreaterThan(0);
    const job = await until(
      "a scheduled backup job to succeed",
      async () => {
        const jobs = (await b.api("GET", "/api/v1/jobs?limit=50")).body.jobs as any[];
        return jobs.find(
          (j) =>
            j.type === "backup" && j.requestedBy === `schedule:${schedule.id}` && j.status === "succeeded",
        );
      },
      150_000,
    );
    const logs = (await b.api("GET", `/api/v1/jobs/${job.id}`)).body.logs
      .map((l: any) => l.message)
      .join("\n");
    expect(logs).toContain(`removed backup ${manual.id}`);
    const good = JSON.parse((await b.cli(["backup", "ls", "--stack", app, "--json"])).stdout).backups.filter(
      (x: any) => x.status === "succeeded",
    );
    expect(good).toHaveLength(1);
    expect(good[0].id).not.toBe(manual.id);
    expect(() => readFileSync(join(b.dataDir, "backups", manual.location))).toThrow();
    // The corrupt archive is not a good one: retention neither counts nor removes it.
    expect((await b.api("GET", `/api/v1/backups/${backupId}`)).body.backup.status).toBe("corrupt");
    const rm = await b.cli(["backup", "schedule", "rm", app]);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await b.api("GET", "/api/v1/backup-schedules")).body.schedules).toEqual([]);
    expect(await helpers()).toBe(0);
  }, 200_000);

  it("removes a backup and its archive", async () => {
    const r = await b.cli(["backup", "rm", backupId, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(() => readFileSync(location)).toThrow();
    expect((await b.api("GET", `/api/v1/backups/${backupId}`)).status).toBe(404);
    expect(await helpers()).toBe(0);
  });
});
