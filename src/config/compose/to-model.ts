// A loaded compose document (merged, interpolated, validated) -> Berth's StackModel, reading each
// key the way `docker stack deploy` does. Keys Swarm cannot honour give the docker CLI's warnings;
// values the schema lets through but docker would refuse give a ConfigError naming the field.
import { ConfigError } from "../../domain/errors.js";
import { nameProblem, serviceKeyProblem, stackNamespace } from "../../domain/names.js";
import type {
  FileRefModel,
  HealthcheckModel,
  MountModel,
  NetworkRefModel,
  PortModel,
  RestartModel,
  ServiceDomainModel,
  ServiceModel,
  StackFileModel,
  StackModel,
  StackNetworkModel,
  StackVolumeModel,
  UpdateModel,
} from "../../domain/stack.js";
import { DEFAULT_LIMITS } from "../defaults.js";
import { parseImageRef } from "../image-ref.js";
import { MAX_ENV_VALUE_CHARS } from "../limits.js";
import { checkStackRoutes, normalizeRoute } from "../route.js";
import { activeServices, composeOnlyWarnings } from "./compose-only.js";
import { DATA_KEY } from "./files.js";
import { mappingEntries } from "./mapping.js";
import { platformConstraints, platformWarning } from "./platform.js";
import { shellWords } from "./shell-words.js";
import { parseBytes, parseCpus, parseDuration } from "./units.js";
import { ignoredKeyWarnings } from "./warnings.js";

// biome-ignore lint/suspicious/noExplicitAny: a validated compose document, read key by key
type Doc = Record<string, any>;

export interface ComposeModel {
  model: StackModel;
  /** What docker would print about keys it ignores. */
  warnings: string[];
}

export function composeToModel(doc: Doc, org: string, name: string): ComposeModel {
  const problem = nameProblem("stack", name);
  if (problem) throw new ConfigError("--name", problem);
  const { kept: services, warnings: leftOut } = activeServices(
    Object.entries((doc.services ?? {}) as Record<string, Doc>),
  );
  if (services.length === 0)
    throw new ConfigError(
      "services",
      leftOut.length ? "every service has profiles: none would start" : "the stack defines no services",
    );
  const volumes = mapEntries(doc.volumes, (key, v) => volumeDef(key, v ?? {}));
  const networks = mapEntries(doc.networks, (key, n) => networkDef(key, n ?? {}));
  const model: StackModel = {
    org,
    name,
    services: services
      .map(([key, s]) =>
        service(key, s ?? {}, {
          namespace: stackNamespace(org, name),
          volumes,
          networks,
          secrets: doc.secrets,
          configs: doc.configs,
        }),
      )
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    networks,
    volumes,
    secrets: mapEntries(doc.secrets, (key, f) => fileDef("secrets", key, f ?? {})),
    configs: mapEntries(doc.configs, (key, f) => fileDef("configs", key, f ?? {})),
  };
  checkStackRoutes(
    model.services.flatMap((s) =>
      (s.domains ?? []).map((route, i) => ({ at: `services.${s.name}.${DOMAINS_KEY}.${i}.`, route })),
    ),
  );
  const platforms = services.flatMap(([key, s]) =>
    typeof s?.platform === "string" && s.platform !== ""
      ? [platformWarning(key, s.platform, platformConstraints(s.platform, `services.${key}.platform`))]
      : [],
  );
  return {
    model,
    warnings: [
      ...ignoredKeyWarnings({ services: Object.fromEntries(services) }),
      ...platforms,
      ...composeOnlyWarnings(services),
      ...bridgeWarnings(doc.networks),
      ...leftOut,
    ],
  };
}

/** A service's routes through Berth's proxy (an extension field, so docker ignores it). */
export const DOMAINS_KEY = "x-berth-domains";
/** A service's managed databases: `x-berth-databases: [name, ...]` (`berth db create <name>`). */
export const DATABASES_KEY = "x-berth-databases";

