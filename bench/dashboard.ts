/// <reference lib="dom" />
// The dashboard's weight and speed in Debian's chromium, beside targets:
//  - JS gzipped: every script the first page loads (and all scripts), from dist/web;
//  - first load to interactive: a fresh browser profile opens /, until the sign-in form takes input;
//    then signing in until the stacks page shows its data;
//  - the stacks page with 1,000 services (100 stacks of 10, served from a recorded response so that
//    only the page's own work is timed; the API's listing cost is bench/api.ts): until the table
//    shows, and until a search narrows it;
//  - the same page, open, with a real stack beside the 1,000 recorded services: one of its service's
//    replica count changed in Swarm behind Berth's back (dockerode), until its row shows the new
//    count (Docker event -> observer -> change feed -> /events -> the page reads /stacks again and
//    renders 1,001 services); the baseline beside it is the same change polled on the API alone.
// Usage: npx tsx bench/dashboard.ts
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { docker, ROOT } from "../test/helpers/berth.js";
import { benchBerth, deployed, ms, now, percentile, waitFor } from "./lib.js";

const PASSWORD = "a-long-bench-password";
const TARGETS = {
  firstJsGzipKb: 60,
  interactiveMs: 1000,
  signedInMs: 1500,
  thousandMs: 1000,
  searchMs: 200,
  changeShownMs: 1000,
};
const LIVE = "livebench";
const CHANGES = 6;

function gzipKb(files: string[]): number {
  return files.reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0) / 1024;
}

const web = join(ROOT, "dist/web");
const index = readFileSync(join(web, "index.html"), "utf8");
const entry = [...index.matchAll(/src="\/(assets\/[^"]+\.js)"/g)].map((m) => join(web, m[1]!));
const allJs = readdirSync(join(web, "assets"))
  .filter((f) => f.endsWith(".js"))
  .map((f) => join(web, "assets", f));

