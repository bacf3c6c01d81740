// ensureOrgNetwork with a fake Engine: what it does when another control plane takes the network's
// name or subnet between its look and its create. The real create runs in every deploy test.
import { describe, expect, it } from "vitest";
import { LABEL } from "../domain/labels.js";
import { ensureOrgNetwork } from "./deploy.js";
import type { Platform } from "./platform.js";

interface Net {
  id: string;
  name: string;
  labels: Record<string, string>;
  subnet?: string;
  created?: string;
}

/**
 * A swarm holding `nets`; `before(n, spec)` runs before the n-th create (another writer getting there
 * first). Like Swarm, it refuses a taken name but accepts a subnet that overlaps another network's.
 */
function fake(nets: Net[], before: (n: number, spec: any) => void = () => {}) {
  let creates = 0;
  const tried: string[] = [];
  const removed: string[] = [];
  const p = {
    instanceId: "me",
    engine: {
      listNetworks: async (labels: string[]) =>
        nets.filter((n) => labels.every((l) => n.labels[l.split("=")[0]!] === l.split("=")[1])),
      objectsNamed: async (_kind: string, names: string[]) => nets.filter((n) => names.includes(n.name)),
      subnetClaims: async () =>
        nets.flatMap((n) =>
          n.subnet
            ? [{ networkId: n.id, subnet: n.subnet, created: n.created ?? "2026-01-01T00:00:00Z" }]
            : [],
        ),
      ensureNetwork: async (spec: any) => {
        before(++creates, spec);
        const subnet = spec.IPAM?.Config?.[0]?.Subnet;
        tried.push(`${spec.Name} ${subnet}`);
        if (nets.some((n) => n.name === spec.Name)) throw new Error(`network ${spec.Name} already exists`);
        const id = `id${creates}`;
        nets.push({
          id,
          name: spec.Name,
          labels: spec.Labels,
          subnet,
          created: `2026-12-03T00:00:${10 + creates}Z`,
        });
        return id;
      },
      removeNetwork: async (id: string) => {
        removed.push(id);
        nets.splice(
          nets.findIndex((n) => n.id === id),
          1,
        );
      },
    },
  } as unknown as Platform;
  return { p, tried, removed };
}

const theirs = (name: string, subnet: string): Net => ({
  id: `their-${name}`,
  name,
  labels: { [LABEL.instance]: "other", [LABEL.org]: "acme" },
  subnet,
});

describe("ensureOrgNetwork", () => {
  it("takes the name with its installation when another took the plain name meanwhile", async () => {
    const nets: Net[] = [];
    const { p, tried } = fake(nets, (n) => {
      if (n === 1) nets.push(theirs("berth-org-acme", "10.201.0.0/24"));
    });
    const id = await ensureOrgNetwork(p, "acme");
    expect(nets.find((n) => n.id === id)?.name).toBe("berth-org-acme-me");
    expect(tried).toHaveLength(2);
  });

  it("moves to another subnet when an older network took the one it chose meanwhile", async () => {
    const nets: Net[] = [];
    let first = "";
    const { p, tried, removed } = fake(nets, (n, spec) => {
      if (n > 1) return;
      first = spec.IPAM.Config[0].Subnet;
      nets.push(theirs("berth-org-globex", first));
    });
    const id = await ensureOrgNetwork(p, "acme");
    const made = nets.find((n) => n.id === id)!;
    expect(made.name).toBe("berth-org-acme");
    expect(made.subnet).not.toBe(first);
    expect(tried).toHaveLength(2);
    expect(removed).toEqual(["id1"]);
    expect(nets.filter((n) => n.subnet === first).map((n) => n.id)).toEqual(["their-berth-org-globex"]);
  });

  it("keeps its subnet when the network that overlaps it was made later", async () => {
    const nets: Net[] = [];
    const { p, removed } = fake(nets, (_n, spec) => {
      const later = theirs("berth-org-globex", spec.IPAM.Config[0].Subnet);
      queueMicrotask(() => nets.push({ ...later, created: "2026-12-03T00:01:00Z" }));
    });
    const id = await ensureOrgNetwork(p, "acme");
    expect(id).toBe("id1");
    expect(removed).toEqual([]);
  });

  it("gives up, naming the subnet, when an older network takes every subnet it chooses", async () => {
    const nets: Net[] = [];
    const { p, removed } = fake(nets, (n, spec) => {
      nets.push(theirs(`berth-org-x${n}`, spec.IPAM.Config[0].Subnet));
    });
    await expect(ensureOrgNetwork(p, "acme")).rejects.toThrow(
      /every subnet chosen .* \(last 10\.192\.64\.0\/20\)/,
    );
    expect(removed).toHaveLength(5);
    expect(nets.filter((n) => n.labels[LABEL.org] === "acme" && n.labels[LABEL.instance] === "me")).toEqual(
      [],
    );
  });

  it("returns its own network named with its installation when a parallel job made it meanwhile", async () => {
    const nets: Net[] = [theirs("berth-org-acme", "10.201.0.0/24")];
    const labels = { [LABEL.managed]: "true", [LABEL.instance]: "me", [LABEL.org]: "acme" };
    let looks = 0;
    const { p, tried } = fake(nets);
    const engine = p.engine as any;
    const listNetworks = engine.listNetworks;
    engine.listNetworks = async (l: string[]) => {
      // The parallel job creates it after this one's second look, before its check of the name.
      if (++looks === 2) queueMicrotask(() => nets.push({ id: "ours", name: "berth-org-acme-me", labels }));
      return listNetworks(l);
    };
    expect(await ensureOrgNetwork(p, "acme")).toBe("ours");
    expect(tried).toEqual([]);
  });

  it("returns the organization's own network when a parallel job made it, without a second one", async () => {
    const nets: Net[] = [];
    const { p } = fake(nets, (n) => {
      if (n > 1) return;
      const labels = { [LABEL.managed]: "true", [LABEL.instance]: "me", [LABEL.org]: "acme" };
      nets.push({ id: "ours", name: "berth-org-acme", labels, subnet: "10.201.0.0/24" });
    });
    expect(await ensureOrgNetwork(p, "acme")).toBe("ours");
    expect(nets.filter((n) => n.labels[LABEL.org] === "acme")).toHaveLength(1);
  });

  it("gives up after three failed creates, with the Engine's reason", async () => {
    const { p } = fake([], () => {
      throw new Error("the Engine is read-only");
    });
    await expect(ensureOrgNetwork(p, "acme")).rejects.toThrow("the Engine is read-only");
  });
});
