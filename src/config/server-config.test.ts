import { describe, expect, it } from "vitest";
import { isProxyAddress, loadServerConfig } from "./server-config.js";

describe("loadServerConfig", () => {
  it("uses defaults", () => {
    const c = loadServerConfig({}, { HOME: "/home/x" });
    expect(c).toMatchObject({
      host: "127.0.0.1",
      port: 4780,
      routingMesh: "auto",
      rolloutTimeoutMs: 180_000,
      revisionHistory: 50,
      deployConcurrency: 4,
      deployConcurrencyPerOrg: 2,
    });
    expect(c.databaseUrl).toBeUndefined();
  });

  it("places the proxy on labelled nodes when asked (flag over env), else on Berth's node", () => {
    expect(loadServerConfig({}, {}).proxyNodeLabel).toBeUndefined();
    expect(loadServerConfig({}, { BERTH_PROXY_NODE_LABEL: "berth.proxy" }).proxyNodeLabel).toEqual({
      key: "berth.proxy",
      value: "true",
    });
    expect(
      loadServerConfig({ proxyNodeLabel: "zone=edge" }, { BERTH_PROXY_NODE_LABEL: "x" }).proxyNodeLabel,
    ).toEqual({ key: "zone", value: "edge" });
    expect(() => loadServerConfig({ proxyNodeLabel: "a b" }, {})).toThrow(
      /^--proxy-node-label \(BERTH_PROXY_NODE_LABEL\): must be a node label/,
    );
    expect(loadServerConfig({}, {}).certCheckIntervalMs).toBe(900_000);
  });

  it("keeps backups in the data directory, unencrypted, unless the store is elsewhere", () => {
    const local = loadServerConfig({ dataDir: "/tmp/a" }, {});
    expect(local).toMatchObject({
      backupDir: "/tmp/a/backups",
      backupEncrypt: false,
      backupHelperImage: "busybox:1.36",
    });
    const shared = loadServerConfig({ dataDir: "/tmp/a" }, { BERTH_BACKUP_DIR: "/mnt/nfs/berth" });
    expect(shared).toMatchObject({ backupDir: "/mnt/nfs/berth", backupEncrypt: true });
    expect(
      loadServerConfig({}, { BERTH_BACKUP_DIR: "/mnt/x", BERTH_BACKUP_ENCRYPT: "off" }).backupEncrypt,
    ).toBe(false);
    expect(loadServerConfig({}, { BERTH_BACKUP_ENCRYPT: "on" }).backupEncrypt).toBe(true);
    expect(() => loadServerConfig({}, { BERTH_BACKUP_DIR: "rel/dir" })).toThrow(
      "BERTH_BACKUP_DIR: must be an absolute path",
    );
    expect(() => loadServerConfig({}, { BERTH_BACKUP_ENCRYPT: "yes" })).toThrow(
      "BERTH_BACKUP_ENCRYPT: must be on, off or auto",
    );
  });

  it("lets flags win over the environment", () => {
    const c = loadServerConfig(
      { dataDir: "/tmp/a", port: "5000" },
      { BERTH_DATA_DIR: "/tmp/b", BERTH_PORT: "6000" },
    );
    expect(c).toMatchObject({ dataDir: "/tmp/a", port: 5000 });
  });

  it("reads the environment", () => {
    const c = loadServerConfig(
      {},
      { BERTH_DATA_DIR: "/tmp/b", BERTH_PORT: "6000", DATABASE_URL: "postgres://u@h/db" },
    );
    expect(c).toMatchObject({ dataDir: "/tmp/b", port: 6000, databaseUrl: "postgres://u@h/db" });
    expect(loadServerConfig({}, { BERTH_REVISION_HISTORY: "5" }).revisionHistory).toBe(5);
    expect(loadServerConfig({}, {}).updateMonitorMs).toBe(5000);
    expect(loadServerConfig({}, { BERTH_UPDATE_MONITOR: "1.5" }).updateMonitorMs).toBe(1500);
    expect(loadServerConfig({}, {}).hostPorts).toEqual({ from: 30000, to: 32767 });
    expect(loadServerConfig({}, { BERTH_HOST_PORTS: "40000-40999" }).hostPorts).toEqual({
      from: 40000,
      to: 40999,
    });
    expect(
      loadServerConfig({}, { BERTH_DEPLOY_CONCURRENCY: "8", BERTH_DEPLOY_CONCURRENCY_PER_ORG: "3" }),
    ).toMatchObject({ deployConcurrency: 8, deployConcurrencyPerOrg: 3 });
  });

  it("reads Berth's registry settings, with their defaults", () => {
    expect(loadServerConfig({}, {})).toMatchObject({
      registry: "auto",
      registryImage: "registry:2",
      registryPort: 5000,
    });
    expect(
      loadServerConfig(
        {},
        {
          BERTH_REGISTRY: "on",
          BERTH_REGISTRY_IMAGE: "local/registry:1",
          BERTH_REGISTRY_PORT: "5050",
          BERTH_REGISTRY_ADDRESS: "registry.internal:443",
          BERTH_REGISTRY_NODE_LABEL: "registry=true",
        },
      ),
    ).toMatchObject({
      registry: "on",
      registryImage: "local/registry:1",
      registryPort: 5050,
      registryAddress: "registry.internal:443",
      registryNodeLabel: "registry=true",
    });
  });

  it("trusts no proxy unless told, else the listed addresses and ranges", () => {
    expect(loadServerConfig({}, {}).trustedProxies).toEqual([]);
    const c = loadServerConfig({}, { BERTH_TRUSTED_PROXY: " 10.0.0.1, 172.16.0.0/12,fd00::/8, loopback " });
    expect(c.trustedProxies).toEqual(["10.0.0.1", "172.16.0.0/12", "fd00::/8", "loopback"]);
  });

  it.each([
    ["10.0.0.1", true],
    ["10.0.0.0/8", true],
    ["::1", true],
    ["fd00::/128", true],
    ["uniquelocal", true],
    ["10.0.0.0/33", false],
    ["fd00::/129", false],
    ["10.0.0.0/8/1", false],
    ["10.0.0", false],
    ["proxy.local", false],
    ["10.0.0.0/", false],
    ["true", false],
  ])("isProxyAddress(%j) is %s", (v, ok) => {
    expect(isProxyAddress(v)).toBe(ok);
  });

  it.each([
    [
      {},
      { BERTH_TRUSTED_PROXY: "10.0.0.1,proxy.local" },
      "BERTH_TRUSTED_PROXY: 'proxy.local' is not an address",
    ],
    [{ port: "0" }, {}, "--port (BERTH_PORT): must be between 1 and 65535"],
    [{ port: "http" }, {}, "--port (BERTH_PORT): must be a number"],
    [{}, { DATABASE_URL: "mysql://x" }, "DATABASE_URL: must be a postgres://"],
    [{}, { BERTH_ROUTING_MESH: "maybe" }, "BERTH_ROUTING_MESH: must be on, off or auto"],
    [{}, { BERTH_REVISION_HISTORY: "0" }, "BERTH_REVISION_HISTORY: must be a whole number from 1"],
    [{}, { BERTH_UPDATE_MONITOR: "5s" }, "BERTH_UPDATE_MONITOR: must be a number of seconds from 0 to 600"],
    [{}, { BERTH_UPDATE_MONITOR: "-1" }, "BERTH_UPDATE_MONITOR: must be a number of seconds from 0 to 600"],
    [{}, { BERTH_HOST_PORTS: "30000" }, "BERTH_HOST_PORTS: must be a range of host ports like 30000-32767"],
    [{}, { BERTH_HOST_PORTS: "31000-30000" }, "BERTH_HOST_PORTS: must be a range of host ports"],
    [{}, { BERTH_HOST_PORTS: "0-100" }, "BERTH_HOST_PORTS: must be a range of host ports"],
    [{}, { BERTH_HOST_PORTS: "60000-70000" }, "BERTH_HOST_PORTS: must be a range of host ports"],
    [{}, { BERTH_REVISION_HISTORY: "lots" }, "BERTH_REVISION_HISTORY: must be a whole number from 1"],
    [{}, { BERTH_DEPLOY_CONCURRENCY: "0" }, "BERTH_DEPLOY_CONCURRENCY: must be a whole number from 1 to 64"],
    [{}, { BERTH_DEPLOY_CONCURRENCY_PER_ORG: "1.5" }, "BERTH_DEPLOY_CONCURRENCY_PER_ORG: must be a whole"],
    [{}, { BERTH_REGISTRY: "yes" }, "BERTH_REGISTRY: must be on, off or auto"],
    [{}, { BERTH_REGISTRY_PORT: "70000" }, "BERTH_REGISTRY_PORT: must be between 1 and 65535"],
    [{}, { BERTH_REGISTRY_ADDRESS: "http://reg:5000" }, "BERTH_REGISTRY_ADDRESS: must be host or host:port"],
    [{}, { BERTH_REGISTRY_NODE_LABEL: "=x" }, "BERTH_REGISTRY_NODE_LABEL: must be a node label"],
  ])("rejects %j %j", (flags, env, message) => {
    expect(() => loadServerConfig(flags, env)).toThrow(message);
  });
});
