// Control-plane settings from flags and environment variables, validated in one place.
import { isIP } from "node:net";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../domain/errors.js";
import { DEFAULT_API_PORT, DEFAULT_HOST_PORT_RANGE, DEFAULT_UPDATE_MONITOR_SECONDS } from "./defaults.js";
import { parseInput } from "./validate.js";

export interface ServerConfig {
  dataDir: string;
  host: string;
  port: number;
  /** PostgreSQL server; when absent, the embedded PGlite in `<dataDir>/pgdata`. */
  databaseUrl?: string;
  advertiseAddr?: string;
  routingMesh: "on" | "off" | "auto";
  rolloutTimeoutMs: number;
  /** How long Swarm and Berth watch each updated task where a service does not say, in ms. */
  updateMonitorMs: number;
  /** How often drift between the database and Swarm is checked. */
  driftIntervalMs: number;
  /** Repair drift of Berth's own objects automatically. */
  autoRepair: boolean;
  /** Fault injection for benchmarks and tests: a deliberately slow event consumer. */
  observerEventDelayMs: number;
  /** Finished revisions kept per stack (the live one is always kept). */
  revisionHistory: number;
  /** Built images kept per (org, stack, service); older ones no service uses are removed. */
  buildKeep: number;
  /** Deploy jobs (of different stacks) one control plane runs at once, and one organization at once. */
  deployConcurrency: number;
  deployConcurrencyPerOrg: number;
  logLevel: string;
  /** Host ports Berth picks from for services that publish one (and the only ones tenants may ask for). */
  hostPorts: { from: number; to: number };
  /** Reverse proxies (addresses, CIDRs, or loopback/linklocal/uniquelocal) whose X-Forwarded-* are believed. */
  trustedProxies: string[];
  /** Host ports of the routing proxy (host mode) and its image. */
  httpPort: number;
  httpsPort: number;
  proxyImage: string;
  /** How often the proxy's running config is compared with the routing table. */
  proxySyncIntervalMs: number;
  /** How long a proxy sync waits for the proxy's admin API. */
  proxyAdminTimeoutMs: number;
  /**
   * Nodes the proxy may run on: those with this label (`key` means `key=true`); unset, the node
   * Berth runs on (a manager).
   */
  proxyNodeLabel?: { key: string; value: string };
  /** How often a served certificate is checked again (a TLS handshake per host). */
  certCheckIntervalMs: number;
  acmeEmail?: string;
  /** ACME directory URL for `acme` routes (default: Let's Encrypt). */
  acmeDirectory?: string;
  /** PEM root certificate of a private ACME CA's directory (a host file; e.g. step-ca, a staging CA). */
  acmeCaRoot?: string;
  /** The backup store: a directory every node can reach (default `<dataDir>/backups`). */
  backupDir: string;
  /** Encrypt new archives; `auto` (the default) encrypts when the store is not the local default. */
  backupEncrypt: boolean;
  /** Image of the helper container that empties a volume before a restore (needs `find` and `rm`). */
  backupHelperImage: string;
  /** The shared PostgreSQL server of managed databases: its image, where it runs, how Berth reaches it. */
  postgresImage: string;
  postgresPort: number;
  postgresHost: string;
  postgresNodeLabel?: string;
  /**
   * Berth's own registry for builds on a multi-node swarm: `auto` (used when the swarm has more than
   * one node), `on` (always), `off` (never: builds stay on the node that built them).
   */
  registry: "auto" | "on" | "off";
  registryImage: string;
  /** Host port (host mode) on the registry's node. */
  registryPort: number;
  /** `host[:port]` every node's engine pulls from; default the registry node's address and port. */
  registryAddress?: string;
  /** `key=value` node label the registry is pinned to; unset: Berth's own node. */
  registryNodeLabel?: string;
}

/** A node label a system service is pinned to: `key` or `key=value` (Swarm placement). */
export const nodeLabel = z
  .string()
  .max(201)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*(=[a-zA-Z0-9_.-]+)?$/, "must be a node label: key or key=value");

const hostPort = z.coerce
  .number({ error: "must be a number" })
  .int()
  .min(1, "must be between 1 and 65535")
  .max(65535, "must be between 1 and 65535");

const RANGE_ERROR = "must be a range of host ports like 30000-32767 (from 1 to 65535, low-high)";

