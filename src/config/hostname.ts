// Host names of routes: validated and normalized before anything is stored or reaches the proxy.
// Unicode names become punycode (IDNA, via node:url), so that one name has one spelling and two
// organizations cannot hold the same host under two spellings.
import { domainToASCII } from "node:url";
import { ConfigError } from "../domain/errors.js";

const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const MAX_NAME = 253;
const MAX_LABEL = 63;

/**
 * The host in its one stored form (lowercase ASCII, punycode), or a ConfigError naming `path`.
 * Wildcards are allowed as the whole first label only (`*.customers.example.com`) and need at least
 * two labels after them, so that nobody claims `*.com`.
 */
export function normalizeHostname(input: string, path = "host"): string {
  const raw = input.trim();
  if (!raw) throw new ConfigError(path, "must not be empty");
  if (raw.length > 4 * MAX_NAME) throw new ConfigError(path, "is too long");
  if (/[/:?#@\s\\[\]]/.test(raw)) {
    throw new ConfigError(path, "must be a host name only: no scheme, port, path, user or spaces");
  }
  const wildcard = raw.startsWith("*.");
  const rest = (wildcard ? raw.slice(2) : raw).replace(/\.$/, "");
  if (rest.includes("*"))
    throw new ConfigError(path, "a wildcard may only be the whole first label ('*.example.com')");
  const ascii = domainToASCII(rest);
  if (!ascii) throw new ConfigError(path, `'${raw.slice(0, 80)}' is not a valid host name`);
  const labels = ascii.split(".");
  if (labels.length < (wildcard ? 3 : 2)) {
    throw new ConfigError(
      path,
      wildcard
        ? "a wildcard needs at least two labels after it ('*.customers.example.com')"
        : "must have at least two labels ('app.example.com')",
    );
  }
  for (const l of labels) {
    if (l.length > MAX_LABEL)
      throw new ConfigError(path, `label '${l.slice(0, 20)}...' is longer than ${MAX_LABEL} characters`);
    if (!LABEL.test(l)) {
      throw new ConfigError(
        path,
        `label '${l.slice(0, 63)}' must be letters, digits and '-', not starting or ending with '-'`,
      );
    }
  }
  if (/^\d+$/.test(labels.at(-1)!)) throw new ConfigError(path, "must be a name, not an IP address");
  const out = (wildcard ? "*." : "") + labels.join(".");
  if (out.length > MAX_NAME)
    throw new ConfigError(path, `must be at most ${MAX_NAME} characters (got ${out.length})`);
  return out;
}

/** A path prefix of a route: `/` or `/api`, with no query, wildcard or trailing slash; "" for the whole host. */
export function normalizePathPrefix(input: string | undefined, path = "path"): string {
  if (input === undefined || input === "" || input === "/") return "";
  if (!input.startsWith("/")) throw new ConfigError(path, "must start with '/'");
  if (input.length > 200) throw new ConfigError(path, "must be at most 200 characters");
  if (!/^(\/[A-Za-z0-9._~!$&'()+,;=:@%-]+)+\/?$/.test(input)) {
    throw new ConfigError(path, "must be a path such as /api: no query, fragment, wildcard, '//' or spaces");
  }
  if (input.split("/").some((seg) => seg === "." || seg === "..")) {
    throw new ConfigError(path, "must not contain '.' or '..' segments");
  }
  return input.replace(/\/$/, "");
}
