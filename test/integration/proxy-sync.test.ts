// The proxy sync's bookkeeping of routes, on a real database (PGlite) with a proxy that refuses what
// the test says (a fake ProxyAdmin, one function per method): a route the proxy refuses is left out
// and its own add removes it, other new routes still go live, a refusal that is not the new routes'
// fault keeps the old table, and a shutdown leaves the routes waiting for the next attempt.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCertificateBook } from "../../src/apply/certificates.js";
import type { Platform } from "../../src/apply/platform.js";
import { keepOrUndo, pushRoutingTable, unlessCovered } from "../../src/apply/proxy.js";
import { queueProxySync } from "../../src/apply/proxy-queue.js";
import { DeployFailed } from "../../src/domain/errors.js";
import { type ProxyAdmin, ProxyRefused } from "../../src/engine/proxy-admin.js";
import type { JobContext } from "../../src/jobs/queue.js";
import { activeRoutes, insertDomain, listDomains } from "../../src/store/domains.js";
import { getJobById, insertJob, type JobRow, markJobRunning } from "../../src/store/jobs.js";
import { domains } from "../../src/store/schema.js";
import { createDeployment, ensureOrg } from "../../src/store/stacks.js";
import { freshPglite, type TestDatabase } from "../helpers/databases.js";

let tdb: TestDatabase;
let dir: string;
let orgId: string;
let stackId: string;
let loaded: unknown[];
let refuses: (config: string) => string | undefined;

/** The hosts the config routes (routes sharing an upstream share one host list). */
const hostsOf = (config: unknown) =>
  [...JSON.stringify(config).matchAll(/"host":(\[[^\]]*\])/g)].flatMap((m) => JSON.parse(m[1]!) as string[]);

function platform(): Platform {
  const admin: ProxyAdmin = {
    current: async () => loaded.at(-1) ?? null,
    load: async (config) => {
      const why = refuses(JSON.stringify(config));
      if (why) throw new ProxyRefused(`the proxy refused the config: ${why}`);
      loaded.push(config);
    },
    internalRoot: async () => "",
    servedCertificate: async () => {
      throw new Error("no TLS here");
    },
  };
  return {
    db: tdb.database.db,
    proxyAdmin: admin,
    proxy: { socketDir: dir, acme: {}, adminWaitMs: 1000 },
    certificates: createCertificateBook({ refreshMs: 60_000, retryMs: 1000 }),
    log: pino({ level: "silent" }),
    jobs: {
      enqueue: async (j: Omit<Parameters<typeof insertJob>[1], "id">) =>
        insertJob(tdb.database.db, { id: randomUUID(), ...j }),
    },
  } as unknown as Platform;
}

function context(routes: string[], aborted = false): JobContext & { lines: string[] } {
  const lines: string[] = [];
  const abort = new AbortController();
  if (aborted) abort.abort();
  return {
    job: { payload: { routes }, requestedBy: "t", correlationId: "c" },
    attempt: 1,
    log: pino({ level: "silent" }),
    say: async (m: string) => {
      lines.push(m);
    },
    progress: async () => {},
    throwIfCancelled: async () => {},
    signal: abort.signal,
    lines,
  } as unknown as JobContext & { lines: string[] };
}

const route = (hostname: string, status: "pending" | "active") =>
  insertDomain(tdb.database.db, {
    orgId,
    stackId,
    hostname,
    pathPrefix: "",
    service: "web",
    port: 8080,
    tls: "off",
    httpsRedirect: false,
    status,
  });

const states = async () =>
  Object.fromEntries((await listDomains(tdb.database.db, orgId)).map((d) => [d.hostname, d.status]));

beforeAll(async () => {
  tdb = await freshPglite();
  dir = mkdtempSync(join(tmpdir(), "berth-sync-"));
  orgId = await ensureOrg(tdb.database.db, "acme");
  const { stack } = await createDeployment(tdb.database.db, {
    id: randomUUID(),
    orgId,
    namespace: "acme_web",
    model: { org: "acme", name: "web", services: [] },
    requestedBy: "t",
  });
  stackId = stack.id;
});

beforeEach(async () => {
  await tdb.database.db.delete(domains);
  loaded = [];
  refuses = () => undefined;
});