function serviceDatabases(v: unknown, path: string): string[] {
  if (!Array.isArray(v)) fail(path, "must be a list of database names");
  const names = (v as unknown[]).map((n, i) => {
    const problem = typeof n === "string" ? nameProblem("stack", n) : "must be a database name";
    if (problem) fail(`${path}.${i}`, problem);
    return n as string;
  });
  if (names.length > 10) fail(path, "at most 10 databases");
  return [...new Set(names)];
}

function serviceDomains(v: unknown, path: string): ServiceDomainModel[] {
  if (!Array.isArray(v)) fail(path, "must be a list of routes ({host, port, path, tls, https_redirect})");
  return (v as unknown[]).map((e, i) => {
    const at = `${path}.${i}`;
    if (!e || typeof e !== "object" || Array.isArray(e)) fail(at, "must be a mapping with host and port");
    const r = e as Doc;
    const unknown = Object.keys(r).filter(
      (k) => !["host", "port", "path", "tls", "https_redirect"].includes(k),
    );
    if (unknown.length) fail(`${at}.${unknown[0]}`, "unknown field (host, port, path, tls, https_redirect)");
    if (typeof r.host !== "string") fail(`${at}.host`, "is required (a host name)");
    const port = typeof r.port === "string" && /^\d+$/.test(r.port) ? Number(r.port) : r.port;
    if (typeof port !== "number") fail(`${at}.port`, "is required (the container port)");
    if (r.path !== undefined && typeof r.path !== "string") fail(`${at}.path`, "must be a path such as /api");
    if (r.https_redirect !== undefined && typeof r.https_redirect !== "boolean")
      fail(`${at}.https_redirect`, "must be true or false");
    return normalizeRoute(
      {
        host: r.host,
        port,
        path: r.path,
        tls: r.tls === undefined ? undefined : String(r.tls),
        httpsRedirect: r.https_redirect,
      },
      `${at}.`,
    );
  });
}

function mapEntries<T>(defs: unknown, fn: (key: string, v: Doc) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries((defs ?? {}) as Record<string, Doc>))
    if (!k.startsWith("x-")) out[k] = fn(k, v);
  return out;
}

const fail = (path: string, msg: string): never => {
  throw new ConfigError(path, msg);
};

function externalName(key: string, def: Doc): string | undefined {
  const ext = def.external;
  if (ext === true) return typeof def.name === "string" ? def.name : key;
  if (ext && typeof ext === "object") return typeof ext.name === "string" ? ext.name : (def.name ?? key);
  return undefined;
}

function refuseCustomName(path: string, def: Doc) {
  if (def.name !== undefined && !def.external) {
    fail(`${path}.name`, "custom names are not supported: Berth names every object <org>-<stack>_<key>");
  }
}

function networkDef(key: string, n: Doc): StackNetworkModel {
  const path = `networks.${key}`;
  const external = externalName(key, n);
  if (external) return { external };
  refuseCustomName(path, n);
  // docker compose's default driver: deployed as Swarm's (overlay), which joins the stack's services
  // as a bridge network joins a project's containers (warned: bridgeWarnings).
  if (n.driver === "bridge") {
    const { driver: _bridge, driver_opts: _opts, ...rest } = n;
    return networkDef(key, rest);
  }
  if (typeof n.driver === "string" && LOCAL_DRIVERS.has(n.driver)) {
    fail(
      `${path}.driver`,
      `'${n.driver}' networks cannot be used with services: only networks scoped to the swarm can, such as those of the overlay driver (the default)`,
    );
  }
  return {
    ...(n.driver ? { driver: n.driver } : {}),
    ...(n.driver_opts ? { driverOpts: stringMap(n.driver_opts) } : {}),
    ...(n.labels ? { labels: labelMap(n.labels) } : {}),
    ...(n.attachable !== undefined ? { attachable: n.attachable } : {}),
    ...(n.internal !== undefined ? { internal: n.internal } : {}),
    ...(n.ipam
      ? {
          ipam: {
            ...(n.ipam.driver ? { driver: n.ipam.driver } : {}),
            config: ((n.ipam.config ?? []) as Doc[]).map((c) => ({
              ...(c.subnet ? { subnet: c.subnet } : {}),
              ...(c.gateway ? { gateway: c.gateway } : {}),
              ...(c.ip_range ? { ipRange: c.ip_range } : {}),
            })),
          },
        }
      : {}),
  };
}

