// buildRegistry / pushBuild / dropFromRegistry with a fake Engine, builder and registry: when a build
// goes through the registry, what it is refused for, and what reaches the registry's API. The
// deployed path (system stack, push, pull by digest) runs on the 3-node cluster (cluster.test.ts).
import { describe, expect, it } from "vitest";
import { DeployFailed } from "../domain/errors.js";
import type { JobContext } from "../jobs/queue.js";
import type { Platform, RegistrySettings } from "./platform.js";
import { buildRegistry, dropFromRegistry, pushBuild } from "./registry.js";

const DIGEST = `sha256:${"b".repeat(64)}`;
const node = (id: string, labels: Record<string, string> = {}) => ({
  id,
  address: `10.0.0.${id.slice(1)}`,
  labels,
  status: "ready",
});

function fake(o: { nodes: ReturnType<typeof node>[]; registry?: Partial<RegistrySettings> }) {
  const calls: string[] = [];
  const said: string[] = [];
  const p = {
    cluster: { nodeId: "n1" },
    registry: { mode: "auto", image: "registry:2", hostPort: 5000, ...o.registry },
    engine: { listNodes: async () => o.nodes },
    builder: {
      push: async (tag: string, onLine: (l: string) => Promise<void>) => {
        calls.push(`push ${tag}`);
        await onLine("abc: Pushed");
        return { digest: DIGEST };
      },
    },
    imageRegistry: {
      ready: async (address: string) => void calls.push(`ready ${address}`),
      deleteManifest: async (r: { address: string; name: string; digest: string }) => {
        calls.push(`delete ${r.address} ${r.name} ${r.digest}`);
        return true;
      },
    },
  } as unknown as Platform;
  const ctx = {
    job: { requestedBy: "user:a", correlationId: "c1" },
    signal: new AbortController().signal,
    say: async (m: string) => void said.push(m),
  } as unknown as JobContext;
  return { p, ctx, calls, said };
}

describe("buildRegistry", () => {
  it("is not used on one node, nor when turned off: the build stays where it is built", async () => {
    for (const f of [
      fake({ nodes: [node("n1")] }),
      fake({ nodes: [node("n1"), node("n2")], registry: { mode: "off" } }),
    ]) {
      expect(await buildRegistry(f.p, f.ctx)).toBeUndefined();
      expect(f.calls).toEqual([]);
    }
  });

  it("refuses, naming BERTH_REGISTRY_ADDRESS, when the placement does not name one node", async () => {
    const f = fake({
      nodes: [node("n1", { reg: "true" }), node("n2", { reg: "true" })],
      registry: { nodeLabel: "reg" },
    });
    const err = await buildRegistry(f.p, f.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployFailed);
    expect((err as Error).message).toContain("BERTH_REGISTRY_ADDRESS");
    expect(f.calls).toEqual([]);
  });
});

describe("pushBuild and dropFromRegistry", () => {
  it("pushes the tag and names it by the digest, with the push's lines in the job log", async () => {
    const f = fake({ nodes: [] });
    const ref = await pushBuild(f.p, f.ctx, "10.0.0.1:5000/acme/web-web:20261202033000");
    expect(ref).toBe(`10.0.0.1:5000/acme/web-web@${DIGEST}`);
    expect(f.calls).toEqual(["push 10.0.0.1:5000/acme/web-web:20261202033000"]);
    expect(f.said).toEqual([
      "pushing 10.0.0.1:5000/acme/web-web:20261202033000",
      "abc: Pushed",
      `pushed ${ref}`,
    ]);
  });

  it("deletes registry manifests by digest and leaves other references alone", async () => {
    const f = fake({ nodes: [] });
    await dropFromRegistry(f.p, f.ctx, [`10.0.0.1:5000/acme/web-web@${DIGEST}`, "acme/web-web:1"]);
    expect(f.calls).toEqual([`delete 10.0.0.1:5000 acme/web-web ${DIGEST}`]);
  });
});
