// Faults at start: each gives one line that says what to do, a non-zero exit, and nothing half-written.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, run, startBerth } from "../helpers/berth.js";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "berth-start-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function up(env: NodeJS.ProcessEnv) {
  return run(["up"], { BERTH_PORT: String(await freePort()), ...env });
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe("berth up refuses to start, with one line that says what to do", () => {
  it("when Docker is not reachable, and writes nothing", async () => {
    const dir = join(tempDir(), "data");
    const r = await up({ BERTH_DATA_DIR: dir, DOCKER_HOST: "unix:///tmp/berth-no-docker.sock" });
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toMatch(
      /^error: cannot reach the Docker Engine at unix:\/\/\/tmp\/berth-no-docker.sock .*start dockerd/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("when DATABASE_URL is not a PostgreSQL URL", async () => {
    const r = await up({ BERTH_DATA_DIR: tempDir(), DATABASE_URL: "mysql://root@localhost/db" });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe("error: DATABASE_URL: must be a postgres:// or postgresql:// URL");
  });

  it("when the PostgreSQL server cannot be reached, without printing the password", async () => {
    const port = await freePort();
    const r = await up({
      BERTH_DATA_DIR: tempDir(),
      DATABASE_URL: `postgres://u:s3cret@127.0.0.1:${port}/db`,
    });
    expect(r.code).toBe(5);
    const line = oneLine(r.stderr);
    expect(line).toContain(`cannot connect to DATABASE_URL postgres://u:***@127.0.0.1:${port}/db`);
    expect(line).not.toContain("s3cret");
  });

  it("when the embedded database is corrupt, and leaves it as it was", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "pgdata"));
    writeFileSync(join(dir, "pgdata", "PG_VERSION"), "garbage\n");
    const r = await up({ BERTH_DATA_DIR: dir });
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toMatch(
      /cannot open the embedded database in .*pgdata .*restore the data directory from a backup/,
    );
    expect(readdirSync(join(dir, "pgdata"))).toEqual(["PG_VERSION"]);
    expect(existsSync(join(dir, "berth.pid"))).toBe(false);
  });

  it("when a data directory that was used before has lost its database", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "admin.token"), "berth_x\n", { mode: 0o600 });
    const r = await up({ BERTH_DATA_DIR: dir });
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toContain("was used before but its database (pgdata) is missing");
    expect(existsSync(join(dir, "pgdata"))).toBe(false);
  });

  it("when the data directory cannot be created", async () => {
    const r = await up({ BERTH_DATA_DIR: "/etc/hostname/berth" });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(
      /^error: --data-dir \(BERTH_DATA_DIR\): cannot create \/etc\/hostname\/berth/,
    );
  });

  it("when another control plane already runs on the same data directory", async () => {
    const berth = await startBerth();
    try {
      const r = await run(["up"], { BERTH_DATA_DIR: berth.dataDir, BERTH_PORT: String(await freePort()) });
      expect(r.code).toBe(4);
      expect(oneLine(r.stderr)).toMatch(/already running on .* \(pid \d+\); stop it with 'berth down' first/);
      // ...and the first one is unharmed
      expect((await berth.cli(["ps", "--json"])).code).toBe(0);
    } finally {
      await berth.stop();
    }
  });

  it("when the API port is taken", async () => {
    const berth = await startBerth();
    try {
      const r = await run(["up"], { BERTH_DATA_DIR: tempDir(), BERTH_PORT: String(berth.port) });
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toBe(
        `error: --port (BERTH_PORT): 127.0.0.1:${berth.port} is already in use; choose another port`,
      );
    } finally {
      await berth.stop();
    }
  });
});

describe("berth up", () => {
  it("rejects a bad port with exit 2", async () => {
    const r = await run(["up", "--port", "99999"], { BERTH_DATA_DIR: tempDir() });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe("error: --port (BERTH_PORT): must be between 1 and 65535");
  });

  it("answers /healthz and /readyz once up", async () => {
    const berth = await startBerth();
    try {
      expect(await (await fetch(`${berth.url}/healthz`)).json()).toEqual({ status: "ok" });
      const ready = await fetch(`${berth.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: "ready", checks: { db: "ok", docker: "ok" } });
    } finally {
      await berth.stop();
    }
  });
});