const b = await benchBerth({ BERTH_ADMIN_PASSWORD: PASSWORD });
// The one real stack whose change the open page must show (deployed before any timing).
await deployed(b, { name: LIVE, services: [{ name: "web", image: "local/httpd:1" }] });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  // The first navigation of a fresh browser process pays for the process; the next, in a new
  // context (empty cache, no cookies), is what a person's first visit costs.
  const firstLoad = async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const t0 = now();
    await page.goto(`${b.url}/`);
    await page.waitForSelector("input[name=email]:not([disabled])");
    return { page, ms: now() - t0 };
  };
  const cold = (await firstLoad()).ms;
  // Five first visits (each a new context: empty cache, no cookies); the median is reported.
  const visits = [];
  for (let i = 0; i < 5; i++) visits.push(await firstLoad());
  const { page } = visits[visits.length - 1]!;
  const interactive = visits.map((v) => v.ms).sort((a, b) => a - b)[2]!;
  // Baseline: the same API calls without a browser (sign-in verifies an argon2id hash).
  let t = now();
  const login = await fetch(`${b.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@berth.local", password: PASSWORD }),
  });
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
  await fetch(`${b.url}/api/v1/me`, { headers: { cookie } });
  await fetch(`${b.url}/api/v1/stacks`, { headers: { cookie } });
  const apiOnly = now() - t;
  await page.fill("input[name=email]", "admin@berth.local");
  await page.fill("input[name=password]", PASSWORD);
  t = now();
  await page.click("button[type=submit]");
  await page.waitForSelector(".empty:text('No stacks yet.'), table.stacks");
  const signedIn = now() - t;

  // 1,000 services: 100 stacks of 10, each with one running task.
  const stacks = Array.from({ length: 100 }, (_, i) => ({
    name: `stack${i}`,
    revision: 1,
    status: "succeeded",
    liveRevision: 1,
    reason: null,
    deploymentId: "00000000-0000-0000-0000-000000000000",
    updatedAt: new Date().toISOString(),
    services: Array.from({ length: 10 }, (_, j) => ({
      name: `svc${j}`,
      image: `local/httpd:1`,
      replicas: 1,
      running: 1,
      ports: [],
      tasks: [{ id: `t${i}x${j}`, node: "node-1", state: "running", desired: "running" }],
      observedAt: new Date().toISOString(),
    })),
  }));
  const body = JSON.stringify({ stacks });
  await page.route("**/api/v1/stacks", (route) =>
    route.fulfill({ status: 200, contentType: "application/json", body }),
  );
  t = now();
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll("table.stacks tbody tr").length === 100);
  const thousand = now() - t;
  t = now();
  await page.fill("input[name=q]", "stack42");
  await page.waitForFunction(() => document.querySelectorAll("table.stacks tbody tr").length === 1);
  const search = now() - t;

  // The open page, 1,000 recorded services plus the real stack (its part of the response is real).
  await page.unroute("**/api/v1/stacks");
  const recorded = stacks.filter((x) => x.name !== LIVE);
  await page.route("**/api/v1/stacks", async (route) => {
    const real = (await (await route.fetch()).json()) as { stacks: unknown[] };
    await route.fulfill({
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ stacks: [...real.stacks, ...recorded] }),
    });
  });
  await page.fill("input[name=q]", "");
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll("table.stacks tbody tr").length === 101);
  const d = docker();
  const [svc] = (await (d.listServices as any)({
    filters: { label: [`berth.instance=${b.instance}`, `berth.stack=${LIVE}`] },
  })) as any[];
  const shownMs: number[] = [];
  const apiMs: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const replicas = i % 2 === 0 ? 2 : 1;
    const s = await d.getService(svc.ID).inspect();
    const t0 = now();
    await d
      .getService(svc.ID)
      .update({ ...s.Spec, version: s.Version.Index, Mode: { Replicated: { Replicas: replicas } } });
    await Promise.all([
      page
        .waitForFunction(
          ([name, n]) =>
            document.querySelector(`tr[data-stack="${name}"] .replicas`)?.textContent?.endsWith(`/${n}`),
          [LIVE, replicas] as const,
          { polling: "raf", timeout: 30_000 },
        )
        .then(() => shownMs.push(now() - t0)),
      waitFor(
        "the API to show the change",
        async () => {
          const r = await b.api("GET", `/api/v1/stacks/${LIVE}`);
          return r.body.stack?.services?.[0]?.replicas === replicas;
        },
        30_000,
      ).then(() => apiMs.push(now() - t0)),
    ]);
    // Let the tasks settle so that each round starts from a quiet stack.
    await waitFor("the tasks to settle", async () => {
      const r = await b.api("GET", `/api/v1/stacks/${LIVE}`);
      return r.body.stack?.services?.[0]?.running === replicas;
    });
  }

  const row = (what: string, value: string, target: string) =>
    console.log(`${what.padEnd(46)} ${value.padStart(12)}   target ${target}`);
  console.log("dashboard (Debian's chromium, headless, this machine)");
  row(
    "JS the first page loads, gzipped",
    `${gzipKb(entry).toFixed(1)} KiB`,
    `<= ${TARGETS.firstJsGzipKb} KiB`,
  );
  row("all JS (YAML parser loaded on compose preview)", `${gzipKb(allJs).toFixed(1)} KiB`, "(report)");
  row(
    "first load to interactive (sign-in form), p50 of 5",
    ms(interactive),
    `<= ${TARGETS.interactiveMs} ms`,
  );
  row("  the same as a fresh browser's first page", ms(cold), "(report)");
  row("sign in to stacks page with its data", ms(signedIn), `<= ${TARGETS.signedInMs} ms`);
  row("  baseline: login, /me, /stacks without a browser", ms(apiOnly), "(report)");
  row("stacks page, 1,000 services (100 stacks)", ms(thousand), `<= ${TARGETS.thousandMs} ms`);
  row("search narrows 1,000 services to one stack", ms(search), `<= ${TARGETS.searchMs} ms`);
  row(
    `open page, 1,001 services: Swarm change, p50`,
    ms(percentile(shownMs, 50)),
    `<= ${TARGETS.changeShownMs} ms`,
  );
  row(`  the same, slowest of ${CHANGES}`, ms(Math.max(...shownMs)), "(report)");
  row("  baseline: the API shows it (polled), p50", ms(percentile(apiMs, 50)), "(report)");
} finally {
  await browser.close();
  await b.stop();
}
