// The fields of a route, wherever they come from (`berth domain add`, a short-form deployment's
// `domains`, a compose service's `x-berth-domains`): checked and normalized once, with errors that
// name where the bad value is.
import { ConfigError } from "../domain/errors.js";
import type { ServiceDomainModel } from "../domain/stack.js";
import { normalizeHostname, normalizePathPrefix } from "./hostname.js";

export const TLS_MODE_NAMES = ["acme", "internal", "off", "upload"] as const;

export interface RouteFields {
  host: string;
  path?: string | undefined;
  port: number;
  tls?: string | undefined;
  httpsRedirect?: boolean | undefined;
}

/** `at` prefixes every field's path (e.g. `services.web.x-berth-domains.0.`). */
export function normalizeRoute(input: RouteFields, at = ""): ServiceDomainModel {
  const host = normalizeHostname(input.host, `${at}host`);
  const path = normalizePathPrefix(input.path, `${at}path`);
  const tls = input.tls ?? "acme";
  if (!(TLS_MODE_NAMES as readonly string[]).includes(tls)) {
    throw new ConfigError(`${at}tls`, `must be one of ${TLS_MODE_NAMES.join(", ")}`);
  }
  if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) {
    throw new ConfigError(`${at}port`, "must be a port number (1-65535)");
  }
  if (tls === "acme" && host.startsWith("*.")) {
    throw new ConfigError(
      `${at}tls`,
      "a wildcard host cannot get an ACME certificate over HTTP (it needs DNS-01); use tls internal or off",
    );
  }
  const httpsRedirect = input.httpsRedirect === true;
  if (httpsRedirect && tls === "off") {
    throw new ConfigError(`${at}httpsRedirect`, "a redirect to HTTPS needs tls acme, internal or upload");
  }
  return { host, path, port: input.port, tls: tls as ServiceDomainModel["tls"], httpsRedirect };
}

/** Refuses one host and path twice in a stack, and one host under two TLS modes. */
export function checkStackRoutes(routes: { at: string; route: ServiceDomainModel }[]): void {
  const seen = new Map<string, ServiceDomainModel>();
  for (const { at, route } of routes) {
    const key = `${route.host}${route.path}`;
    if (seen.has(key)) throw new ConfigError(`${at}host`, `${key || "/"} is routed twice in this stack`);
    const other = [...seen.values()].find((r) => r.host === route.host && r.tls !== route.tls);
    if (other) {
      throw new ConfigError(
        `${at}tls`,
        `${route.host} is also routed with tls ${other.tls}; every route of a host uses the same TLS mode`,
      );
    }
    seen.set(key, route);
  }
}

/** Message of a notice (maintenance, suspension): one or more lines of plain text. */
export function normalizeNotice(
  input: { message?: string | undefined; retryAfter?: number | undefined },
  defaults: { message: string },
): { message: string; retryAfter: number } {
  const message = (input.message ?? defaults.message).trim();
  if (!message) throw new ConfigError("message", "must not be empty");
  if (message.length > 1000) throw new ConfigError("message", "must be at most 1000 characters");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(message)) {
    throw new ConfigError("message", "must be plain text (no control characters)");
  }
  const retryAfter = input.retryAfter ?? 300;
  if (!Number.isInteger(retryAfter) || retryAfter < 0 || retryAfter > 86_400 * 7) {
    throw new ConfigError("retryAfter", "must be whole seconds from 0 to 604800");
  }
  return { message, retryAfter };
}