/** `from-to`, both host ports, from <= to. */
const portRange = z
  .string()
  .regex(/^\d{1,5}-\d{1,5}$/, RANGE_ERROR)
  .transform((v) => {
    const [from, to] = v.split("-").map(Number) as [number, number];
    return { from, to };
  })
  .refine((r) => r.from >= 1 && r.to <= 65535 && r.from <= r.to, RANGE_ERROR);

const schema = z.object({
  dataDir: z.string().min(1),
  host: z.string().min(1),
  port: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(1, "must be between 1 and 65535")
    .max(65535, "must be between 1 and 65535"),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  advertiseAddr: z.string().min(1).optional(),
  routingMesh: z.enum(["on", "off", "auto"], { error: "must be on, off or auto" }),
  rolloutTimeoutMs: z.coerce.number().int().positive(),
  updateMonitorMs: z.coerce
    .number({ error: "must be a number of seconds from 0 to 600" })
    .min(0, "must be a number of seconds from 0 to 600")
    .max(600_000, "must be a number of seconds from 0 to 600"),
  driftIntervalMs: z.coerce.number().int().min(1000, "must be at least 1 second"),
  observerEventDelayMs: z.coerce.number().int().min(0).max(10_000),
  revisionHistory: z.coerce
    .number({ error: "must be a whole number from 1" })
    .int("must be a whole number from 1")
    .min(1, "must be a whole number from 1"),
  buildKeep: z.coerce
    .number({ error: "must be a whole number from 1" })
    .int("must be a whole number from 1")
    .min(1, "must be a whole number from 1"),
  deployConcurrency: z.coerce
    .number({ error: "must be a whole number from 1 to 64" })
    .int("must be a whole number from 1 to 64")
    .min(1, "must be a whole number from 1 to 64")
    .max(64, "must be a whole number from 1 to 64"),
  deployConcurrencyPerOrg: z.coerce
    .number({ error: "must be a whole number from 1 to 64" })
    .int("must be a whole number from 1 to 64")
    .min(1, "must be a whole number from 1 to 64")
    .max(64, "must be a whole number from 1 to 64"),
  autoRepair: z.enum(["on", "off"], { error: "must be on or off" }).transform((v) => v === "on"),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  hostPorts: portRange,
  httpPort: hostPort,
  httpsPort: hostPort,
  proxyImage: z.string().min(1).max(300),
  proxySyncIntervalMs: z.coerce.number().int().min(500, "must be at least 0.5 seconds").max(3_600_000),
  proxyAdminTimeoutMs: z.coerce.number().int().min(1000, "must be at least 1 second").max(3_600_000),
  proxyNodeLabel: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(=[A-Za-z0-9._-]{1,128})?$/,
      "must be a node label key or key=value (letters, digits, . _ -)",
    )
    .transform((v) => {
      const [key, value] = v.split("=");
      return { key: key!, value: value ?? "true" };
    })
    .optional(),
  certCheckIntervalMs: z.coerce.number().int().min(1000, "must be at least 1 second").max(86_400_000),
  acmeEmail: z.email("must be an email address").optional(),
  acmeDirectory: z.url({ protocol: /^https$/, error: "must be an https:// URL" }).optional(),
  acmeCaRoot: z
    .string()
    .refine((v) => v.startsWith("/"), "must be an absolute path to a PEM file")
    .optional(),
  backupDir: z
    .string()
    .min(1)
    .refine((v) => isAbsolute(v), "must be an absolute path"),
  backupEncrypt: z.enum(["on", "off", "auto"], { error: "must be on, off or auto" }),
  backupHelperImage: z.string().min(1).max(300),
  postgresImage: z.string().min(1).max(300),
  postgresPort: hostPort,
  postgresHost: z.string().min(1).max(255),
  postgresNodeLabel: nodeLabel.optional(),
  registry: z.enum(["on", "off", "auto"], { error: "must be on, off or auto" }),
  registryImage: z.string().min(1).max(300),
  registryPort: hostPort,
  registryAddress: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, "must be host or host:port (no scheme, no path)")
    .optional(),
  registryNodeLabel: nodeLabel.optional(),
  trustedProxies: z.array(z.string()).superRefine((list, ctx) => {
    const bad = list.find((a) => !isProxyAddress(a));
    if (bad !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `'${bad.slice(0, 60)}' is not an address, a CIDR (like 10.0.0.0/8), loopback, linklocal or uniquelocal`,
      });
    }
  }),
});

