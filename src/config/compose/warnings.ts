// What `docker stack deploy` says about service keys Swarm cannot honour: unsupported ones are
// ignored with a warning, deprecated ones likewise, and a few are refused outright.
import { ConfigError } from "../../domain/errors.js";

/**
 * Ignored with "Ignoring unsupported options: ..." (docker CLI 20.10's list, plus `runtime`, which
 * docker's schema refuses and the compose specification allows: Swarm has no per-service runtime).
 */
const UNSUPPORTED = [
  "build",
  "cgroup_parent",
  "devices",
  "domainname",
  "external_links",
  "ipc",
  "links",
  "mac_address",
  "network_mode",
  "pid",
  "privileged",
  "restart",
  "runtime",
  "security_opt",
  "shm_size",
  "userns_mode",
];

const DEPRECATED: Record<string, string> = {
  container_name: "Setting the container name is not supported.",
  expose:
    "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
};

const FORBIDDEN: Record<string, string> = {
  // The CLI resolves `extends` while loading (extends.ts); a document sent with it came from elsewhere.
  extends: "Support for `extends` is not implemented yet.",
  volume_driver:
    "Instead of setting the volume driver on the service, define a volume using the top-level `volumes` option and specify the driver there.",
  volumes_from:
    "To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.",
  cpu_quota: "Set resource limits using deploy.resources",
  cpu_shares: "Set resource limits using deploy.resources",
  cpuset: "Set resource limits using deploy.resources",
  mem_limit: "Set resource limits using deploy.resources",
  memswap_limit: "Set resource limits using deploy.resources",
};

type Services = Record<string, Record<string, unknown> | null>;

/** Throws for keys docker refuses; returns docker's warnings for keys it ignores. */
export function ignoredKeyWarnings(doc: { services?: unknown }): string[] {
  const services = Object.entries((doc.services ?? {}) as Services);
  for (const [name, svc] of services) {
    for (const key of Object.keys(svc ?? {})) {
      if (FORBIDDEN[key])
        throw new ConfigError(`services.${name}.${key}`, `is not supported: ${FORBIDDEN[key]}`);
    }
  }
  const used = (keys: string[]) =>
    keys.filter((k) => services.some(([, svc]) => svc && Object.hasOwn(svc, k))).sort();
  const warnings: string[] = [];
  const unsupported = used(UNSUPPORTED);
  if (unsupported.length) warnings.push(`Ignoring unsupported options: ${unsupported.join(", ")}`);
  const deprecated = used(Object.keys(DEPRECATED));
  if (deprecated.length) {
    warnings.push(
      `Ignoring deprecated options:\n\n${deprecated.map((k) => `${k}: ${DEPRECATED[k]}`).join("\n\n")}`,
    );
  }
  return warnings;
}
