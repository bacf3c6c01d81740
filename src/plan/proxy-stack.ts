// The routing proxy as a system stack: a StackModel in the reserved system organization, deployed
// by the same machinery as tenant stacks (plan, record a revision, deploy job, rollout, drift repair).
// Exempt from the tenant policy only where stated (`PROXY_POLICY`): host ports outside the tenant
// range (80/443 or the configured ones), one bind mount (the Berth-owned directory that holds Caddy's
// admin socket) and placement on Berth's own node (where that directory is).

import type { StackModel } from "../domain/stack.js";
import { PROXY_SERVICE, PROXY_STACK, SYSTEM_LABEL, SYSTEM_ORG } from "../domain/system.js";
import { bootstrapCaddyConfig } from "./caddy-config.js";
import type { PolicyRelaxations } from "./policy.js";

/** Where the admin socket's directory is mounted inside the proxy's container. */
export const PROXY_SOCKET_DIR = "/run/berth-proxy";
export const PROXY_ADMIN_SOCKET = `${PROXY_SOCKET_DIR}/admin.sock`;
/**
 * The proxy writes `caddy version` here at start (beside the socket, so on Berth's node): what the
 * config may use depends on it (plan/caddy-config.ts `proxyFeatures`).
 */
export const PROXY_VERSION_FILE = "caddy-version";
/** Certificates, keys and Caddy's saved config live on the stack's `data` volume. */
export const PROXY_DATA_DIR = "/data";

export const PROXY_POLICY: PolicyRelaxations = { bindMounts: true, hostPortsAnywhere: true, nodeIds: true };

export interface ProxyStackSettings {
  image: string;
  httpPort: number;
  httpsPort: number;
  /** Host directory (Berth's, on its own node) where Caddy creates its admin socket. */
  socketDir: string;
  /** The node Berth runs on: the socket is a file there. */
  nodeId: string;
  /**
   * The admin's choice of nodes for the proxy (`BERTH_PROXY_NODE_LABEL`): those carrying this label.
   * Unset: the node Berth runs on (a manager).
   */
  nodeLabel?: { key: string; value: string } | undefined;
  /** Networks of the organizations that have routes (their names on the swarm), and nothing else. */
  orgNetworks: string[];
  /** Whether the kernel has `net.ipv4.tcp_migrate_req` (MIGRATE_REQ_SYSCTL). */
  migrateRequests?: boolean;
}

/**
 * At each config load Caddy opens new listening sockets beside the old ones (SO_REUSEPORT) and
 * closes the old: a connection the kernel had queued on an old socket, not yet accepted, would be
 * reset. With this sysctl on, in the proxy's own network namespace, the kernel moves those
 * connections to the new socket instead, so a route change drops no new connection.
 */
export const MIGRATE_REQ_SYSCTL = "net.ipv4.tcp_migrate_req";
export const MIGRATE_REQ_SYSCTL_PATH = `/proc/sys/${MIGRATE_REQ_SYSCTL.replaceAll(".", "/")}`;

const SECOND = 1_000_000_000;

/** Where the proxy may run: the labelled nodes the admin picked, else Berth's own node. */
export function proxyPlacement(s: Pick<ProxyStackSettings, "nodeId" | "nodeLabel">): string {
  return s.nodeLabel ? `node.labels.${s.nodeLabel.key}==${s.nodeLabel.value}` : `node.id==${s.nodeId}`;
}

export function planProxyStack(s: ProxyStackSettings): StackModel {
  const networks = [...new Set(s.orgNetworks)].sort();
  const key = (net: string) => `route-${networks.indexOf(net)}`;
  const bootstrap = Buffer.from(
    `${JSON.stringify(bootstrapCaddyConfig({ adminSocket: PROXY_ADMIN_SOCKET }))}\n`,
  );
  return {
    org: SYSTEM_ORG,
    name: PROXY_STACK,
    services: [
      {
        name: PROXY_SERVICE,
        image: s.image,
        // A socket left by a killed container would stop the new one from listening. `--resume`
        // starts from the config Berth last pushed (saved on the volume); Berth re-pushes anyway.
        entrypoint: ["/bin/sh", "-c"],
        command: [
          `rm -f ${PROXY_ADMIN_SOCKET}; caddy version > ${PROXY_SOCKET_DIR}/${PROXY_VERSION_FILE} 2>/dev/null; exec caddy run --resume --config /etc/berth/caddy.json`,
        ],
        env: { XDG_CONFIG_HOME: `${PROXY_DATA_DIR}/config`, XDG_DATA_HOME: PROXY_DATA_DIR },
        ports: [
          { target: 80, published: s.httpPort, protocol: "tcp", mode: "host" },
          { target: 443, published: s.httpsPort, protocol: "tcp", mode: "host" },
        ],
        replicas: 1,
        resources: { cpus: 1, memoryBytes: 512 * 1024 * 1024 },
        labels: { [SYSTEM_LABEL]: "true" },
        mounts: [
          { type: "volume", source: "data", target: PROXY_DATA_DIR },
          { type: "bind", source: s.socketDir, target: PROXY_SOCKET_DIR },
        ],
        configs: [{ source: "bootstrap", target: "/etc/berth/caddy.json", uid: "0", gid: "0", mode: 0o444 }],
        placement: { constraints: [proxyPlacement(s)] },
        stopGracePeriod: 10 * SECOND,
        ...(s.migrateRequests ? { sysctls: { [MIGRATE_REQ_SYSCTL]: "1" } } : {}),
        ...(networks.length ? { networks: networks.map((n) => ({ name: key(n), aliases: [] })) } : {}),
      },
    ],
    ...(networks.length
      ? { networks: Object.fromEntries(networks.map((n) => [key(n), { external: n }])) }
      : {}),
    volumes: { data: {} },
    configs: { bootstrap: { data: bootstrap.toString("base64") } },
  };
}