const PROXY_RANGES = ["loopback", "linklocal", "uniquelocal"];

/** An IP address, a CIDR (`10.0.0.0/8`, `fd00::/8`), or a named range that proxy-addr knows. */
export function isProxyAddress(v: string): boolean {
  if (PROXY_RANGES.includes(v)) return true;
  const [addr = "", prefix, ...rest] = v.split("/");
  const family = isIP(addr);
  if (family === 0 || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.BERTH_DATA_DIR || join(homedir(), ".berth"));
}

/** Flags win over environment variables, which win over defaults. */
export function loadServerConfig(
  flags: {
    dataDir?: string;
    port?: string | number;
    host?: string;
    httpPort?: string | number;
    httpsPort?: string | number;
    proxyNodeLabel?: string;
  },
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const dataDir = flags.dataDir ? resolve(flags.dataDir) : defaultDataDir(env);
  const raw = {
    dataDir,
    host: flags.host ?? env.BERTH_HOST ?? "127.0.0.1",
    port: flags.port ?? env.BERTH_PORT ?? DEFAULT_API_PORT,
    databaseUrl: env.DATABASE_URL || undefined,
    advertiseAddr: env.BERTH_SWARM_ADVERTISE_ADDR || undefined,
    routingMesh: env.BERTH_ROUTING_MESH ?? "auto",
    rolloutTimeoutMs: (Number(env.BERTH_ROLLOUT_TIMEOUT) || 180) * 1000,
    updateMonitorMs: Math.round(Number(env.BERTH_UPDATE_MONITOR ?? DEFAULT_UPDATE_MONITOR_SECONDS) * 1000),
    driftIntervalMs: Number(env.BERTH_DRIFT_INTERVAL ?? 60) * 1000,
    autoRepair: env.BERTH_AUTO_REPAIR ?? "on",
    observerEventDelayMs: env.BERTH_OBSERVER_EVENT_DELAY_MS ?? 0,
    revisionHistory: env.BERTH_REVISION_HISTORY || 50,
    buildKeep: env.BERTH_BUILD_KEEP || 5,
    deployConcurrency: env.BERTH_DEPLOY_CONCURRENCY || 4,
    deployConcurrencyPerOrg: env.BERTH_DEPLOY_CONCURRENCY_PER_ORG || 2,
    logLevel: env.BERTH_LOG_LEVEL ?? "info",
    hostPorts: env.BERTH_HOST_PORTS || `${DEFAULT_HOST_PORT_RANGE.from}-${DEFAULT_HOST_PORT_RANGE.to}`,
    httpPort: flags.httpPort ?? env.BERTH_HTTP_PORT ?? 80,
    httpsPort: flags.httpsPort ?? env.BERTH_HTTPS_PORT ?? 443,
    proxyImage: env.BERTH_PROXY_IMAGE || "caddy:2",
    proxySyncIntervalMs: Number(env.BERTH_PROXY_SYNC_INTERVAL ?? 5) * 1000,
    proxyAdminTimeoutMs: Number(env.BERTH_PROXY_ADMIN_TIMEOUT ?? 60) * 1000,
    proxyNodeLabel: flags.proxyNodeLabel ?? (env.BERTH_PROXY_NODE_LABEL || undefined),
    certCheckIntervalMs: Number(env.BERTH_CERT_CHECK_INTERVAL ?? 900) * 1000,
    acmeEmail: env.BERTH_ACME_EMAIL || undefined,
    acmeDirectory: env.BERTH_ACME_DIRECTORY || undefined,
    acmeCaRoot: env.BERTH_ACME_CA_ROOT || undefined,
    backupDir: env.BERTH_BACKUP_DIR || join(dataDir, "backups"),
    backupEncrypt: env.BERTH_BACKUP_ENCRYPT || "auto",
    backupHelperImage: env.BERTH_BACKUP_HELPER_IMAGE || "busybox:1.36",
    postgresImage: env.BERTH_POSTGRES_IMAGE || "postgres:15",
    postgresPort: env.BERTH_POSTGRES_PORT || 5433,
    postgresHost: env.BERTH_POSTGRES_HOST || "127.0.0.1",
    postgresNodeLabel: env.BERTH_POSTGRES_NODE_LABEL || undefined,
    registry: env.BERTH_REGISTRY || "auto",
    registryImage: env.BERTH_REGISTRY_IMAGE || "registry:2",
    registryPort: env.BERTH_REGISTRY_PORT || 5000,
    registryAddress: env.BERTH_REGISTRY_ADDRESS || undefined,
    registryNodeLabel: env.BERTH_REGISTRY_NODE_LABEL || undefined,
    trustedProxies: (env.BERTH_TRUSTED_PROXY ?? "")
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean),
  };
  try {
    const parsed = parseInput(schema, raw);
    // A store outside the data directory is shared storage (NFS, a mounted bucket): sealed by default.
    const encrypt =
      parsed.backupEncrypt === "auto" ? Boolean(env.BERTH_BACKUP_DIR) : parsed.backupEncrypt === "on";
    return { ...parsed, backupEncrypt: encrypt } as ServerConfig;
  } catch (err) {
    if (err instanceof ConfigError) {
      const where = SOURCES[err.path as keyof typeof SOURCES] ?? err.path;
      throw new ConfigError(where, err.message.slice(err.path.length + 2));
    }
    throw err;
  }
}