/** What becomes of networks written with docker compose's default driver, `bridge`. */
function bridgeWarnings(networks: unknown): string[] {
  return Object.entries((networks ?? {}) as Record<string, Doc | null>)
    .filter(([key, n]) => !key.startsWith("x-") && n?.driver === "bridge" && !externalName(key, n))
    .map(
      ([key, n]) =>
        `Network ${key}: driver bridge is local to one node; deployed with Swarm's overlay driver, which joins the stack's services alike${n?.driver_opts ? " (its driver_opts, bridge's, are left out)" : ""}`,
    );
}

/**
 * Drivers whose networks are local to one node: Swarm refuses to attach a service to them (403 "Only
 * networks scoped to the swarm can be used"), so they are refused before anything is created.
 */
const LOCAL_DRIVERS = new Set(["bridge", "host", "none", "null", "macvlan", "ipvlan"]);

function volumeDef(key: string, v: Doc): StackVolumeModel {
  const external = externalName(key, v);
  if (external) return { external };
  refuseCustomName(`volumes.${key}`, v);
  return {
    ...(v.driver ? { driver: v.driver } : {}),
    ...(v.driver_opts ? { driverOpts: stringMap(v.driver_opts) } : {}),
    ...(v.labels ? { labels: labelMap(v.labels) } : {}),
  };
}

function fileDef(kind: "secrets" | "configs", key: string, f: Doc): StackFileModel {
  const path = `${kind}.${key}`;
  const external = externalName(key, f);
  if (external) return { external };
  refuseCustomName(path, f);
  const data =
    f[DATA_KEY] ?? (typeof f.content === "string" ? Buffer.from(f.content).toString("base64") : undefined);
  if (typeof data !== "string") fail(path, "needs `file` (read by the CLI) or `external`");
  return {
    data,
    ...(f.labels ? { labels: labelMap(f.labels) } : {}),
    ...(f.template_driver ? { templateDriver: f.template_driver } : {}),
  };
}

interface StackDefs {
  /** The longest the stack's Swarm namespace can be (`<org>_<stack>`): service keys fit after it. */
  namespace: string;
  volumes: Record<string, StackVolumeModel>;
  networks: Record<string, StackNetworkModel>;
  secrets: unknown;
  configs: unknown;
}

