// requestBuild with a fake job queue and a temporary builds directory: what is stored and queued,
// and what is refused before anything is.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pack } from "tar-stream";
import { afterAll, describe, expect, it } from "vitest";
import { parseBuildOptions } from "../config/build.js";
import { DEFAULT_HOST_PORT_RANGE } from "../config/defaults.js";
import type { EnqueueRequest } from "../jobs/queue.js";
import { requestBuild } from "./build.js";
import type { Platform } from "./platform.js";

const dir = mkdtempSync(join(tmpdir(), "berth-builds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakePlatform(maxContextBytes = 1 << 20) {
  const queued: EnqueueRequest[] = [];
  const p = {
    hostPortRange: DEFAULT_HOST_PORT_RANGE,
    dataDir: "/var/lib/berth",
    backups: { dir: "/var/lib/berth/backups" },
    builds: { dir, keep: 5, maxContextBytes },
    jobs: { enqueue: async (req: EnqueueRequest) => void queued.push(req) },
  } as unknown as Platform;
  return { p, queued };
}

async function tarOf(files: Record<string, string>): Promise<Readable> {
  const t = pack();
  for (const [name, content] of Object.entries(files)) t.entry({ name }, content);
  t.finalize();
  return t as unknown as Readable;
}

const base = { org: "acme", orgId: "o1", policy: {}, requestedBy: "user:a", correlationId: "c1" };

describe("requestBuild", () => {
  it("stores the context and queues a build job with a timestamped tag; build arg values stay in the payload only", async () => {
    const { p, queued } = fakePlatform();
    const r = await requestBuild(p, {
      ...base,
      deployment: { name: "web", port: 8080 },
      options: parseBuildOptions({ buildArg: "TOKEN=s3cret" }),
      context: await tarOf({ Dockerfile: "FROM x", "app.js": "1" }),
    });
    expect(r.image).toMatch(/^acme\/web-web:\d{14}$/);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ id: r.jobId, type: "build", orgId: "o1", target: "web" });
    expect(queued[0]!.payload).toMatchObject({ tag: r.image, service: "web", org: "acme" });
    expect(readdirSync(join(dir, "acme"))).toContain(`${r.jobId}.tar`);
  });

  it.each([
    [{ name: "web", port: 8080, image: "x:1" }, { Dockerfile: "FROM x" }, "image"],
    [{ name: "web", port: 8080, services: [] }, { Dockerfile: "FROM x" }, "services"],
    [{ name: "Bad Name", port: 8080 }, { Dockerfile: "FROM x" }, "name"],
    [{ name: "web", port: 8080 }, { "app.js": "1" }, "dockerfile"],
  ])("refuses %j (context %j) naming %s, queueing nothing", async (deployment, files, field) => {
    const { p, queued } = fakePlatform();
    const before = readdirSync(dir, { recursive: true }).length;
    await expect(
      requestBuild(p, { ...base, deployment, options: parseBuildOptions({}), context: await tarOf(files) }),
    ).rejects.toThrow(field);
    expect(queued).toHaveLength(0);
    expect(readdirSync(dir, { recursive: true }).length).toBe(before);
  });

  it("refuses a context larger than the limit (read to its end), and something that is not a tar", async () => {
    const { p, queued } = fakePlatform(1024);
    await expect(
      requestBuild(p, {
        ...base,
        deployment: { name: "web", port: 8080 },
        options: parseBuildOptions({}),
        context: await tarOf({ Dockerfile: "FROM x", big: "x".repeat(4096) }),
      }),
    ).rejects.toThrow("context: is larger than");
    await expect(
      requestBuild(fakePlatform().p, {
        ...base,
        deployment: { name: "web", port: 8080 },
        options: parseBuildOptions({}),
        context: Readable.from([Buffer.from("not a tar at all, just some text that is long enough")]),
      }),
    ).rejects.toThrow("context: is not a tar");
    expect(queued).toHaveLength(0);
  });
});
