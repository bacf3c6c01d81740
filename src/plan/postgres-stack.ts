// A shared PostgreSQL server as a system stack: one service on the node the platform admin picked
// (a node label, by default the node Berth runs on), its data on the stack's `data` volume, the
// superuser password handed over only as a Docker secret (POSTGRES_PASSWORD_FILE), never in env.
//
// Who reaches it, and how:
// - Berth (the control plane) connects as the superuser to a host-mode port on that node: Swarm cannot
//   publish on loopback only, so the port is outside the tenant host-port range and guarded by the
//   superuser's scram password (sealed in Berth's store) and pg_hba.
// - Tenant services reach it over their own organization's network: the server joins the networks of
//   the organizations that have databases (like the proxy joins those with routes), and nothing else
//   of theirs. A tenant role may connect only to its own database (plan/database.ts).
import { POSTGRES_SERVICE, postgresStack } from "../domain/databases.js";
import type { StackModel } from "../domain/stack.js";
import { SYSTEM_LABEL, SYSTEM_ORG } from "../domain/system.js";
import type { PolicyRelaxations } from "./policy.js";

export const POSTGRES_PORT = 5432;
/** The volume's mount point; PGDATA is a directory inside it (the images' VOLUME is this path). */
export const POSTGRES_DATA_DIR = "/var/lib/postgresql/data";
export const POSTGRES_PASSWORD_TARGET = "postgres-password";

export interface PostgresStackSettings {
  server: string;
  image: string;
  /** Host port (host mode) on the server's node where Berth connects. */
  hostPort: number;
  /** `node.labels.<key>==<value>` or `node.id==<id>`: where the server (and its volume) lives. */
  placement: string;
  /** The superuser's password, already sealed, with its keyed digest (so the model is stable). */
  password: { sealed: string; digest: string };
  /** Networks of the organizations with databases on this server (their names on the swarm). */
  orgNetworks: string[];
}

const SECOND = 1_000_000_000;

/** What the server's stack may do that a tenant's may not: its port, and placement on a given node. */
export function postgresPolicy(placement: string): PolicyRelaxations {
  const label = /^node\.labels\.([^=!]+)/.exec(placement)?.[1];
  return { hostPortsAnywhere: true, nodeIds: true, ...(label ? { placementLabels: [label] } : {}) };
}

export function planPostgresStack(s: PostgresStackSettings): StackModel {
  const networks = [...new Set(s.orgNetworks)].sort();
  const key = (net: string) => `db-${networks.indexOf(net)}`;
  return {
    org: SYSTEM_ORG,
    name: postgresStack(s.server),
    services: [
      {
        name: POSTGRES_SERVICE,
        image: s.image,
        env: {
          PGDATA: `${POSTGRES_DATA_DIR}/pgdata`,
          POSTGRES_PASSWORD_FILE: `/run/secrets/${POSTGRES_PASSWORD_TARGET}`,
        },
        ports: [{ target: POSTGRES_PORT, published: s.hostPort, protocol: "tcp", mode: "host" }],
        replicas: 1,
        resources: { cpus: 1, memoryBytes: 1024 * 1024 * 1024 },
        labels: { [SYSTEM_LABEL]: "true" },
        mounts: [{ type: "volume", source: "data", target: POSTGRES_DATA_DIR }],
        secrets: [{ source: "superuser", target: POSTGRES_PASSWORD_TARGET, uid: "0", gid: "0", mode: 0o444 }],
        placement: { constraints: [s.placement] },
        // tasks.<service> answers on every network it joins, with or without the routing mesh.
        endpointMode: "dnsrr",
        healthcheck: {
          test: ["CMD", "pg_isready", "-q", "-h", "127.0.0.1"],
          interval: 2 * SECOND,
          timeout: 5 * SECOND,
          retries: 30,
          startPeriod: 60 * SECOND,
        },
        // Stop-first: two servers must never open one data directory.
        update: { order: "stop-first", failureAction: "pause" },
        stopGracePeriod: 30 * SECOND,
        ...(networks.length ? { networks: networks.map((n) => ({ name: key(n), aliases: [] })) } : {}),
      },
    ],
    ...(networks.length
      ? { networks: Object.fromEntries(networks.map((n) => [key(n), { external: n }])) }
      : {}),
    volumes: { data: {} },
    secrets: { superuser: { data: s.password.sealed, digest: s.password.digest } },
  };
}

/** Where the server runs: the admin's node label (`key=value`), else Berth's own node. */
export function postgresPlacement(o: { nodeLabel?: string; nodeId: string }): string {
  if (!o.nodeLabel) return `node.id==${o.nodeId}`;
  const [k, v] = o.nodeLabel.split("=");
  return `node.labels.${k}==${v ?? "true"}`;
}