function service(key: string, s: Doc, defs: StackDefs): ServiceModel {
  const path = `services.${key}`;
  const problem = serviceKeyProblem(key, defs.namespace);
  if (problem) fail(path, `service name ${problem}`);
  if (typeof s.image !== "string")
    fail(
      `${path}.image`,
      s.build === undefined
        ? "is required"
        : "is required: a service with build: is built by the CLI (berth stack deploy -c <file> --build sends its context and sets the image), not by this endpoint",
    );
  const ref = parseImageRef(s.image);
  if (typeof ref === "string") fail(`${path}.image`, ref);
  // A loaded document has its env_file read into `environment` (the CLI does it beside the file);
  // one that still names files came from elsewhere, and the server never reads a path for a tenant.
  if (s.env_file !== undefined) fail(`${path}.env_file`, envFileRefusal(s.env_file));
  const d: Doc = s.deploy ?? {};
  const limits: Doc = d.resources?.limits ?? {};
  const reservations: Doc | undefined = d.resources?.reservations;
  const out: ServiceModel = {
    name: key,
    image: s.image,
    env: serviceEnv(s.environment, `${path}.environment`),
    ports: ((s.ports ?? []) as unknown[]).flatMap((p, i) => ports(p, `${path}.ports.${i}`)),
    replicas: d.replicas ?? 1,
    resources: {
      cpus:
        limits.cpus === undefined
          ? DEFAULT_LIMITS.cpus
          : (parseCpus(limits.cpus) ??
            fail(`${path}.deploy.resources.limits.cpus`, `'${limits.cpus}' is not a CPU count`)),
      memoryBytes:
        limits.memory === undefined
          ? DEFAULT_LIMITS.memoryBytes
          : bytes(limits.memory, `${path}.deploy.resources.limits.memory`),
      ...(limits.pids === undefined
        ? {}
        : { pids: pids(limits.pids, `${path}.deploy.resources.limits.pids`) }),
    },
  };
  const set = <K extends keyof ServiceModel>(k: K, v: ServiceModel[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set("entrypoint", command(s.entrypoint, `${path}.entrypoint`));
  set("command", command(s.command, `${path}.command`));
  if (d.mode === "global") out.mode = "global";
  else if (d.mode !== undefined && d.mode !== "replicated")
    fail(`${path}.deploy.mode`, `'${d.mode}' is not supported (replicated or global)`);
  set("maxReplicasPerNode", d.placement?.max_replicas_per_node);
  if (reservations) {
    out.reservations = {
      ...(reservations.cpus === undefined
        ? {}
        : {
            cpus:
              parseCpus(reservations.cpus) ??
              fail(`${path}.deploy.resources.reservations.cpus`, `'${reservations.cpus}' is not a CPU count`),
          }),
      ...(reservations.memory === undefined
        ? {}
        : { memoryBytes: bytes(reservations.memory, `${path}.deploy.resources.reservations.memory`) }),
    };
  }
  set("labels", d.labels ? labelMap(d.labels) : undefined);
  set("containerLabels", s.labels ? labelMap(s.labels) : undefined);
  set("hostname", s.hostname);
  set("user", s.user);
  set("workingDir", s.working_dir);
  set(
    "stopGracePeriod",
    s.stop_grace_period === undefined
      ? undefined
      : duration(s.stop_grace_period, `${path}.stop_grace_period`),
  );
  set("stopSignal", s.stop_signal);
  set("tty", s.tty);
  set("stdinOpen", s.stdin_open);
  set("readOnly", s.read_only);
  set("init", s.init);
  set("sysctls", s.sysctls ? stringMap(s.sysctls) : undefined);
  if (s.cap_add?.length || s.cap_drop?.length) {
    const caps = effectiveCapabilities((s.cap_add ?? []).map(String), (s.cap_drop ?? []).map(String));
    set("capabilityAdd", caps.add.length ? caps.add : undefined);
    set("capabilityDrop", caps.drop.length ? caps.drop : undefined);
  }
  set("ulimits", s.ulimits ? ulimits(s.ulimits) : undefined);
  set("healthcheck", s.healthcheck ? healthcheck(s.healthcheck, `${path}.healthcheck`) : undefined);
  set(
    "logging",
    s.logging
      ? {
          ...(s.logging.driver ? { driver: s.logging.driver } : {}),
          ...(s.logging.options ? { options: stringMap(s.logging.options) } : {}),
        }
      : undefined,
  );
  if (s.dns !== undefined || s.dns_search !== undefined) {
    out.dns = {
      ...(s.dns !== undefined ? { nameservers: list(s.dns) } : {}),
      ...(s.dns_search !== undefined ? { search: list(s.dns_search) } : {}),
    };
  }
  set("extraHosts", s.extra_hosts ? extraHosts(s.extra_hosts) : undefined);
  set("isolation", s.isolation);
  const mounts = ((s.volumes ?? []) as unknown[]).map((v, i) =>
    mount(v, `${path}.volumes.${i}`, defs.volumes),
  );
  set("mounts", mounts.length ? mounts : undefined);
  set("secrets", s.secrets ? fileRefs("secrets", s.secrets, `${path}.secrets`, defs.secrets) : undefined);
  set("configs", s.configs ? fileRefs("configs", s.configs, `${path}.configs`, defs.configs) : undefined);
  set("networks", s.networks ? networkRefs(s.networks, `${path}.networks`, defs.networks) : undefined);
  set("endpointMode", d.endpoint_mode);
  set(
    "restart",
    d.restart_policy
      ? restartPolicy(d.restart_policy, `${path}.deploy.restart_policy`)
      : restartKey(s.restart),
  );
  set("update", d.update_config ? updateConfig(d.update_config, `${path}.deploy.update_config`) : undefined);
  set(
    "rollback",
    d.rollback_config ? updateConfig(d.rollback_config, `${path}.deploy.rollback_config`) : undefined,
  );
  const hostAccess = {
    ...(s.privileged ? { privileged: true } : {}),
    ...(s.cap_add?.length ? { capAdd: s.cap_add.map(String) } : {}),
    ...(s.devices?.length
      ? { devices: s.devices.map((x: unknown) => (typeof x === "string" ? x : JSON.stringify(x))) }
      : {}),
    ...(s.security_opt?.length ? { securityOpt: s.security_opt.map(String) } : {}),
  };
  const namespaces = ["network_mode", "pid", "ipc", "userns_mode"].filter((k) => s[k] === "host");
  if (namespaces.length) Object.assign(hostAccess, { hostNamespaces: namespaces });
  if (Object.keys(hostAccess).length) out.hostAccess = hostAccess;
  if (s[DOMAINS_KEY] !== undefined) out.domains = serviceDomains(s[DOMAINS_KEY], `${path}.${DOMAINS_KEY}`);
  if (s[DATABASES_KEY] !== undefined) {
    const dbs = serviceDatabases(s[DATABASES_KEY], `${path}.${DATABASES_KEY}`);
    if (dbs.length) out.databases = dbs;
  }
  const platform =
    typeof s.platform === "string" && s.platform !== ""
      ? platformConstraints(s.platform, `${path}.platform`)
      : [];
  const constraints = [
    ...new Set([...((d.placement?.constraints as string[] | undefined) ?? []), ...platform]),
  ];
  if (constraints.length || d.placement?.preferences) {
    out.placement = {
      ...(constraints.length ? { constraints } : {}),
      ...(d.placement?.preferences
        ? { preferences: (d.placement.preferences as Doc[]).map((p) => String(p.spread)) }
        : {}),
    };
  }
  return out;
}

function envFileRefusal(v: unknown): string {
  const files = (Array.isArray(v) ? v : [v]).map((e) => {
    const name = String(e && typeof e === "object" ? (e as Doc).path : e);
    return name.length > 100 ? `${name.slice(0, 100)}...` : name;
  });
  return `cannot read ${files.join(", ")}: the server reads no files; deploy with the berth CLI, which reads env_file beside the compose file, or put the values under environment`;
}

function bytes(v: unknown, path: string): number {
  return parseBytes(v) ?? fail(path, `'${v}' is not a size (like 512M or 1G)`);
}

function duration(v: unknown, path: string): number {
  return parseDuration(v) ?? fail(path, `'${v}' is not a duration (like 10s or 1m30s)`);
}

function command(v: unknown, path: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map(String);
  return shellWords(String(v)) ?? fail(path, "has an unterminated quote");
}

// A name without a value takes the deploying environment's value (the CLI resolves it while
// loading); one still without a value is sent bare, as docker sends it: the container has it unset.
function serviceEnv(v: unknown, path: string): Record<string, string | null> {
  const env = Object.fromEntries(mappingEntries(v));
  for (const [key, value] of Object.entries(env)) {
    if (value !== null && value.length > MAX_ENV_VALUE_CHARS)
      fail(`${path}.${key}`, `must be at most ${MAX_ENV_VALUE_CHARS} characters`);
  }
  return env;
}

/**
 * `cap_add` and `cap_drop` as docker stack deploy sends them: upper case with the `CAP_` prefix (but
 * `ALL`), each once, sorted; `ALL` on a side stands for that whole side, and a capability both added
 * and dropped is added.
 */
export function effectiveCapabilities(add: string[], drop: string[]): { add: string[]; drop: string[] } {
  const normal = (caps: string[]) => {
    const set = new Set(
      caps.map((c) => {
        const u = c.trim().toUpperCase();
        return u === "ALL" || u.startsWith("CAP_") ? u : `CAP_${u}`;
      }),
    );
    return set.has("ALL") ? new Set(["ALL"]) : set;
  };
  const added = normal(add);
  const dropped = [...normal(drop)].filter((c) => !added.has(c));
  return { add: [...added].sort(), drop: dropped.sort() };
}

/** Driver options and sysctls: a name without a value is left out. */
function stringMap(v: unknown): Record<string, string> {
  return Object.fromEntries(mappingEntries(v).filter((e): e is [string, string] => e[1] !== null));
}

/** A pids limit: a whole number, 0 meaning none (as Swarm reads it). */
function pids(v: unknown, path: string): number {
  const n = typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0)
    fail(path, `'${v}' is not a number of processes`);
  return n as number;
}

function labelMap(v: unknown): Record<string, string> {
  return Object.fromEntries(mappingEntries(v).map(([k, val]) => [k, val ?? ""]));
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function extraHosts(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return Object.entries(v as Doc)
    .map(([host, ip]) => `${host}:${ip}`)
    .sort();
}

function ulimits(v: Doc): Record<string, { soft: number; hard: number }> {
  return Object.fromEntries(
    Object.entries(v).map(([k, l]) => [
      k,
      typeof l === "number" ? { soft: l, hard: l } : { soft: l.soft, hard: l.hard },
    ]),
  );
}

function healthcheck(h: Doc, path: string): HealthcheckModel | { disable: true } {
  if (h.disable) return { disable: true };
  const test =
    h.test === undefined
      ? undefined
      : typeof h.test === "string"
        ? ["CMD-SHELL", h.test]
        : h.test.map(String);
  return {
    ...(test ? { test } : {}),
    ...(h.interval !== undefined ? { interval: duration(h.interval, `${path}.interval`) } : {}),
    ...(h.timeout !== undefined ? { timeout: duration(h.timeout, `${path}.timeout`) } : {}),
    ...(h.retries !== undefined ? { retries: h.retries } : {}),
    ...(h.start_period !== undefined
      ? { startPeriod: duration(h.start_period, `${path}.start_period`) }
      : {}),
  };
}

function restartPolicy(r: Doc, path: string): RestartModel {
  return {
    ...(r.condition ? { condition: r.condition } : {}),
    ...(r.delay !== undefined ? { delay: duration(r.delay, `${path}.delay`) } : {}),
    ...(r.max_attempts !== undefined ? { maxAttempts: r.max_attempts } : {}),
    ...(r.window !== undefined ? { window: duration(r.window, `${path}.window`) } : {}),
  };
}

/** The service-level `restart:` key, as docker maps it when there is no deploy.restart_policy. */
function restartKey(v: unknown): RestartModel | undefined {
  if (typeof v !== "string" || v === "") return undefined;
  if (v === "no") return { condition: "none" };
  if (v === "always" || v === "unless-stopped") return { condition: "any" };
  const m = /^on-failure(?::(\d+))?$/.exec(v);
  if (m) return { condition: "on-failure", maxAttempts: m[1] ? Number(m[1]) : 0 };
  return undefined;
}

function updateConfig(u: Doc, path: string): UpdateModel {
  return {
    ...(u.parallelism !== undefined ? { parallelism: u.parallelism } : {}),
    ...(u.delay !== undefined ? { delay: duration(u.delay, `${path}.delay`) } : {}),
    ...(u.failure_action ? { failureAction: u.failure_action } : {}),
    ...(u.monitor !== undefined ? { monitor: duration(u.monitor, `${path}.monitor`) } : {}),
    ...(u.max_failure_ratio !== undefined ? { maxFailureRatio: u.max_failure_ratio } : {}),
    ...(u.order ? { order: u.order } : {}),
  };
}

/**
 * Short (`[ip:][published:]target[/proto]`, ranges allowed; the ip may be empty, `:80:8080`, as docker
 * reads it) or long port syntax.
 */
function ports(p: unknown, path: string): PortModel[] {
  if (p && typeof p === "object") {
    const l = p as Doc;
    const target = Number(l.target);
    if (!Number.isInteger(target) || target < 1 || target > 65535)
      fail(`${path}.target`, "must be a port between 1 and 65535");
    const published = l.published === undefined || l.published === "" ? undefined : Number(l.published);
    if (published !== undefined && (!Number.isInteger(published) || published < 1 || published > 65535)) {
      fail(`${path}.published`, "must be a port between 1 and 65535");
    }
    return [
      {
        target,
        ...(published === undefined ? {} : { published }),
        protocol: l.protocol ?? "tcp",
        mode: l.mode ?? "ingress",
      },
    ];
  }
  const text = String(p);
  const m =
    /^(?:(?:\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\])?:)?(?:(\d+)(?:-(\d+))?:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(
      text,
    );
  if (!m) return fail(path, `'${text}' is not a port mapping (like 8080, 80:8080 or 8080/udp)`);
  const protocol = (m[5]?.toLowerCase() ?? "tcp") as PortModel["protocol"];
  const t0 = Number(m[3]);
  const t1 = m[4] ? Number(m[4]) : t0;
  const p0 = m[1] ? Number(m[1]) : undefined;
  const p1 = m[2] ? Number(m[2]) : p0;
  if (p0 !== undefined && p1! - p0 !== t1 - t0)
    fail(path, `'${text}': published and target ranges differ in size`);
  const out: PortModel[] = [];
  for (let i = 0; i <= t1 - t0; i++) {
    const target = t0 + i;
    const published = p0 === undefined ? undefined : p0 + i;
    if (target < 1 || target > 65535 || (published !== undefined && (published < 1 || published > 65535))) {
      fail(path, `'${text}': ports must be between 1 and 65535`);
    }
    out.push({ target, ...(published === undefined ? {} : { published }), protocol, mode: "ingress" });
  }
  return out;
}

function mount(v: unknown, path: string, volumes: Record<string, StackVolumeModel>): MountModel {
  const named = (source: string) => {
    if (!volumes[source]) fail(path, `volume '${source}' is not defined under the top-level volumes`);
  };
  if (typeof v === "string") {
    const parts = v.split(":");
    if (parts.length === 1) return { type: "volume", target: parts[0]! };
    const [source, target, modeText] = parts as [string, string, string?];
    const readOnly = (modeText ?? "").split(",").includes("ro");
    const ro = readOnly ? { readOnly: true } : {};
    if (source.startsWith("/") || source.startsWith(".") || source.startsWith("~")) {
      return { type: "bind", source, target, ...ro };
    }
    named(source);
    return { type: "volume", source, target, ...ro };
  }
  const l = v as Doc;
  const ro = l.read_only ? { readOnly: true } : {};
  if (l.type === "tmpfs") {
    return {
      type: "tmpfs",
      target: l.target,
      ...ro,
      ...(l.tmpfs?.size !== undefined ? { sizeBytes: bytes(l.tmpfs.size, `${path}.tmpfs.size`) } : {}),
      ...(l.tmpfs?.mode !== undefined ? { mode: l.tmpfs.mode } : {}),
    };
  }
  if (l.type === "bind") {
    return {
      type: "bind",
      source: l.source,
      target: l.target,
      ...ro,
      ...(l.bind?.propagation ? { propagation: l.bind.propagation } : {}),
    };
  }
  if (l.type !== "volume")
    fail(`${path}.type`, `'${l.type}' mounts are not supported (volume, bind or tmpfs)`);
  if (l.source) named(l.source);
  return {
    type: "volume",
    ...(l.source ? { source: l.source } : {}),
    target: l.target,
    ...ro,
    ...(l.volume?.nocopy ? { noCopy: true } : {}),
  };
}

function fileRefs(kind: "secrets" | "configs", refs: unknown[], path: string, defs: unknown): FileRefModel[] {
  const known = (defs ?? {}) as Doc;
  return refs.map((r, i) => {
    const l: Doc = typeof r === "string" ? { source: r } : (r as Doc);
    if (!known[l.source])
      fail(`${path}.${i}`, `${kind.slice(0, -1)} '${l.source}' is not defined under the top-level ${kind}`);
    return {
      source: l.source,
      target: l.target ?? l.source,
      uid: l.uid ?? "0",
      gid: l.gid ?? "0",
      mode: l.mode ?? 0o444,
    };
  });
}

function networkRefs(v: unknown, path: string, defs: Record<string, StackNetworkModel>): NetworkRefModel[] {
  const entries: [string, Doc | null][] = Array.isArray(v)
    ? v.map((n) => [String(n), null])
    : Object.entries(v as Doc);
  return entries.map(([name, cfg]) => {
    if (!defs[name] && name !== "default")
      fail(`${path}.${name}`, `network '${name}' is not defined under the top-level networks`);
    return { name, aliases: (cfg?.aliases ?? []).map(String) };
  });
}
