// The proxy's whole configuration, built from every active route: one Caddy JSON document that
// Berth pushes with `POST /load` (atomic: Caddy keeps the old config if it refuses the new one).
// Pure and deterministic: the same routes always give the same document, so comparing it with
// what Caddy runs tells whether a push is needed.
//
// Two servers: `http` on :80 (plain routes, redirects to HTTPS, ACME HTTP challenges) and `https` on
// :443 (routes with certificates). Upstreams are resolved from `tasks.<swarm service>` at request time
// (dynamic `a` upstreams), so traffic follows tasks through rolling updates without a push. Whatever
// no route matches gets an explicit plain 404 (Caddy's own default is an empty 200). Routes that do
// the same thing (same path, same upstream or notice or redirect) share one Caddy route with a list
// of hosts (groupRoutes): what a load costs Caddy grows with distinct handlers, not with hosts.

export type TlsMode = "acme" | "internal" | "off" | "upload";

/** A certificate uploaded for a host (`tls upload`), the key in the clear: only in the pushed config. */
export interface ProxyCertificate {
  host: string;
  certPem: string;
  keyPem: string;
}

/** The tag that ties an uploaded certificate to its host's TLS connection policy. */
export const uploadTag = (host: string) => `berth-upload:${host}`;

export interface ProxyRoute {
  /** Normalized host (config/hostname.ts); `*.x.y` for a wildcard. */
  host: string;
  /** Path prefix without a trailing slash, or "" for the whole host. */
  path: string;
  /** The Swarm service name (`<namespace>_<service>`) and the container port. */
  upstream: { service: string; port: number };
  tls: TlsMode;
  httpsRedirect: boolean;
  /**
   * When set, the route answers 503 with this message and Retry-After instead of proxying (a route
   * in maintenance, or every route during an incident's suspension).
   */
  notice?: { message: string; retryAfter: number };
}

export interface ProxyConfigOptions {
  /** Where Caddy's admin API listens, inside its container (a unix socket). */
  adminSocket: string;
  acme?: {
    email?: string;
    /** ACME directory URL (default: Let's Encrypt's). */
    directory?: string;
    /** PEM file inside the proxy's container trusted for the directory (a private CA). */
    trustedRootFile?: string;
  };
  /** How long a request may be retried across tasks before it fails (rolling updates). */
  tryDurationMs: number;
  /** How often the `tasks.<service>` answers are refreshed. */
  refreshMs: number;
  /**
   * How long upgraded connections (websockets) outlive a config load. Unset: Caddy closes them on
   * every load (and Caddy before 2.7 cannot be told otherwise: see proxyFeatures).
   */
  streamCloseDelayMs?: number;
}

/** What the proxy's Caddy can be asked for, from its `caddy version` output (`v2.7.6 h1:...`, `2.6.2`). */
export function proxyFeatures(version: string | undefined): { streamCloseDelay: boolean } {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(version ?? "");
  if (!m) return { streamCloseDelay: false };
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return { streamCloseDelay: major > 2 || (major === 2 && minor >= 7) };
}

export const NOT_FOUND_BODY = "404 not found: no route for this host\n";

const seconds = (ms: number) => `${ms / 1000}s`;

const isWildcard = (host: string) => host.startsWith("*.");

/** Exact hosts before wildcards (Caddy takes the first match), then by host, then longer paths first. */
export function sortRoutes(routes: readonly ProxyRoute[]): ProxyRoute[] {
  return [...routes].sort((a, b) => {
    const wa = isWildcard(a.host) ? 1 : 0;
    const wb = isWildcard(b.host) ? 1 : 0;
    if (wa !== wb) return wa - wb;
    if (a.host !== b.host) return a.host < b.host ? -1 : 1;
    if (a.path.length !== b.path.length) return b.path.length - a.path.length;
    return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  });
}

/**
 * Caddy routes for the table, one per set of routes that do the same thing: the same path prefix
 * and the same handler (upstream, notice, redirect), exact hosts and wildcards apart. Caddy
 * provisions a handler per route, which makes a load of 1,000 one-host routes cost hundreds of
 * milliseconds; hosts sharing a handler cost one (a host matcher takes a long list cheaply).
 * Order keeps Caddy's first match right: a request has one host, so only routes of the same host
 * compete, and those are ordered as sortRoutes orders them (exact hosts before wildcards, longer
 * paths first); groups of the same path never share a host.
 */
