import { describe, expect, it } from "vitest";
import { DEFAULT_HOST_PORT_RANGE } from "../config/defaults.js";
import { checkPolicy } from "./policy.js";
import {
  digestRef,
  parseDigestRef,
  planRegistryStack,
  registryAddress,
  registryPlacement,
  registryPolicy,
  registryTag,
  useRegistry,
} from "./registry-stack.js";

const S = { image: "registry:2", hostPort: 5000, placement: "node.id==n1" };
const DIGEST = `sha256:${"a".repeat(64)}`;

describe("planRegistryStack", () => {
  it("runs one registry in the system organization, pinned, on a host-mode port, on no tenant network", () => {
    const m = planRegistryStack(S);
    expect(m).toMatchObject({ org: "berth-system", name: "registry", volumes: { data: {} } });
    expect(m.networks).toBeUndefined();
    const [svc] = m.services;
    expect(svc).toMatchObject({
      name: "registry",
      image: "registry:2",
      replicas: 1,
      ports: [{ target: 5000, published: 5000, protocol: "tcp", mode: "host" }],
      mounts: [{ type: "volume", source: "data", target: "/var/lib/registry" }],
      placement: { constraints: ["node.id==n1"] },
      update: { order: "stop-first" },
      labels: { "berth.system": "true" },
    });
    expect(svc!.networks).toBeUndefined();
    expect(svc!.env).toEqual({
      REGISTRY_HTTP_ADDR: "0.0.0.0:5000",
      REGISTRY_STORAGE_DELETE_ENABLED: "true",
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: "/var/lib/registry",
    });
    expect(planRegistryStack(S)).toEqual(m);
  });

  it("passes the policy only with its relaxations", () => {
    const m = planRegistryStack(S);
    expect(checkPolicy(m, {}, DEFAULT_HOST_PORT_RANGE).length).toBeGreaterThan(0);
    expect(checkPolicy(m, registryPolicy(S.placement), DEFAULT_HOST_PORT_RANGE)).toEqual([]);
    const labelled = { ...S, placement: "node.labels.registry==true" };
    expect(
      checkPolicy(planRegistryStack(labelled), registryPolicy(labelled.placement), DEFAULT_HOST_PORT_RANGE),
    ).toEqual([]);
  });
});

describe("useRegistry", () => {
  it.each([
    ["auto", 1, false],
    ["auto", 3, true],
    ["on", 1, true],
    ["off", 3, false],
  ] as const)("%s with %i nodes: %s", (mode, n, want) => {
    expect(
      useRegistry(
        mode,
        Array.from({ length: n }, (_, i) => ({ id: `n${i}` })),
      ),
    ).toBe(want);
  });
});

describe("registryPlacement and registryAddress", () => {
  const nodes: { id: string; address: string; labels: Record<string, string>; status: string }[] = [
    { id: "n1", address: "10.0.0.1", labels: {}, status: "ready" },
    { id: "n2", address: "10.0.0.2", labels: { registry: "true" }, status: "ready" },
    { id: "n3", address: "0.0.0.0", labels: { disk: "ssd" }, status: "ready" },
  ];
  it("pins to Berth's node, or to the labelled one", () => {
    expect(registryPlacement({ nodeId: "n1" })).toBe("node.id==n1");
    expect(registryPlacement({ nodeId: "n1", nodeLabel: "registry" })).toBe("node.labels.registry==true");
    expect(registryPlacement({ nodeId: "n1", nodeLabel: "disk=ssd" })).toBe("node.labels.disk==ssd");
  });
  it.each([
    ["Berth's node", { placement: "node.id==n1" }, { address: "10.0.0.1:5000" }],
    ["the labelled node", { placement: "node.labels.registry==true" }, { address: "10.0.0.2:5000" }],
    [
      "the configured address first",
      { placement: "node.id==n3", configured: "reg.example:443" },
      { address: "reg.example:443" },
    ],
  ])("%s", (_name, o, want) => {
    expect(registryAddress({ hostPort: 5000, nodes, ...o })).toEqual(want);
  });
  it("asks for BERTH_REGISTRY_ADDRESS when no single node with an address is meant", () => {
    for (const placement of ["node.labels.none==x", "node.id==n3", "node.labels.x==y"]) {
      const r = registryAddress({ hostPort: 5000, placement, nodes });
      expect(r).toEqual({ problem: expect.stringContaining("BERTH_REGISTRY_ADDRESS") });
    }
  });
});

describe("registry references", () => {
  it("tags in the registry, names by digest, and takes a digest reference apart", () => {
    const tag = registryTag("10.88.0.11:5000", "acme/web-web:20261202033000");
    expect(tag).toBe("10.88.0.11:5000/acme/web-web:20261202033000");
    expect(digestRef(tag, DIGEST)).toBe(`10.88.0.11:5000/acme/web-web@${DIGEST}`);
    expect(parseDigestRef(`10.88.0.11:5000/acme/web-web@${DIGEST}`)).toEqual({
      address: "10.88.0.11:5000",
      name: "acme/web-web",
      digest: DIGEST,
    });
    expect(parseDigestRef("acme/web-web:1")).toBeUndefined();
  });
});