afterAll(async () => {
  await tdb.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("proxy sync", () => {
  it("new routes the proxy takes become active in one load", async () => {
    await route("old.test", "active");
    const a = await route("new.test", "pending");
    const p = platform();
    const ctx = context([a.id]);
    await keepOrUndo(p, ctx, async () => {
      await pushRoutingTable(p, ctx, await activeRoutes(p.db));
    });
    expect(await states()).toEqual({ "new.test": "active", "old.test": "active" });
    expect(loaded).toHaveLength(1);
    expect(hostsOf(loaded[0])).toEqual(["new.test", "old.test"]);
  });

  it("a refused new route is left out, the others go live, and its own add removes it and fails", async () => {
    await route("old.test", "active");
    const other = await route("other.test", "pending");
    const bad = await route("bad.test", "pending");
    refuses = (c) => (c.includes("bad.test") ? "bad.test: not today" : undefined);
    const p = platform();
    const ctx = context([bad.id]);
    const run = keepOrUndo(p, ctx, async () => {
      await pushRoutingTable(p, ctx, await activeRoutes(p.db));
    });
    await expect(run).rejects.toThrow(DeployFailed);
    await expect(run).rejects.toThrow(
      /^bad\.test: the proxy refused the config: bad\.test: not today; the route was not kept$/,
    );
    // Stored no more; the other job's route is live; the proxy serves the old table plus it.
    expect(await states()).toEqual({ "old.test": "active", "other.test": "active" });
    expect(hostsOf(loaded.at(-1))).toEqual(["old.test", "other.test"]);
    expect(other.id).toBeDefined();
  });

  it("another job's refused route is only marked failed, left out of every config, for its own job", async () => {
    await route("old.test", "active");
    await route("bad.test", "pending");
    refuses = (c) => (c.includes("bad.test") ? "nope" : undefined);
    const p = platform();
    const ctx = context([]);
    await keepOrUndo(p, ctx, async () => {
      await pushRoutingTable(p, ctx, await activeRoutes(p.db));
    });
    expect(await states()).toEqual({ "bad.test": "failed", "old.test": "active" });
    expect((await activeRoutes(p.db)).map((r) => r.hostname)).toEqual(["old.test"]);
    const [failed] = (await listDomains(p.db, orgId)).filter((d) => d.status === "failed");
    expect(failed!.error).toMatch(/nope/);
  });

  it("a refusal that is not the new routes' fault keeps the old table; the add is undone", async () => {
    await route("old.test", "active");
    const fresh = await route("new.test", "pending");
    refuses = () => "the proxy is broken";
    const p = platform();
    const ctx = context([fresh.id]);
    await expect(
      keepOrUndo(p, ctx, async () => {
        await pushRoutingTable(p, ctx, await activeRoutes(p.db));
      }),
    ).rejects.toThrow(
      /^new\.test: the proxy refused the config: the proxy is broken; the route was not kept$/,
    );
    expect(await states()).toEqual({ "old.test": "active" });
    expect(loaded).toEqual([]);
  });

  it("a shutdown leaves the routes waiting for the job's next attempt", async () => {
    const fresh = await route("new.test", "pending");
    const p = platform();
    const ctx = context([fresh.id], true);
    await expect(
      keepOrUndo(p, ctx, async () => {
        throw new Error("interrupted");
      }),
    ).rejects.toThrow("interrupted");
    expect(await states()).toEqual({ "new.test": "pending" });
  });

  it("coalesces: a job queued before a sync started that loaded the table makes no load of its own", async () => {
    const queue = async () => {
      const job = await insertJob(tdb.database.db, {
        id: randomUUID(),
        orgId,
        type: "proxy-sync",
        target: "proxy",
        payload: {},
        correlationId: "c",
        requestedBy: "t",
      });
      await new Promise((r) => setTimeout(r, 5));
      return job;
    };
    const start = async (job: JobRow) => {
      await markJobRunning(tdb.database.db, job.id, 1);
      await new Promise((r) => setTimeout(r, 5));
      return { ...context([]), job } as JobContext & { lines: string[] };
    };
    const p = platform();
    let loads = 0;
    const load = async () => {
      loads++;
    };
    const early = await queue();
    const first = await queue();
    await unlessCovered(p, await start(first), load);
    expect(loads).toBe(1);
    // Queued before `first` started: `first` read the table with its change.
    const earlyCtx = await start(early);
    await unlessCovered(p, earlyCtx, load);
    expect(loads).toBe(1);
    expect(earlyCtx.lines.join("\n")).toMatch(/a sync started after this change .* loaded the table with it/);
    // Queued after: it loads. A sync that failed covers nothing.
    const late = await queue();
    const broken = await queue();
    await expect(
      unlessCovered(p, await start(broken), async () => {
        throw new Error("the proxy is broken");
      }),
    ).rejects.toThrow("the proxy is broken");
    await unlessCovered(p, await start(late), load);
    expect(loads).toBe(2);
  });

  it("a change queued while an older sync waits gets a job of its own, which loads it", async () => {
    const p = platform();
    const queue = async (org: string | null = null) => {
      const q = await queueProxySync(p, { orgId: org, correlationId: "c", requestedBy: "t" });
      await new Promise((r) => setTimeout(r, 5));
      return (await getJobById(tdb.database.db, q.id))!;
    };
    const start = async (job: JobRow) => {
      await markJobRunning(tdb.database.db, job.id, 1);
      await new Promise((r) => setTimeout(r, 5));
      return { ...context([]), job } as JobContext & { lines: string[] };
    };
    let loads = 0;
    const load = async () => {
      loads++;
    };
    // Berth's own sync waits (a retry, say) while an organization's later one starts and loads.
    const waiting = await queue();
    await unlessCovered(p, await start(await queue(orgId)), load);
    expect(loads).toBe(1);
    // A platform admin's change (no organization) now: its job is not the waiting one, and it loads.
    const change = await queue();
    expect(change.id).not.toBe(waiting.id);
    await unlessCovered(p, await start(change), load);
    expect(loads).toBe(2);
  });
});