/** Where each setting comes from, for error messages. */
const SOURCES = {
  dataDir: "--data-dir (BERTH_DATA_DIR)",
  host: "--host (BERTH_HOST)",
  port: "--port (BERTH_PORT)",
  databaseUrl: "DATABASE_URL",
  advertiseAddr: "BERTH_SWARM_ADVERTISE_ADDR",
  routingMesh: "BERTH_ROUTING_MESH",
  rolloutTimeoutMs: "BERTH_ROLLOUT_TIMEOUT",
  updateMonitorMs: "BERTH_UPDATE_MONITOR",
  driftIntervalMs: "BERTH_DRIFT_INTERVAL",
  autoRepair: "BERTH_AUTO_REPAIR",
  observerEventDelayMs: "BERTH_OBSERVER_EVENT_DELAY_MS",
  revisionHistory: "BERTH_REVISION_HISTORY",
  buildKeep: "BERTH_BUILD_KEEP",
  deployConcurrency: "BERTH_DEPLOY_CONCURRENCY",
  deployConcurrencyPerOrg: "BERTH_DEPLOY_CONCURRENCY_PER_ORG",
  logLevel: "BERTH_LOG_LEVEL",
  hostPorts: "BERTH_HOST_PORTS",
  trustedProxies: "BERTH_TRUSTED_PROXY",
  httpPort: "--http-port (BERTH_HTTP_PORT)",
  httpsPort: "--https-port (BERTH_HTTPS_PORT)",
  proxyImage: "BERTH_PROXY_IMAGE",
  proxySyncIntervalMs: "BERTH_PROXY_SYNC_INTERVAL",
  proxyAdminTimeoutMs: "BERTH_PROXY_ADMIN_TIMEOUT",
  proxyNodeLabel: "--proxy-node-label (BERTH_PROXY_NODE_LABEL)",
  certCheckIntervalMs: "BERTH_CERT_CHECK_INTERVAL",
  acmeEmail: "BERTH_ACME_EMAIL",
  acmeDirectory: "BERTH_ACME_DIRECTORY",
  acmeCaRoot: "BERTH_ACME_CA_ROOT",
  backupDir: "BERTH_BACKUP_DIR",
  backupEncrypt: "BERTH_BACKUP_ENCRYPT",
  backupHelperImage: "BERTH_BACKUP_HELPER_IMAGE",
  postgresImage: "BERTH_POSTGRES_IMAGE",
  postgresPort: "BERTH_POSTGRES_PORT",
  postgresHost: "BERTH_POSTGRES_HOST",
  postgresNodeLabel: "BERTH_POSTGRES_NODE_LABEL",
  registry: "BERTH_REGISTRY",
  registryImage: "BERTH_REGISTRY_IMAGE",
  registryPort: "BERTH_REGISTRY_PORT",
  registryAddress: "BERTH_REGISTRY_ADDRESS",
  registryNodeLabel: "BERTH_REGISTRY_NODE_LABEL",
} as const;
