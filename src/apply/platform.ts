// What the apply layer works with: the state database, the engine, and facts about the cluster.
// Built once at start and passed in; no module-level singletons.
import type { Logger } from "pino";
import type { ImageBuilder } from "../engine/builder.js";
import type { ClusterInfo, Engine } from "../engine/engine.js";
import type { PostgresExec } from "../engine/postgres-exec.js";
import type { ProxyAdmin } from "../engine/proxy-admin.js";
import type { ImageRegistry } from "../engine/registry.js";
import type { VolumeArchiver } from "../engine/volume-archiver.js";
import type { JobQueue } from "../jobs/queue.js";
import type { PortRange } from "../plan/host-ports.js";
import type { Sealer } from "../security/sealer.js";
import type { Db } from "../store/db.js";
import type { BackupSettings } from "./archive-io.js";
import type { CertificateBook } from "./certificates.js";
import type { PostgresSettings } from "./databases.js";

export interface Platform {
  db: Db;
  /** This installation's id (the `berth.instance` label on what it creates). */
  instanceId: string;
  /** Berth's data directory (master key, embedded database): no workload may bind it. */
  dataDir: string;
  engine: Engine;
  jobs: JobQueue;
  cluster: ClusterInfo;
  log: Logger;
  hostPortRange: PortRange;
  /** How long each updated task is watched where a service does not say (BERTH_UPDATE_MONITOR), in ns. */
  updateMonitor: number;
  /** Writes the current state of these services to the database (set once the observer runs). */
  refreshServices: (swarmIds: string[]) => Promise<void>;
  /**
   * Calls `fn` with the service of every Engine event that may move its rollout (the observer's,
   * set once it runs); returns the unsubscribe function.
   */
  onServiceEvent: (fn: (serviceId: string) => void) => () => void;
  /** Seals secret values at rest and names content by a keyed digest. */
  sealer: Sealer;
  /** How long a rollout may take before the deployment counts as failed. */
  rolloutTimeoutMs: number;
  /** Finished revisions kept per stack; older ones are deleted as new ones are recorded (never the live one). */
  revisionHistory: number;
  /** The routing proxy (a system stack) and the way to its admin API. */
  proxy: ProxySettings;
  proxyAdmin: ProxyAdmin;
  /** What the proxy served for each host with TLS at the last check (apply/certificates.ts). */
  certificates: CertificateBook;
  /** The backup store and its key. */
  backups: BackupSettings;
  /** Reads and replaces volume contents through helper containers. */
  archiver: VolumeArchiver;
  /** Builds images from uploaded contexts (`berth deploy --build`). */
  builder: ImageBuilder;
  builds: BuildSettings;
  /** Berth's own registry (a system stack) that builds go through on a multi-node swarm. */
  registry: RegistrySettings;
  imageRegistry: ImageRegistry;
  /** Managed databases: the shared server's settings, and pg_dump / pg_restore inside it. */
  postgres: PostgresSettings;
  pgExec: PostgresExec;
}

export interface BuildSettings {
  /** Where uploaded build contexts wait for their build job (in the data dir). */
  dir: string;
  /** Built images kept per (org, stack, service). */
  keep: number;
  /** Largest context accepted, in bytes. */
  maxContextBytes: number;
}

export interface RegistrySettings {
  /** `auto`: used when the swarm has more than one node; `on`: always; `off`: never (`BERTH_REGISTRY`). */
  mode: "auto" | "on" | "off";
  /** `BERTH_REGISTRY_IMAGE` (default `registry:2`). */
  image: string;
  /** Host port (host mode) on the registry's node (`BERTH_REGISTRY_PORT`, default 5000). */
  hostPort: number;
  /** `host:port` the nodes pull from (`BERTH_REGISTRY_ADDRESS`); unset: the registry node's address. */
  address?: string;
  /** `key=value` node label the registry is pinned to (`BERTH_REGISTRY_NODE_LABEL`); unset: Berth's node. */
  nodeLabel?: string;
}

export interface ProxySettings {
  image: string;
  httpPort: number;
  httpsPort: number;
  /** Host directory (in the data dir) bind-mounted into the proxy: Caddy's admin socket is there. */
  socketDir: string;
  /** ACME settings for `acme` routes (default: Let's Encrypt). */
  /** `caRootFile`: a host file, the PEM root of a private ACME CA, handed to the proxy at each sync. */
  acme: { email?: string; directory?: string; caRootFile?: string };
  /** How long a proxy sync waits for the proxy's admin API to answer before it fails. */
  adminWaitMs: number;
  /** How often Berth checks that the proxy runs the routing table (and re-pushes it when not). */
  syncIntervalMs: number;
  /** Nodes the proxy runs on: those with this label; unset, the node Berth runs on. */
  nodeLabel?: { key: string; value: string };
  /**
   * Whether the host's kernel can hand a closing listener's queued connections to its successor
   * (`net.ipv4.tcp_migrate_req`, Linux 5.14+): see plan/proxy-stack.ts.
   */
  migrateRequests: boolean;
}