export function groupRoutes<H>(
  routes: readonly ProxyRoute[],
  handler: (r: ProxyRoute) => H,
): { hosts: string[]; path: string; handle: H }[] {
  const groups = new Map<string, { wildcard: boolean; hosts: string[]; path: string; handle: H }>();
  for (const r of sortRoutes(routes)) {
    const handle = handler(r);
    const wildcard = isWildcard(r.host);
    const key = `${wildcard ? "*" : ""} ${r.path} ${JSON.stringify(handle)}`;
    const group = groups.get(key);
    if (group) group.hosts.push(r.host);
    else groups.set(key, { wildcard, hosts: [r.host], path: r.path, handle });
  }
  return [...groups.values()]
    .sort(
      (a, b) =>
        Number(a.wildcard) - Number(b.wildcard) ||
        b.path.length - a.path.length ||
        (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
        (a.hosts[0]! < b.hosts[0]! ? -1 : a.hosts[0]! > b.hosts[0]! ? 1 : 0),
    )
    .map(({ hosts, path, handle }) => ({ hosts, path, handle }));
}

function caddyRoutes(routes: readonly ProxyRoute[], handler: (r: ProxyRoute) => unknown) {
  return groupRoutes(routes, handler).map((g) => ({
    match: [{ host: g.hosts, ...(g.path ? { path: [g.path, `${g.path}/*`] } : {}) }],
    handle: [g.handle],
    terminal: true,
  }));
}

/** Caddy expands `{...}` placeholders in a static body; an operator's braces stay literal. */
export function escapePlaceholders(text: string): string {
  return text.replace(/[{}]/g, (c) => `\\${c}`);
}

function noticeHandler(n: NonNullable<ProxyRoute["notice"]>) {
  return {
    handler: "static_response",
    status_code: 503,
    headers: {
      "Content-Type": ["text/plain; charset=utf-8"],
      "Retry-After": [String(n.retryAfter)],
      "Cache-Control": ["no-store"],
    },
    body: `${escapePlaceholders(n.message)}\n`,
  };
}

/** What a route does once matched: its notice (503) when it has one, else proxy to its service. */
function serve(r: ProxyRoute, o: ProxyConfigOptions) {
  return r.notice ? noticeHandler(r.notice) : proxyHandler(r, o);
}

function proxyHandler(r: ProxyRoute, o: ProxyConfigOptions) {
  return {
    handler: "reverse_proxy",
    dynamic_upstreams: {
      source: "a",
      name: `tasks.${r.upstream.service}`,
      port: String(r.upstream.port),
      refresh: seconds(o.refreshMs),
    },
    load_balancing: { try_duration: seconds(o.tryDurationMs), try_interval: "0.25s" },
    ...(o.streamCloseDelayMs ? { stream_close_delay: seconds(o.streamCloseDelayMs) } : {}),
  };
}

const notFound = {
  handle: [
    {
      handler: "static_response",
      status_code: 404,
      headers: { "Content-Type": ["text/plain; charset=utf-8"] },
      body: NOT_FOUND_BODY,
    },
  ],
};

const redirect = {
  handler: "static_response",
  status_code: 308,
  headers: { Location: ["https://{http.request.host}{http.request.uri}"] },
};

export function buildCaddyConfig(
  routes: readonly ProxyRoute[],
  o: ProxyConfigOptions,
  certificates: readonly ProxyCertificate[] = [],
): Record<string, unknown> {
  const sorted = sortRoutes(routes);
  const httpRoutes = caddyRoutes(sorted, (r) =>
    r.httpsRedirect && r.tls !== "off" ? redirect : serve(r, o),
  );
  const tlsRoutes = sorted.filter((r) => r.tls !== "off");
  const httpsRoutes = caddyRoutes(tlsRoutes, (r) => serve(r, o));
  const hosts = (mode: TlsMode) => [...new Set(tlsRoutes.filter((r) => r.tls === mode).map((r) => r.host))];
  // Certificates on demand: obtained at a host's first TLS handshake (a customer's domain gets one
  // once its DNS points here, and a load never starts hundreds of orders at once), and only after
  // the ask endpoint confirms Berth routes the host.
  const policies = [
    ...(hosts("internal").length
      ? [{ subjects: hosts("internal"), issuers: [{ module: "internal" }], on_demand: true }]
      : []),
    ...(hosts("acme").length ? [{ subjects: hosts("acme"), issuers: [acmeIssuer(o)], on_demand: true }] : []),
  ];
  const onDemandHosts = [...hosts("internal"), ...hosts("acme")].sort();
  // Uploaded certificates: each served only for its own host (a connection policy picks it by tag, so
  // a wildcard certificate never answers for a host it was not uploaded for); hosts without a route
  // in `upload` mode are left out.
  const uploadHosts = new Set(hosts("upload"));
  const loaded = [...certificates]
    .filter((c) => uploadHosts.has(c.host))
    .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const connectionPolicies = loaded.length
    ? [
        ...loaded.map((c) => ({
          match: { sni: [c.host] },
          certificate_selection: { any_tag: [uploadTag(c.host)] },
        })),
        {},
      ]
    : undefined;
  const tls: Record<string, unknown> = {
    ...(loaded.length
      ? {
          certificates: {
            load_pem: loaded.map((c) => ({
              certificate: c.certPem,
              key: c.keyPem,
              tags: [uploadTag(c.host)],
            })),
          },
        }
      : {}),
    ...(policies.length
      ? { automation: { policies, on_demand: { ask: `http://${ASK_ADDRESS}${ASK_PATH}` } } }
      : {}),
  };
  const servers: Record<string, unknown> = {
    http: { listen: [":80"], routes: [...httpRoutes, notFound] },
  };
  if (httpsRoutes.length) {
    servers.https = {
      listen: [":443"],
      routes: [...httpsRoutes, notFound],
      // Redirects are per route (`httpsRedirect`), never implied.
      automatic_https: { disable_redirects: true },
      ...(connectionPolicies ? { tls_connection_policies: connectionPolicies } : {}),
    };
  }
  if (onDemandHosts.length) servers.ask = askServer(onDemandHosts);
  return {
    admin: { listen: `unix/${o.adminSocket}` },
    apps: {
      http: { http_port: 80, https_port: 443, servers },
      // Caddy's own CA for `internal` routes; it cannot (and must not) touch the host's trust store.
      pki: { certificate_authorities: { local: { install_trust: false } } },
      ...(Object.keys(tls).length ? { tls } : {}),
    },
  };
}

/**
 * On-demand TLS's `ask` endpoint (`GET /ask?domain=<host>`, 2xx allows a certificate), served by
 * the proxy itself on its container's loopback from the routing table Berth pushed with it: it
 * answers in microseconds, needs no network path from the proxy to Berth, and can never disagree
 * with the routes being served (both are the same load). Nothing outside the container reaches it.
 */
export const ASK_ADDRESS = "127.0.0.1:5454";
export const ASK_PATH = "/ask";

function askServer(hosts: string[]) {
  return {
    listen: [ASK_ADDRESS],
    automatic_https: { disable: true },
    routes: [
      {
        match: [{ path: [ASK_PATH], query: { domain: hosts } }],
        handle: [{ handler: "static_response", status_code: 200 }],
        terminal: true,
      },
      { handle: [{ handler: "static_response", status_code: 404 }] },
    ],
  };
}

function acmeIssuer(o: ProxyConfigOptions) {
  return {
    module: "acme",
    ...(o.acme?.directory ? { ca: o.acme.directory } : {}),
    ...(o.acme?.email ? { email: o.acme.email } : {}),
    ...(o.acme?.trustedRootFile ? { trusted_roots_pem_files: [o.acme.trustedRootFile] } : {}),
  };
}

/** What Caddy runs before Berth's first push (and after a restart without its saved config): admin and 404s. */
export function bootstrapCaddyConfig(o: Pick<ProxyConfigOptions, "adminSocket">): Record<string, unknown> {
  return buildCaddyConfig([], { ...o, tryDurationMs: 5000, refreshMs: 1000 });
}

/** JSON with object keys sorted at every level: Caddy gives its config back with Go's key order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, value) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

/** Whether Caddy runs `want`; `running` is what its admin API answered (null when it has no config). */
export function proxyConfigDiffers(want: unknown, running: unknown): boolean {
  return canonicalJson(want) !== canonicalJson(running);
}
