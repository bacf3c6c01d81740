import { describe, expect, it } from "vitest";
import { ConfigError } from "../../domain/errors.js";
import type { ServiceModel } from "../../domain/stack.js";
import { DEFAULT_LIMITS } from "../defaults.js";
import { DATA_KEY } from "./files.js";
import { composeToModel, effectiveCapabilities } from "./to-model.js";

type Doc = Record<string, any>;

const MiB = 1024 ** 2;
const S = 1e9;

/** Top-level definitions that service-level cases may refer to. */
const defs: Doc = {
  volumes: { data: {}, shared: { external: true } },
  networks: { front: {}, back: {} },
  secrets: { db: { content: "pw" }, token: { external: true } },
  configs: { conf: { [DATA_KEY]: "aGk=" } },
};

const convert = (doc: Doc) => composeToModel(doc, "acme", "shop");

/** The `web` service converted from a compose service with `svc` keys (image given). */
const web = (svc: Doc): ServiceModel =>
  convert({ ...defs, services: { web: { image: "nginx:1", ...svc } } }).model.services[0]!;

/** Runs `fn` and returns the ConfigError it throws. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("composeToModel: the model", () => {
  it("converts a minimal service with defaults", () => {
    expect(convert({ services: { web: { image: "nginx" } } })).toEqual({
      model: {
        org: "acme",
        name: "shop",
        services: [
          {
            name: "web",
            image: "nginx",
            env: {},
            ports: [],
            replicas: 1,
            resources: { cpus: DEFAULT_LIMITS.cpus, memoryBytes: DEFAULT_LIMITS.memoryBytes },
          },
        ],
        networks: {},
        volumes: {},
        secrets: {},
        configs: {},
      },
      warnings: [],
    });
  });

  it("sorts services by name", () => {
    const { model } = convert({
      services: { web: { image: "a" }, api: { image: "b" }, db: { image: "c" } },
    });
    expect(model.services.map((s) => s.name)).toEqual(["api", "db", "web"]);
  });

  it("returns docker's warnings for ignored keys", () => {
    const { warnings } = convert({
      services: { web: { image: "a", restart: "always", build: ".", expose: ["80"] } },
    });
    expect(warnings[0]).toBe("Ignoring unsupported options: build, restart");
    expect(warnings[1]).toContain("Ignoring deprecated options:");
    expect(warnings[1]).toContain("expose: Exposing ports is unnecessary");
  });

  it("warns about runtime as docker words unsupported options, and says what platform became", () => {
    const { warnings } = convert({
      services: { web: { image: "a", runtime: "runc", restart: "always", platform: "linux/amd64" } },
    });
    expect(warnings).toEqual([
      "Ignoring unsupported options: restart, runtime",
      "Service web: platform linux/amd64 is deployed as placement constraints node.platform.os==linux, node.platform.arch==x86_64 (Swarm has no per-service platform)",
    ]);
  });

  it.each<[string, Doc, Doc]>([
    [
      "an external network",
      { networks: { ext: { external: true } } },
      { networks: { ext: { external: "ext" } } },
    ],
    [
      "an external network with a name",
      { networks: { ext: { external: true, name: "real" } } },
      { networks: { ext: { external: "real" } } },
    ],
    [
      "an external network in the legacy object form",
      { networks: { ext: { external: { name: "legacy" } } } },
      { networks: { ext: { external: "legacy" } } },
    ],
    [
      "a network with every option",
      {
        networks: {
          front: {
            driver: "overlay",
            driver_opts: { encrypted: "", mtu: 1400 },
            labels: ["team=web", "tier"],
            attachable: true,
            internal: false,
            ipam: {
              driver: "default",
              config: [{ subnet: "10.9.0.0/24", gateway: "10.9.0.1", ip_range: "10.9.0.128/25" }, {}],
            },
          },
        },
      },
      {
        networks: {
          front: {
            driver: "overlay",
            driverOpts: { encrypted: "", mtu: "1400" },
            labels: { team: "web", tier: "" },
            attachable: true,
            internal: false,
            ipam: {
              driver: "default",
              config: [{ subnet: "10.9.0.0/24", gateway: "10.9.0.1", ipRange: "10.9.0.128/25" }, {}],
            },
          },
        },
      },
    ],
    [
      "a network with an empty ipam",
      { networks: { front: { ipam: {} } } },
      { networks: { front: { ipam: { config: [] } } } },
    ],
    ["a null network", { networks: { front: null } }, { networks: { front: {} } }],
    ["an external volume", { volumes: { v: { external: true } } }, { volumes: { v: { external: "v" } } }],
    [
      "an external volume with a name",
      { volumes: { v: { external: true, name: "prod-data" } } },
      { volumes: { v: { external: "prod-data" } } },
    ],
    [
      "a volume with driver, options and labels",
      {
        volumes: {
          v: { driver: "local", driver_opts: { type: "nfs", o: "addr=1.2.3.4" }, labels: { a: 1 } },
        },
      },
      {
        volumes: {
          v: { driver: "local", driverOpts: { type: "nfs", o: "addr=1.2.3.4" }, labels: { a: "1" } },
        },
      },
    ],
    ["a null volume", { volumes: { v: null } }, { volumes: { v: {} } }],
    [
      "a secret from content, base64-encoded",
      { secrets: { s: { content: "hello", labels: { a: "b" } } } },
      { secrets: { s: { data: Buffer.from("hello").toString("base64"), labels: { a: "b" } } } },
    ],
    [
      "a secret the CLI read from a file",
      { secrets: { s: { file: "./s.txt", [DATA_KEY]: "ZmlsZQ==" } } },
      { secrets: { s: { data: "ZmlsZQ==" } } },
    ],
    [
      "an external secret",
      { secrets: { s: { external: true, name: "shared" } } },
      { secrets: { s: { external: "shared" } } },
    ],
    [
      "a config with a template driver",
      { configs: { c: { content: "x", template_driver: "golang" } } },
      { configs: { c: { data: "eA==", templateDriver: "golang" } } },
    ],
    [
      "extension keys among definitions are skipped",
      { networks: { "x-meta": { a: 1 }, front: {} }, volumes: { "x-meta": {} } },
      { networks: { front: {} }, volumes: {} },
    ],
  ])("converts %s", (_name, top, expected) => {
    const { model } = convert({ ...top, services: { web: { image: "a" } } });
    expect(model).toMatchObject(expected);
    for (const [kind, value] of Object.entries(expected)) expect(model[kind as "networks"]).toEqual(value);
  });

  it.each<[string, Doc, string]>([
    ["an invalid stack name", { services: { web: { image: "a" } } }, "--name"],
    ["no services", { services: {} }, "services: the stack defines no services"],
    ["missing services", {}, "services: the stack defines no services"],
    ["an invalid service name", { services: { Web: { image: "a" } } }, "services.Web: service name"],
    ["a missing image", { services: { web: {} } }, "services.web.image: is required"],
    [
      "a bad image",
      { services: { web: { image: "Nginx:1" } } },
      "services.web.image: 'Nginx:1' is not a valid",
    ],
    [
      "a secret without file or content",
      { secrets: { s: {} }, services: { web: { image: "a" } } },
      "secrets.s: needs `file` (read by the CLI) or `external`",
    ],
    [
      "a config without file or content",
      { configs: { c: { labels: { a: "b" } } }, services: { web: { image: "a" } } },
      "configs.c: needs `file`",
    ],
    [
      "a custom name on a network",
      { networks: { front: { name: "custom" } }, services: { web: { image: "a" } } },
      "networks.front.name: custom names are not supported",
    ],
    [
      "a custom name on a network with external: false",
      { networks: { front: { name: "custom", external: false } }, services: { web: { image: "a" } } },
      "networks.front.name: custom names are not supported",
    ],
    [
      "a custom name on a volume",
      { volumes: { data: { name: "custom" } }, services: { web: { image: "a" } } },
      "volumes.data.name: custom names are not supported",
    ],
    [
      "a custom name on a secret",
      { secrets: { s: { name: "custom", content: "x" } }, services: { web: { image: "a" } } },
      "secrets.s.name: custom names are not supported",
    ],
    [
      "a pids limit that is not a count",
      { services: { web: { image: "a", deploy: { resources: { limits: { pids: "many" } } } } } },
      "services.web.deploy.resources.limits.pids: 'many' is not a number of processes",
    ],
    [
      "a platform that is not os/arch",
      { services: { web: { image: "a", platform: "linux amd64" } } },
      "services.web.platform: 'linux amd64' is not a platform",
    ],
    ...["host", "macvlan"].map((driver): [string, Doc, string] => [
      `a ${driver} network (Swarm services need swarm-scoped networks)`,
      { networks: { front: { driver } }, services: { web: { image: "a" } } },
      `networks.front.driver: '${driver}' networks cannot be used with services`,
    ]),
    [
      "a forbidden service key",
      { services: { web: { image: "a", volumes_from: ["db"] } } },
      "services.web.volumes_from: is not supported",
    ],
  ])("refuses %s", (name, doc, message) => {
    const stack = name === "an invalid stack name" ? "Bad_Name" : "shop";
    const err = configError(() => composeToModel(doc, "acme", stack));
    expect(err.message).toContain(message);
  });
});

describe("composeToModel: ports", () => {
  const tcp = (target: number, published?: number) => ({
    target,
    ...(published === undefined ? {} : { published }),
    protocol: "tcp",
    mode: "ingress",
  });

  it.each<[unknown, unknown[]]>([
    ["80", [tcp(80)]],
    [80, [tcp(80)]],
    ["127.0.0.1:8080:80", [tcp(80, 8080)]],
    ["0.0.0.0:8080:80/tcp", [tcp(80, 8080)]],
    ["[::1]:8080:80", [tcp(80, 8080)]],
    ["8000-8001:9000-9001", [tcp(9000, 8000), tcp(9001, 8001)]],
    ["127.0.0.1:8000-8001:9000-9001", [tcp(9000, 8000), tcp(9001, 8001)]],
    ["9000-9002", [tcp(9000), tcp(9001), tcp(9002)]],
    ["53/udp", [{ target: 53, protocol: "udp", mode: "ingress" }]],
    ["10.0.0.1:5353:53/UDP", [{ target: 53, published: 5353, protocol: "udp", mode: "ingress" }]],
    ["3868/sctp", [{ target: 3868, protocol: "sctp", mode: "ingress" }]],
    [{ target: 80 }, [tcp(80)]],
    [{ target: "80", published: "8080" }, [tcp(80, 8080)]],
    [{ target: 80, published: "" }, [tcp(80)]],
    [
      { target: 53, published: 5353, protocol: "udp", mode: "host" },
      [{ target: 53, published: 5353, protocol: "udp", mode: "host" }],
    ],
  ])("converts %j", (port, expected) => {
    expect(web({ ports: [port] }).ports).toEqual(expected);
  });

  it("flattens several entries in order", () => {
    expect(web({ ports: ["80", "9000-9001", { target: 443 }] }).ports).toEqual([
      tcp(80),
      tcp(9000),
      tcp(9001),
      tcp(443),
    ]);
  });

  // A published port without a host IP is not mistaken for one.
  it.each<[string, unknown[]]>([
    ["8080:80", [tcp(80, 8080)]],
    ["53:53/udp", [{ target: 53, published: 53, protocol: "udp", mode: "ingress" }]],
  ])("keeps the published port of %j", (port, expected) => {
    expect(web({ ports: [port] }).ports).toEqual(expected);
  });

  it.each<[unknown, string]>([
    ["abc", "services.web.ports.0: 'abc' is not a port mapping"],
    ["80/icmp", "services.web.ports.0: '80/icmp' is not a port mapping"],
    [
      "1.2.3.4:8000-8001:9000",
      "services.web.ports.0: '1.2.3.4:8000-8001:9000': published and target ranges differ",
    ],
    ["0", "services.web.ports.0: '0': ports must be between 1 and 65535"],
    ["70000", "services.web.ports.0: '70000': ports must be between 1 and 65535"],
    [{ target: 0 }, "services.web.ports.0.target: must be a port between 1 and 65535"],
    [{ target: "http" }, "services.web.ports.0.target: must be a port between 1 and 65535"],
    [{ target: 80, published: 70000 }, "services.web.ports.0.published: must be a port between 1 and 65535"],
  ])("refuses %j", (port, message) => {
    expect(configError(() => web({ ports: [port] })).message).toContain(message);
  });

  it("names the index of the bad entry", () => {
    expect(configError(() => web({ ports: ["80", "bad"] })).message).toContain("services.web.ports.1:");
  });
});

describe("composeToModel: service keys", () => {
  it.each<[string, Doc, keyof ServiceModel, unknown]>([
    // command and entrypoint
    ["command as a string", { command: "echo 'a b' c" }, "command", ["echo", "a b", "c"]],
    ["command as a list", { command: ["echo", "a b", 1] }, "command", ["echo", "a b", "1"]],
    ["an empty command list", { command: [] }, "command", []],
    ["a null command", { command: null }, "command", undefined],
    ["entrypoint as a string", { entrypoint: "/bin/sh -c" }, "entrypoint", ["/bin/sh", "-c"]],
    ["entrypoint as a list", { entrypoint: ["/entry.sh"] }, "entrypoint", ["/entry.sh"]],
    // environment
    [
      "environment as a list",
      { environment: ["A=1", "B=", "C", "D=x=y"] },
      "env",
      // A bare name the shell did not fill stays bare (null), as docker sends it ("C").
      { A: "1", B: "", C: null, D: "x=y" },
    ],
    [
      "environment as a map",
      { environment: { A: 1, B: null, C: "", D: true } },
      "env",
      { A: "1", B: null, C: "", D: "true" },
    ],
    // labels
    ["labels as a list (container labels)", { labels: ["a=1", "b"] }, "containerLabels", { a: "1", b: "" }],
    [
      "labels as a map (container labels)",
      { labels: { a: 1, b: null } },
      "containerLabels",
      { a: "1", b: "" },
    ],
    ["labels do not set service labels", { labels: { a: "1" } }, "labels", undefined],
    ["deploy.labels (service labels)", { deploy: { labels: { a: "1" } } }, "labels", { a: "1" }],
    ["deploy.labels as a list", { deploy: { labels: ["a=1=2"] } }, "labels", { a: "1=2" }],
    [
      "deploy.labels do not set container labels",
      { deploy: { labels: { a: "1" } } },
      "containerLabels",
      undefined,
    ],
    // deploy
    ["mode global", { deploy: { mode: "global" } }, "mode", "global"],
    ["mode replicated (left unset)", { deploy: { mode: "replicated" } }, "mode", undefined],
    ["replicas", { deploy: { replicas: 3 } }, "replicas", 3],
    ["replicas 0", { deploy: { replicas: 0 } }, "replicas", 0],
    [
      "resource limits",
      { deploy: { resources: { limits: { cpus: "0.25", memory: "512M", pids: 100 } } } },
      "resources",
      { cpus: 0.25, memoryBytes: 512 * MiB, pids: 100 },
    ],
    [
      "a pids limit given as a string (interpolated)",
      { deploy: { resources: { limits: { pids: "0" } } } },
      "resources",
      { cpus: DEFAULT_LIMITS.cpus, memoryBytes: DEFAULT_LIMITS.memoryBytes, pids: 0 },
    ],
    [
      "platform as placement constraints in Swarm's arch names",
      { platform: "linux/arm64" },
      "placement",
      { constraints: ["node.platform.os==linux", "node.platform.arch==aarch64"] },
    ],
    [
      "platform added to the file's own constraints, once",
      {
        platform: "linux/amd64",
        deploy: { placement: { constraints: ["node.role==worker", "node.platform.os==linux"] } },
      },
      "placement",
      { constraints: ["node.role==worker", "node.platform.os==linux", "node.platform.arch==x86_64"] },
    ],
    [
      "platform with a variant",
      { platform: "linux/arm/v6" },
      "placement",
      { constraints: ["node.platform.os==linux", "node.platform.arch==armv6l"] },
    ],
    [
      "platform with an os only",
      { platform: "linux" },
      "placement",
      { constraints: ["node.platform.os==linux"] },
    ],
    [
      "a CPU limit alone keeps the default memory",
      { deploy: { resources: { limits: { cpus: 2 } } } },
      "resources",
      { cpus: 2, memoryBytes: DEFAULT_LIMITS.memoryBytes },
    ],
    [
      "a memory limit in bytes keeps the default CPUs",
      { deploy: { resources: { limits: { memory: "1.5g" } } } },
      "resources",
      { cpus: DEFAULT_LIMITS.cpus, memoryBytes: 1.5 * 1024 * MiB },
    ],
    [
      "reservations",
      { deploy: { resources: { reservations: { cpus: "0.1", memory: "64k" } } } },
      "reservations",
      { cpus: 0.1, memoryBytes: 64 * 1024 },
    ],
    ["empty reservations", { deploy: { resources: { reservations: {} } } }, "reservations", {}],
    ["no reservations", { deploy: { resources: { limits: { cpus: 1 } } } }, "reservations", undefined],
    [
      "restart_policy",
      { deploy: { restart_policy: { condition: "on-failure", delay: "5s", max_attempts: 3, window: "2m" } } },
      "restart",
      { condition: "on-failure", delay: 5 * S, maxAttempts: 3, window: 120 * S },
    ],
    [
      "restart_policy over the restart key",
      { restart: "always", deploy: { restart_policy: { condition: "none" } } },
      "restart",
      { condition: "none" },
    ],
    [
      "update_config",
      {
        deploy: {
          update_config: {
            parallelism: 2,
            delay: "10s",
            failure_action: "rollback",
            monitor: "1m",
            max_failure_ratio: 0.1,
            order: "start-first",
          },
        },
      },
      "update",
      {
        parallelism: 2,
        delay: 10 * S,
        failureAction: "rollback",
        monitor: 60 * S,
        maxFailureRatio: 0.1,
        order: "start-first",
      },
    ],
    [
      "rollback_config with zero values",
      { deploy: { rollback_config: { parallelism: 0, delay: 0, max_failure_ratio: 0 } } },
      "rollback",
      { parallelism: 0, delay: 0, maxFailureRatio: 0 },
    ],
    [
      "placement constraints and preferences",
      {
        deploy: {
          placement: { constraints: ["node.role==worker"], preferences: [{ spread: "node.labels.zone" }] },
        },
      },
      "placement",
      { constraints: ["node.role==worker"], preferences: ["node.labels.zone"] },
    ],
    [
      "placement constraints only",
      { deploy: { placement: { constraints: ["node.role==manager"] } } },
      "placement",
      { constraints: ["node.role==manager"] },
    ],
    [
      "max_replicas_per_node",
      { deploy: { placement: { max_replicas_per_node: 2 } } },
      "maxReplicasPerNode",
      2,
    ],
    [
      "max_replicas_per_node alone sets no placement",
      { deploy: { placement: { max_replicas_per_node: 2 } } },
      "placement",
      undefined,
    ],
    ["endpoint_mode", { deploy: { endpoint_mode: "dnsrr" } }, "endpointMode", "dnsrr"],
    // the service-level restart key
    ["restart: no", { restart: "no" }, "restart", { condition: "none" }],
    ["restart: always", { restart: "always" }, "restart", { condition: "any" }],
    ["restart: unless-stopped", { restart: "unless-stopped" }, "restart", { condition: "any" }],
    [
      "restart: on-failure",
      { restart: "on-failure" },
      "restart",
      { condition: "on-failure", maxAttempts: 0 },
    ],
    [
      "restart: on-failure:3",
      { restart: "on-failure:3" },
      "restart",
      { condition: "on-failure", maxAttempts: 3 },
    ],
    ["restart: an unknown value", { restart: "sometimes" }, "restart", undefined],
    ["restart: empty", { restart: "" }, "restart", undefined],
    // healthcheck
    [
      "healthcheck with a string test",
      {
        healthcheck: {
          test: "curl -f http://localhost",
          interval: "30s",
          timeout: "5s",
          retries: 3,
          start_period: "1m",
        },
      },
      "healthcheck",
      {
        test: ["CMD-SHELL", "curl -f http://localhost"],
        interval: 30 * S,
        timeout: 5 * S,
        retries: 3,
        startPeriod: 60 * S,
      },
    ],
    [
      "healthcheck with a list test",
      { healthcheck: { test: ["CMD", "true"] } },
      "healthcheck",
      { test: ["CMD", "true"] },
    ],
    [
      "healthcheck disabled",
      { healthcheck: { disable: true, test: ["CMD", "true"], interval: "10s" } },
      "healthcheck",
      { disable: true },
    ],
    ["an empty healthcheck", { healthcheck: {} }, "healthcheck", {}],
    // simple keys
    ["stop_grace_period", { stop_grace_period: "1m30s" }, "stopGracePeriod", 90 * S],
    ["stop_grace_period as seconds", { stop_grace_period: 5 }, "stopGracePeriod", 5 * S],
    ["stop_signal", { stop_signal: "SIGTERM" }, "stopSignal", "SIGTERM"],
    ["hostname", { hostname: "web-1" }, "hostname", "web-1"],
    ["user", { user: "1000:1000" }, "user", "1000:1000"],
    ["working_dir", { working_dir: "/app" }, "workingDir", "/app"],
    ["tty", { tty: true }, "tty", true],
    ["stdin_open", { stdin_open: false }, "stdinOpen", false],
    ["read_only", { read_only: true }, "readOnly", true],
    ["init", { init: true }, "init", true],
    ["isolation", { isolation: "default" }, "isolation", "default"],
    [
      "ulimits as numbers and soft/hard",
      { ulimits: { nproc: 65535, nofile: { soft: 20000, hard: 40000 } } },
      "ulimits",
      { nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 20000, hard: 40000 } },
    ],
    [
      "sysctls as a map",
      { sysctls: { "net.core.somaxconn": 1024, "net.ipv4.tcp_syncookies": 0 } },
      "sysctls",
      { "net.core.somaxconn": "1024", "net.ipv4.tcp_syncookies": "0" },
    ],
    [
      "sysctls as a list",
      { sysctls: ["net.core.somaxconn=1024"] },
      "sysctls",
      { "net.core.somaxconn": "1024" },
    ],
    [
      "extra_hosts as a list",
      { extra_hosts: ["somehost:162.242.195.82", "other:50.31.209.229"] },
      "extraHosts",
      ["somehost:162.242.195.82", "other:50.31.209.229"],
    ],
    [
      "extra_hosts as a map, sorted",
      { extra_hosts: { somehost: "162.242.195.82", other: "50.31.209.229" } },
      "extraHosts",
      ["other:50.31.209.229", "somehost:162.242.195.82"],
    ],
    ["dns as a string", { dns: "8.8.8.8" }, "dns", { nameservers: ["8.8.8.8"] }],
    [
      "dns and dns_search",
      { dns: ["8.8.8.8", "1.1.1.1"], dns_search: "example.com" },
      "dns",
      { nameservers: ["8.8.8.8", "1.1.1.1"], search: ["example.com"] },
    ],
    [
      "dns_search alone",
      { dns_search: ["a.example", "b.example"] },
      "dns",
      { search: ["a.example", "b.example"] },
    ],
    [
      "logging",
      { logging: { driver: "json-file", options: { "max-size": "10m", "max-file": 3 } } },
      "logging",
      { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } },
    ],
    ["logging options only", { logging: { options: { tag: "x" } } }, "logging", { options: { tag: "x" } }],
  ])("converts %s", (_name, svc, key, expected) => {
    expect(web(svc)[key]).toEqual(expected);
  });

  it("leaves unset keys unset", () => {
    expect(Object.keys(web({})).sort()).toEqual(["env", "image", "name", "ports", "replicas", "resources"]);
  });

  it.each<[string, Doc, string]>([
    ["an unterminated command", { command: "echo 'oops" }, "services.web.command: has an unterminated quote"],
    [
      "an unterminated entrypoint",
      { entrypoint: 'sh -c "x' },
      "services.web.entrypoint: has an unterminated quote",
    ],
    [
      "an unknown deploy mode",
      { deploy: { mode: "daemon" } },
      "services.web.deploy.mode: 'daemon' is not supported",
    ],
    [
      "a zero CPU limit",
      { deploy: { resources: { limits: { cpus: "0" } } } },
      "services.web.deploy.resources.limits.cpus: '0' is not a CPU count",
    ],
    [
      "a bad memory limit",
      { deploy: { resources: { limits: { memory: "12q" } } } },
      "services.web.deploy.resources.limits.memory: '12q' is not a size",
    ],
    [
      "a bad CPU reservation",
      { deploy: { resources: { reservations: { cpus: "x" } } } },
      "services.web.deploy.resources.reservations.cpus: 'x' is not a CPU count",
    ],
    [
      "a bad memory reservation",
      { deploy: { resources: { reservations: { memory: "lots" } } } },
      "services.web.deploy.resources.reservations.memory: 'lots' is not a size",
    ],
    [
      "a bad restart delay",
      { deploy: { restart_policy: { delay: "soon" } } },
      "services.web.deploy.restart_policy.delay: 'soon' is not a duration",
    ],
    [
      "a bad update monitor",
      { deploy: { update_config: { monitor: "10" } } },
      "services.web.deploy.update_config.monitor: '10' is not a duration",
    ],
    [
      "a bad rollback delay",
      { deploy: { rollback_config: { delay: "1x" } } },
      "services.web.deploy.rollback_config.delay: '1x' is not a duration",
    ],
    [
      "a bad healthcheck interval",
      { healthcheck: { test: "true", interval: "often" } },
      "services.web.healthcheck.interval: 'often' is not a duration",
    ],
    [
      "a bad stop_grace_period",
      { stop_grace_period: "forever" },
      "services.web.stop_grace_period: 'forever' is not a duration",
    ],
  ])("refuses %s", (_name, svc, message) => {
    expect(configError(() => web(svc)).message).toContain(message);
  });
});

describe("composeToModel: volumes", () => {
  it.each<[unknown, unknown]>([
    ["/anon", { type: "volume", target: "/anon" }],
    [
      "/srv/html:/usr/share/nginx/html",
      { type: "bind", source: "/srv/html", target: "/usr/share/nginx/html" },
    ],
    ["./conf:/etc/conf:ro", { type: "bind", source: "./conf", target: "/etc/conf", readOnly: true }],
    ["~/cache:/cache:rw", { type: "bind", source: "~/cache", target: "/cache" }],
    ["data:/data", { type: "volume", source: "data", target: "/data" }],
    ["data:/data:ro,nocopy", { type: "volume", source: "data", target: "/data", readOnly: true }],
    ["shared:/shared", { type: "volume", source: "shared", target: "/shared" }],
    [
      { type: "tmpfs", target: "/tmp", tmpfs: { size: "64m", mode: 0o1777 } },
      { type: "tmpfs", target: "/tmp", sizeBytes: 64 * MiB, mode: 0o1777 },
    ],
    [
      { type: "tmpfs", target: "/tmp", tmpfs: { size: 1000 } },
      { type: "tmpfs", target: "/tmp", sizeBytes: 1000 },
    ],
    [
      { type: "tmpfs", target: "/run", read_only: true },
      { type: "tmpfs", target: "/run", readOnly: true },
    ],
    [
      { type: "bind", source: "/a", target: "/b", read_only: true, bind: { propagation: "rshared" } },
      { type: "bind", source: "/a", target: "/b", readOnly: true, propagation: "rshared" },
    ],
    [
      { type: "volume", source: "data", target: "/d", volume: { nocopy: true } },
      { type: "volume", source: "data", target: "/d", noCopy: true },
    ],
    [
      { type: "volume", target: "/anon" },
      { type: "volume", target: "/anon" },
    ],
  ])("converts %j", (volume, expected) => {
    expect(web({ volumes: [volume] }).mounts).toEqual([expected]);
  });

  it("leaves mounts unset for an empty list", () => {
    expect(web({ volumes: [] }).mounts).toBeUndefined();
  });

  it.each<[unknown[], string]>([
    [["nope:/x"], "services.web.volumes.0: volume 'nope' is not defined under the top-level volumes"],
    [["data:/data", "nope:/x:ro"], "services.web.volumes.1: volume 'nope' is not defined"],
    [
      [{ type: "volume", source: "nope", target: "/x" }],
      "services.web.volumes.0: volume 'nope' is not defined",
    ],
    [
      [{ type: "npipe", source: "a", target: "b" }],
      "services.web.volumes.0.type: 'npipe' mounts are not supported",
    ],
    [
      [{ type: "tmpfs", target: "/t", tmpfs: { size: "huge" } }],
      "services.web.volumes.0.tmpfs.size: 'huge' is not a size",
    ],
  ])("refuses %j", (volumes, message) => {
    expect(configError(() => web({ volumes })).message).toContain(message);
  });
});

describe("composeToModel: secrets and configs", () => {
  it.each<[string, Doc, "secrets" | "configs", unknown]>([
    [
      "a short secret reference with defaults",
      { secrets: ["db"] },
      "secrets",
      [{ source: "db", target: "db", uid: "0", gid: "0", mode: 0o444 }],
    ],
    [
      "a long secret reference",
      { secrets: [{ source: "db", target: "/run/pw", uid: "1000", gid: "1001", mode: 0o400 }] },
      "secrets",
      [{ source: "db", target: "/run/pw", uid: "1000", gid: "1001", mode: 0o400 }],
    ],
    [
      "a long reference without a target",
      { secrets: [{ source: "token" }] },
      "secrets",
      [{ source: "token", target: "token", uid: "0", gid: "0", mode: 0o444 }],
    ],
    [
      "a config reference",
      { configs: ["conf", { source: "conf", target: "/etc/app.conf", mode: 0o440 }] },
      "configs",
      [
        { source: "conf", target: "conf", uid: "0", gid: "0", mode: 0o444 },
        { source: "conf", target: "/etc/app.conf", uid: "0", gid: "0", mode: 0o440 },
      ],
    ],
  ])("converts %s", (_name, svc, key, expected) => {
    expect(web(svc)[key]).toEqual(expected);
  });

  it.each<[Doc, string]>([
    [
      { secrets: ["nope"] },
      "services.web.secrets.0: secret 'nope' is not defined under the top-level secrets",
    ],
    [{ secrets: ["db", { source: "nope" }] }, "services.web.secrets.1: secret 'nope' is not defined"],
    [{ configs: ["db"] }, "services.web.configs.0: config 'db' is not defined under the top-level configs"],
  ])("refuses %j", (svc, message) => {
    expect(configError(() => web(svc)).message).toContain(message);
  });

  it("refuses a reference when the stack defines no secrets", () => {
    const doc = { services: { web: { image: "a", secrets: ["db"] } } };
    expect(configError(() => convert(doc)).message).toContain("services.web.secrets.0: secret 'db'");
  });
});

describe("composeToModel: networks", () => {
  it.each<[string, Doc, unknown]>([
    [
      "a list",
      { networks: ["front", "back"] },
      [
        { name: "front", aliases: [] },
        { name: "back", aliases: [] },
      ],
    ],
    [
      "a map with aliases",
      { networks: { front: { aliases: ["www", "site"] }, back: null } },
      [
        { name: "front", aliases: ["www", "site"] },
        { name: "back", aliases: [] },
      ],
    ],
    ["the implicit default network", { networks: ["default"] }, [{ name: "default", aliases: [] }]],
    ["no networks", {}, undefined],
  ])("converts %s", (_name, svc, expected) => {
    expect(web(svc).networks).toEqual(expected);
  });

  it.each<[Doc, string]>([
    [
      { networks: ["nope"] },
      "services.web.networks.nope: network 'nope' is not defined under the top-level networks",
    ],
    [{ networks: { front: {}, nope: { aliases: ["x"] } } }, "services.web.networks.nope: network 'nope'"],
  ])("refuses %j", (svc, message) => {
    expect(configError(() => web(svc)).message).toContain(message);
  });
});

describe("composeToModel: what the API cannot take", () => {
  it("caps an environment value like the short form does", () => {
    expect(web({ environment: { BIG: "x".repeat(32 * 1024) } }).env.BIG).toHaveLength(32 * 1024);
    expect(configError(() => web({ environment: { BIG: "x".repeat(32 * 1024 + 1) } })).message).toBe(
      "services.web.environment.BIG: must be at most 32768 characters",
    );
    expect(configError(() => web({ environment: [`BIG=${"x".repeat(5 * MiB)}`] })).message).toBe(
      "services.web.environment.BIG: must be at most 32768 characters",
    );
  });

  it.each<[string, unknown, string]>([
    ["a path", "./app.env", "./app.env"],
    ["a list", ["a.env", "/etc/b.env"], "a.env, /etc/b.env"],
    ["the long syntax", [{ path: "c.env", required: false }], "c.env"],
  ])(
    "refuses env_file it would have to read (%s), naming the service and the file",
    (_name, envFile, files) => {
      const err = configError(() => web({ env_file: envFile }));
      expect(err.path).toBe("services.web.env_file");
      expect(err.message).toContain(`cannot read ${files}: the server reads no files`);
    },
  );
});

describe("composeToModel: x-berth-domains", () => {
  it("reads a service's routes; they publish nothing", () => {
    const { model } = convert({
      services: {
        web: {
          image: "local/httpd:1",
          "x-berth-domains": [
            { host: "Shop.Example.test", port: 8080 },
            { host: "shop.example.test", port: "9090", path: "/api/", tls: "acme", https_redirect: true },
          ],
        },
      },
    });
    // Two TLS modes on one host are refused (below); here both default to / are acme.
    expect(model.services[0]!.ports).toEqual([]);
    expect(model.services[0]!.domains).toEqual([
      { host: "shop.example.test", path: "", port: 8080, tls: "acme", httpsRedirect: false },
      { host: "shop.example.test", path: "/api", port: 9090, tls: "acme", httpsRedirect: true },
    ]);
  });

  it.each<[unknown, string]>([
    ["shop.test", "services.web.x-berth-domains: must be a list"],
    [[{ host: "shop.test" }], "services.web.x-berth-domains.0.port: is required"],
    [[{ port: 80 }], "services.web.x-berth-domains.0.host: is required"],
    [[{ host: "shop.test", port: 80, name: "x" }], "services.web.x-berth-domains.0.name: unknown field"],
    [[{ host: "shop.test:80", port: 80 }], "services.web.x-berth-domains.0.host: must be a host name only"],
    [
      [
        { host: "shop.test", port: 80, tls: "off" },
        { host: "shop.test", port: 80, path: "/a" },
      ],
      "services.web.x-berth-domains.1.tls: shop.test is also routed with tls off",
    ],
  ])("refuses %j naming the field", (domains, message) => {
    expect(
      configError(() =>
        convert({ services: { web: { image: "local/httpd:1", "x-berth-domains": domains } } }),
      ).message,
    ).toContain(message);
  });
});

describe("composeToModel: x-berth-databases", () => {
  it("reads a service's managed databases, each once", () => {
    const { model } = convert({
      services: { web: { image: "local/httpd:1", "x-berth-databases": ["main", "logs", "main"] } },
    });
    expect(model.services[0]!.databases).toEqual(["main", "logs"]);
  });

  it.each<[unknown, string]>([
    ["main", "services.web.x-berth-databases: must be a list of database names"],
    [["Main_DB"], "services.web.x-berth-databases.0: 'Main_DB' must be lowercase"],
    [[3], "services.web.x-berth-databases.0: must be a database name"],
  ])("refuses %j naming the field", (databases, message) => {
    expect(
      configError(() =>
        convert({ services: { web: { image: "local/httpd:1", "x-berth-databases": databases } } }),
      ).message,
    ).toContain(message);
  });
});

describe("effectiveCapabilities: cap_add and cap_drop as docker stack deploy sends them", () => {
  it.each<[string[], string[], { add: string[]; drop: string[] }]>([
    [
      ["net_admin", "CAP_NET_RAW", "chown"],
      ["ALL", "chown"],
      { add: ["CAP_CHOWN", "CAP_NET_ADMIN", "CAP_NET_RAW"], drop: ["ALL"] },
    ],
    [[" sys_time ", "SYS_TIME"], [], { add: ["CAP_SYS_TIME"], drop: [] }],
    [["ALL", "NET_ADMIN"], ["all", "mknod"], { add: ["ALL"], drop: [] }],
    [[], ["net_raw", "CAP_MKNOD"], { add: [], drop: ["CAP_MKNOD", "CAP_NET_RAW"] }],
  ])("add %j, drop %j", (add, drop, want) => {
    expect(effectiveCapabilities(add, drop)).toEqual(want);
  });
});
