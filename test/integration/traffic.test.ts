// Updates under steady traffic through the proxy: 200 requests a second go to a 2-replica app at its
// domain for the whole run, while it is updated 20 times in a row, then given a version whose health
// check never passes and one that crashes at start. Every request must get its 2xx (zero lost), the
// failed versions are rolled back by Berth itself, and `berth history` says why.
//
// Lean on purpose: a 1 s health interval and a 1 s monitor window keep each update to a few seconds.
// The app's health check is Berth's port check, so the version that listens on another port fails it.

import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { portCheckScript } from "../../src/plan/healthcheck.js";
import { freePort, startBerth, type TestBerth, until } from "../helpers/berth.js";
import { type LoadReport, steadyLoad } from "../helpers/load.js";

const tag = Date.now().toString(36).slice(-4);
const ORG = `tl${tag}`;
const HOST = `live-${tag}.test`;
const UPDATES = 20;
let b: TestBerth;
let httpPort: number;
const dir = mkdtempSync(join(tmpdir(), "berth-traffic-"));
const file = join(dir, "stack.yml");

/** The app at `version`; `broken` gives a version that listens where its check does not look, or exits. */
function writeStack(version: string, broken?: "health" | "crash") {
  writeFileSync(
    file,
    [
      "services:",
      "  app:",
      "    image: local/berth-demo:1",
      `    environment: { APP_VERSION: "${version}"${broken === "health" ? ', PORT: "9999"' : ""} }`,
      ...(broken === "crash" ? ['    command: ["node", "-e", "process.exit(3)"]'] : []),
      "    healthcheck:",
      // Berth's port check (shell builtins): cheap enough to run every second on a busy machine.
      `      test: ${JSON.stringify(["CMD-SHELL", portCheckScript(8080).replaceAll("$", () => "$$")])}`,
      "      interval: 1s",
      "      timeout: 2s",
      "      retries: 2",
      "    stop_grace_period: 5s",
      "    deploy:",
      "      replicas: 2",
      "      update_config: { parallelism: 1, delay: 0s, order: start-first, monitor: 1s, failure_action: rollback }",
      "    x-berth-domains:",
      `      - { host: ${HOST}, port: 8080, tls: "off" }`,
      "",
    ].join("\n"),
  );
}

const deploy = () => b.cli(["--org", ORG, "stack", "deploy", "-c", file, "--name", "app", "--json"]);

beforeAll(async () => {
  httpPort = await freePort();
  b = await startBerth({
    BERTH_HTTP_PORT: String(httpPort),
    BERTH_HTTPS_PORT: String(await freePort()),
    BERTH_PROXY_IMAGE: "local/caddy:2",
    BERTH_ROLLOUT_TIMEOUT: "60",
  });
  expect((await b.api("POST", "/api/v1/orgs", { slug: ORG })).status).toBe(201);
  writeStack("1");
  const first = await deploy();
  expect(first.code, first.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await b?.stop();
});

describe("updates under steady traffic through the proxy", () => {
  it(`${UPDATES} rolling updates, a failing health check and a crash at start lose no request`, async () => {
    const load = steadyLoad({
      port: httpPort,
      host: HOST,
      perSecond: 200,
      label: (body) => String(JSON.parse(body).version),
    });
    await until("the first version to answer under load", async () => (await peek()) === "1", 30_000);
    let stopped: Promise<LoadReport> | undefined;
    const stopLoad = () => {
      stopped ??= load.stop();
      return stopped;
    };
    onTestFinished(async () => {
      const r = await stopLoad();
      console.log(
        `traffic: ${r.sent} requests in ${r.seconds.toFixed(0)} s, ${r.lost} lost (${r.failures.slice(0, 5).join("; ")}), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
      );
    });
    const timings: number[] = [];
    // An update the Engine itself fails (Docker 20.10 sometimes loses a task's network sandbox on a
    // busy machine) is rolled back by Swarm like any other: that is printed, and the version deployed
    // again. Requests must not be lost either way.
    const engineFaults: string[] = [];
    for (let v = 2; v <= UPDATES + 1; v++) {
      writeStack(String(v));
      for (let attempt = 1; ; attempt++) {
        const t0 = Date.now();
        const r = await deploy();
        timings.push(Date.now() - t0);
        if (r.code === 0) break;
        engineFaults.push(`version ${v}, attempt ${attempt}: ${r.stderr.trim()}`);
        expect(attempt, engineFaults.join("\n")).toBeLessThan(4);
      }
    }
    if (engineFaults.length) console.log(`updates deployed again after a fault:\n${engineFaults.join("\n")}`);
    const live = String(UPDATES + 1);
    for (const broken of ["health", "crash"] as const) {
      writeStack(`${broken}`, broken);
      const r = await deploy();
      expect(r.code, `${broken}: ${r.stdout}${r.stderr}`).not.toBe(0);
    }
    const report = await stopLoad();
    console.log(`updates took ${timings.map((t) => (t / 1000).toFixed(1)).join(" ")} s`);
    expect(report.failures).toEqual([]);
    expect(report.lost).toBe(0);
    expect(report.sent).toBeGreaterThan(report.seconds * 200 * 0.95);
    // Every version answered in turn; the broken ones never did.
    for (let v = 2; v <= UPDATES + 1; v++)
      expect(report.seen.get(String(v)), `version ${v}`).toBeGreaterThan(0);
    expect(report.seen.has("health")).toBe(false);
    expect(report.seen.has("crash")).toBe(false);

    const h = JSON.parse((await b.cli(["--org", ORG, "history", "app", "--json"])).stdout);
    const [crash, health, good] = h.revisions;
    expect(h.live).toBe(good.revision);
    expect(health).toMatchObject({ status: "rolled_back" });
    expect(health.reason).toMatch(/health check failed/);
    expect(health.reason).toContain(`revision ${good.revision} is live`);
    expect(crash).toMatchObject({ status: "rolled_back" });
    expect(crash.reason).toMatch(/exit/);
    expect(await peek()).toBe(live);
  }, 900_000);
});

/** The version answering at the domain now (undefined when the request fails). */
function peek(): Promise<string | undefined> {
  return new Promise((done) => {
    const req = http.get(
      { host: "127.0.0.1", port: httpPort, path: "/", headers: { host: HOST }, agent: false, timeout: 5000 },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => done(res.statusCode === 200 ? String(JSON.parse(body).version) : undefined));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => done(undefined));
  });
}
