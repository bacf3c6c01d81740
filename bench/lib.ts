// Shared bits of the benchmarks: timing, percentiles, a Berth of the bench's own, its API.
import { startBerth, type TestBerth } from "../test/helpers/berth.js";

export const now = () => performance.now();

export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const ms = (v: number) => `${v.toFixed(1)} ms`;

export type BenchBerth = TestBerth;

export function benchBerth(env: NodeJS.ProcessEnv = {}): Promise<BenchBerth> {
  return startBerth({ BERTH_AUTO_REPAIR: "off", BERTH_LOG_LEVEL: "warn", ...env });
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 300_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for a deployment to end and fails loudly if it did not succeed. */
export async function deployed(b: BenchBerth, body: unknown): Promise<any> {
  const r = await b.api("POST", "/api/v1/deployments", body);
  if (r.status !== 202) throw new Error(`deploy refused: ${JSON.stringify(r.body)}`);
  const d = await waitFor("the deployment", async () => {
    const x = (await b.api("GET", `/api/v1/deployments/${r.body.deployment.id}`)).body.deployment;
    return ["succeeded", "failed", "rolled_back"].includes(x.status) ? x : undefined;
  });
  if (d.status !== "succeeded") throw new Error(`deployment ${d.status}: ${d.reason}`);
  return d;
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i]!)).join("  ")).join("\n");
}
