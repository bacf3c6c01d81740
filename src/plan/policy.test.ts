import { describe, expect, it } from "vitest";
import type { ServiceModel, StackModel } from "../domain/stack.js";
import { checkPolicy, type PolicyRelaxations } from "./policy.js";

const RANGE = { from: 30000, to: 32767 };
const base: ServiceModel = {
  name: "app",
  image: "local/httpd:1",
  env: {},
  ports: [],
  replicas: 1,
  resources: { cpus: 0.5, memoryBytes: 256 * 1024 * 1024 },
};
const stack = (over: Partial<ServiceModel>, extra: Partial<StackModel> = {}): StackModel => ({
  org: "acme",
  name: "shop",
  services: [{ ...base, ...over }],
  ...extra,
});

describe("checkPolicy", () => {
  it("allows an ordinary service", () => {
    expect(checkPolicy(stack({}), {}, RANGE)).toEqual([]);
  });

  it.each<[string, Partial<ServiceModel>, Partial<StackModel>, PolicyRelaxations, string | undefined]>([
    ["privileged", { hostAccess: { privileged: true } }, {}, {}, "services.app.privileged"],
    ["capabilities", { hostAccess: { capAdd: ["SYS_ADMIN"] } }, {}, {}, "services.app.cap_add"],
    [
      "a capability not among those lifted",
      { hostAccess: { capAdd: ["NET_ADMIN", "SYS_ADMIN"] } },
      {},
      { capabilities: ["NET_ADMIN"] },
      "services.app.cap_add",
    ],
    [
      "capabilities lifted, spelled either way",
      { hostAccess: { capAdd: ["NET_ADMIN", "cap_net_raw"] } },
      {},
      { capabilities: ["NET_ADMIN", "NET_RAW"] },
      undefined,
    ],
    ["devices", { hostAccess: { devices: ["/dev/kvm"] } }, {}, {}, "services.app.devices"],
    [
      "host network",
      { hostAccess: { hostNamespaces: ["network_mode"] } },
      {},
      {},
      "services.app.network_mode",
    ],
    [
      "security options",
      { hostAccess: { securityOpt: ["seccomp=unconfined"] } },
      {},
      {},
      "services.app.security_opt",
    ],
    [
      "a bind mount",
      { mounts: [{ type: "bind", source: "/srv", target: "/data" }] },
      {},
      {},
      "services.app.volumes.0",
    ],
    [
      "a bind mount, relaxed",
      { mounts: [{ type: "bind", source: "/srv", target: "/data" }] },
      {},
      { bindMounts: true },
      undefined,
    ],
    [
      "the Docker socket, even relaxed",
      { mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/s" }] },
      {},
      { bindMounts: true },
      "services.app.volumes.0",
    ],
    [
      "/var/run, even relaxed",
      { mounts: [{ type: "bind", source: "/var/run", target: "/s" }] },
      {},
      { bindMounts: true },
      "services.app.volumes.0",
    ],
    [
      "/var/run/, even relaxed",
      { mounts: [{ type: "bind", source: "/var/run/", target: "/s" }] },
      {},
      { bindMounts: true },
      "services.app.volumes.0",
    ],
    ...["/", "//", "/var", "/run", "/srv/../var/run/./docker.sock", "/proc/1/root", "./run", "~/x"].map(
      (source): [string, Partial<ServiceModel>, Partial<StackModel>, PolicyRelaxations, string] => [
        `${source}, even relaxed`,
        { mounts: [{ type: "bind", source, target: "/h" }] },
        {},
        { bindMounts: true },
        "services.app.volumes.0",
      ],
    ),
    [
      "a volume bound to the host's root, even relaxed",
      {},
      { volumes: { data: { driverOpts: { type: "none", o: "bind", device: "/" } } } },
      { bindMounts: true },
      "volumes.data.driver_opts",
    ],
    [
      "a volume bound to /var/run, even relaxed",
      {},
      { volumes: { data: { driverOpts: { type: "none", o: "bind", device: "/var/run/" } } } },
      { bindMounts: true },
      "volumes.data.driver_opts",
    ],
    [
      "a volume bound to a host path, relaxed",
      {},
      { volumes: { data: { driverOpts: { type: "none", o: "bind", device: "/srv" } } } },
      { bindMounts: true },
      undefined,
    ],
    ["a named volume", { mounts: [{ type: "volume", source: "data", target: "/data" }] }, {}, {}, undefined],
    [
      "a volume bound to a host path",
      {},
      { volumes: { data: { driverOpts: { type: "none", o: "bind", device: "/srv" } } } },
      {},
      "volumes.data.driver_opts",
    ],
    ["node.role", { placement: { constraints: ["node.role == worker"] } }, {}, {}, undefined],
    [
      "node.hostname",
      { placement: { constraints: ["node.hostname == n1"] } },
      {},
      {},
      "services.app.deploy.placement.constraints",
    ],
    [
      "an unlisted node label",
      { placement: { constraints: ["node.labels.gpu == yes"] } },
      {},
      {},
      "services.app.deploy.placement.constraints",
    ],
    [
      "an allowed node label",
      { placement: { constraints: ["node.labels.gpu == yes"] } },
      {},
      { placementLabels: ["gpu"] },
      undefined,
    ],
    [
      "a port below the range",
      { ports: [{ target: 80, published: 80, protocol: "tcp" }] },
      {},
      {},
      "services.app.ports.0",
    ],
    [
      "a port in the range",
      { ports: [{ target: 80, published: 30080, protocol: "tcp" }] },
      {},
      {},
      undefined,
    ],
    [
      "a port anywhere, relaxed",
      { ports: [{ target: 80, published: 80, protocol: "tcp" }] },
      {},
      { hostPortsAnywhere: true },
      undefined,
    ],
    [
      "no memory limit",
      { resources: { cpus: 0.5, memoryBytes: 0 } },
      {},
      {},
      "services.app.deploy.resources.limits.memory",
    ],
  ])("%s", (_name, over, extra, relax, path) => {
    const found = checkPolicy(stack(over, extra), relax, RANGE);
    if (path === undefined) expect(found).toEqual([]);
    else expect(found.map((v) => v.path)).toContain(path);
  });
});

describe("checkPolicy: bind mount messages", () => {
  const rules = (source: string, relax: PolicyRelaxations) =>
    checkPolicy(stack({ mounts: [{ type: "bind", source, target: "/h" }] }), relax, RANGE).map((v) => v.rule);

  it.each<[string, PolicyRelaxations, string[]]>([
    ["/var/run/docker.sock", {}, ["the Docker socket is never mounted"]],
    ["/var/", { bindMounts: true }, ["the Docker socket is never mounted, nor '/var/' that holds it"]],
    ["//", { bindMounts: true }, ["the host's root directory is never mounted"]],
    ["./conf", {}, ["bind mounts of host paths are not allowed (./conf); use a named volume"]],
    ["./conf", { bindMounts: true }, ["the source must be an absolute host path (got './conf')"]],
    ["/srv", { bindMounts: true }, []],
  ])("%s %j", (source, relax, expected) => {
    expect(rules(source, relax)).toEqual(expected);
  });
});
