import { describe, expect, it } from "vitest";
import { DEFAULT_HOST_PORT_RANGE } from "../config/defaults.js";
import { checkPolicy } from "./policy.js";
import { PROXY_POLICY, planProxyStack } from "./proxy-stack.js";

const S = {
  image: "caddy:2",
  httpPort: 80,
  httpsPort: 443,
  socketDir: "/var/lib/berth/proxy",
  nodeId: "node1",
  orgNetworks: [] as string[],
};

describe("planProxyStack", () => {
  it("runs Caddy in the system organization on Berth's node, host-mode ports, admin socket dir bound", () => {
    const m = planProxyStack(S);
    expect(m.org).toBe("berth-system");
    const [svc] = m.services;
    expect(svc).toMatchObject({
      name: "caddy",
      image: "caddy:2",
      ports: [
        { target: 80, published: 80, protocol: "tcp", mode: "host" },
        { target: 443, published: 443, protocol: "tcp", mode: "host" },
      ],
      labels: { "berth.system": "true" },
      placement: { constraints: ["node.id==node1"] },
      mounts: [
        { type: "volume", source: "data", target: "/data" },
        { type: "bind", source: "/var/lib/berth/proxy", target: "/run/berth-proxy" },
      ],
    });
    expect(m.networks).toBeUndefined();
    expect(svc!.networks).toBeUndefined();
  });

  it("has the kernel hand a closing listener's queued connections to the new one, where the kernel can", () => {
    expect(planProxyStack({ ...S, migrateRequests: true }).services[0]!.sysctls).toEqual({
      "net.ipv4.tcp_migrate_req": "1",
    });
    // An older kernel has no such sysctl: asking for it would stop the proxy's container from starting.
    expect(planProxyStack({ ...S, migrateRequests: false }).services[0]!.sysctls).toBeUndefined();
  });

  it("runs on the nodes with the label the admin picked, allowed by the proxy's policy for that label only", () => {
    const m = planProxyStack({ ...S, nodeLabel: { key: "berth.proxy", value: "true" } });
    expect(m.services[0]!.placement).toEqual({ constraints: ["node.labels.berth.proxy==true"] });
    const edge = planProxyStack({ ...S, nodeLabel: { key: "zone", value: "edge-1" } });
    expect(edge.services[0]!.placement).toEqual({ constraints: ["node.labels.zone==edge-1"] });
    const policy = (labels: string[]) => ({
      ...PROXY_POLICY,
      hostPaths: [S.socketDir],
      placementLabels: labels,
    });
    const problems = (m2: typeof m, labels: string[]) =>
      checkPolicy(m2, policy(labels), DEFAULT_HOST_PORT_RANGE).map((v) => v.rule);
    expect(problems(edge, ["zone"])).toEqual([]);
    expect(problems(edge, []).join()).toMatch(/node.labels.zone==edge-1' is not allowed/);
  });

  it("joins exactly the given organizations' networks, sorted, whatever their order", () => {
    const a = planProxyStack({ ...S, orgNetworks: ["berth-org-b", "berth-org-a", "berth-org-b"] });
    expect(a.networks).toEqual({
      "route-0": { external: "berth-org-a" },
      "route-1": { external: "berth-org-b" },
    });
    expect(a.services[0]!.networks).toEqual([
      { name: "route-0", aliases: [] },
      { name: "route-1", aliases: [] },
    ]);
    expect(planProxyStack({ ...S, orgNetworks: ["berth-org-a", "berth-org-b"] })).toEqual(a);
  });

  it("passes the tenant policy only with the stated exemptions", () => {
    const m = planProxyStack({ ...S, httpPort: 8080, httpsPort: 8443 });
    expect(checkPolicy(m, {}, DEFAULT_HOST_PORT_RANGE).map((v) => v.path)).toEqual([
      "services.caddy.volumes.1",
      "services.caddy.deploy.placement.constraints",
      "services.caddy.ports.0",
      "services.caddy.ports.1",
    ]);
    expect(checkPolicy(m, PROXY_POLICY, DEFAULT_HOST_PORT_RANGE)).toEqual([]);
  });
});
