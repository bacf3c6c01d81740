import { describe, expect, it } from "vitest";
import {
  buildCaddyConfig,
  canonicalJson,
  NOT_FOUND_BODY,
  type ProxyRoute,
  proxyConfigDiffers,
  proxyFeatures,
  sortRoutes,
} from "./caddy-config.js";

const O = { adminSocket: "/run/berth-proxy/admin.sock", tryDurationMs: 5000, refreshMs: 1000 };
const route = (over: Partial<ProxyRoute> = {}): ProxyRoute => ({
  host: "a.test",
  path: "",
  upstream: { service: "acme_web_web", port: 8080 },
  tls: "off",
  httpsRedirect: false,
  ...over,
});
const upstream = (service: string, port: number) => ({
  handler: "reverse_proxy",
  dynamic_upstreams: { source: "a", name: `tasks.${service}`, port: String(port), refresh: "1s" },
  load_balancing: { try_duration: "5s", try_interval: "0.25s" },
});
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
const servers = (c: any) => c.apps.http.servers;

describe("buildCaddyConfig", () => {
  it("with no routes: admin on the unix socket and an explicit 404 on :80, no TLS server", () => {
    expect(buildCaddyConfig([], O)).toEqual({
      admin: { listen: "unix//run/berth-proxy/admin.sock" },
      apps: {
        http: { http_port: 80, https_port: 443, servers: { http: { listen: [":80"], routes: [notFound] } } },
        pki: { certificate_authorities: { local: { install_trust: false } } },
      },
    });
  });

  it.each<[string, ProxyRoute, { http: unknown; https?: unknown }]>([
    [
      "tls off: plain HTTP only",
      route(),
      { http: { match: [{ host: ["a.test"] }], handle: [upstream("acme_web_web", 8080)], terminal: true } },
    ],
    [
      "a path prefix matches the prefix and below it",
      route({ path: "/api", upstream: { service: "acme_shop_api", port: 3000 } }),
      {
        http: {
          match: [{ host: ["a.test"], path: ["/api", "/api/*"] }],
          handle: [upstream("acme_shop_api", 3000)],
          terminal: true,
        },
      },
    ],
    [
      "internal TLS: served on both, no redirect unless asked",
      route({ tls: "internal" }),
      {
        http: { match: [{ host: ["a.test"] }], handle: [upstream("acme_web_web", 8080)], terminal: true },
        https: { match: [{ host: ["a.test"] }], handle: [upstream("acme_web_web", 8080)], terminal: true },
      },
    ],
    [
      "https redirect: 308 to the same host and URI on :80",
      route({ tls: "internal", httpsRedirect: true }),
      {
        http: {
          match: [{ host: ["a.test"] }],
          handle: [
            {
              handler: "static_response",
              status_code: 308,
              headers: { Location: ["https://{http.request.host}{http.request.uri}"] },
            },
          ],
          terminal: true,
        },
        https: { match: [{ host: ["a.test"] }], handle: [upstream("acme_web_web", 8080)], terminal: true },
      },
    ],
  ])("%s", (_name, r, want) => {
    const s = servers(buildCaddyConfig([r], O));
    expect(s.http.routes).toEqual([want.http, notFound]);
    if (want.https) expect(s.https.routes).toEqual([want.https, notFound]);
    else expect(s.https).toBeUndefined();
  });

  it("loads uploaded certificates for their hosts only, each picked by its tag for its host", () => {
    const cert = (host: string) => ({ host, certPem: `CERT ${host}`, keyPem: `KEY ${host}` });
    const c = buildCaddyConfig(
      [
        route({ host: "up.test", tls: "upload" }),
        route({ host: "up.test", path: "/api", tls: "upload" }),
        route({ host: "a.test", tls: "upload" }),
        route({ host: "i.test", tls: "internal" }),
      ],
      O,
      // A certificate of a host routed otherwise (or not at all) never reaches the proxy.
      [cert("up.test"), cert("i.test"), cert("gone.test"), cert("a.test")],
    ) as any;
    expect(c.apps.tls.certificates).toEqual({
      load_pem: [
        { certificate: "CERT a.test", key: "KEY a.test", tags: ["berth-upload:a.test"] },
        { certificate: "CERT up.test", key: "KEY up.test", tags: ["berth-upload:up.test"] },
      ],
    });
    expect(c.apps.tls.automation.policies).toEqual([
      { subjects: ["i.test"], issuers: [{ module: "internal" }], on_demand: true },
    ]);
    expect(servers(c).https.tls_connection_policies).toEqual([
      { match: { sni: ["a.test"] }, certificate_selection: { any_tag: ["berth-upload:a.test"] } },
      { match: { sni: ["up.test"] }, certificate_selection: { any_tag: ["berth-upload:up.test"] } },
      {},
    ]);
    // The longer path first; the three hosts with the same upstream share one route.
    expect(
      servers(c)
        .https.routes.slice(0, -1)
        .map((r: any) => r.match[0]),
    ).toEqual([{ host: ["up.test"], path: ["/api", "/api/*"] }, { host: ["a.test", "i.test", "up.test"] }]);
    // Without uploads, no connection policies (Caddy's defaults).
    const plain = buildCaddyConfig([route({ tls: "internal" })], O, [cert("a.test")]) as any;
    expect(plain.apps.tls.certificates).toBeUndefined();
    expect(servers(plain).https.tls_connection_policies).toBeUndefined();
  });

  it("answers on-demand TLS's ask for routed TLS hosts only, on the proxy's loopback", () => {
    const c = buildCaddyConfig(
      [
        route({ host: "b.test", tls: "acme" }),
        route({ host: "a.test", tls: "internal" }),
        route({ host: "off.test" }),
      ],
      O,
    ) as any;
    expect(c.apps.tls.automation.on_demand).toEqual({ ask: "http://127.0.0.1:5454/ask" });
    expect(servers(c).ask).toEqual({
      listen: ["127.0.0.1:5454"],
      automatic_https: { disable: true },
      routes: [
        {
          match: [{ path: ["/ask"], query: { domain: ["a.test", "b.test"] } }],
          handle: [{ handler: "static_response", status_code: 200 }],
          terminal: true,
        },
        { handle: [{ handler: "static_response", status_code: 404 }] },
      ],
    });
    // Without TLS hosts, neither the endpoint nor on-demand.
    const plain = buildCaddyConfig([route({ host: "off.test" })], O) as any;
    expect(servers(plain).ask).toBeUndefined();
    expect(plain.apps.tls).toBeUndefined();
  });

  it("issues certificates per mode: internal CA and ACME (directory, email, private root)", () => {
    const c = buildCaddyConfig(
      [
        route({ host: "a.test", tls: "internal" }),
        route({ host: "a.test", path: "/api", tls: "internal" }),
        route({ host: "b.test", tls: "acme" }),
        route({ host: "c.test", tls: "off" }),
      ],
      {
        ...O,
        acme: { directory: "https://ca/acme/local/directory", email: "ops@x.io", trustedRootFile: "/r.crt" },
      },
    ) as { apps: { tls: unknown } };
    expect(c.apps.tls).toEqual({
      automation: {
        on_demand: { ask: "http://127.0.0.1:5454/ask" },
        policies: [
          { subjects: ["a.test"], issuers: [{ module: "internal" }], on_demand: true },
          {
            subjects: ["b.test"],
            issuers: [
              {
                module: "acme",
                ca: "https://ca/acme/local/directory",
                email: "ops@x.io",
                trusted_roots_pem_files: ["/r.crt"],
              },
            ],
            on_demand: true,
          },
        ],
      },
    });
    expect(servers(c).https.automatic_https).toEqual({ disable_redirects: true });
  });

  it("is the same document whatever order the routes come in", () => {
    const rs = [
      route({ host: "b.test" }),
      route({ host: "*.c.test" }),
      route({ host: "a.test", path: "/x" }),
    ];
    const one = canonicalJson(buildCaddyConfig(rs, O));
    expect(canonicalJson(buildCaddyConfig([...rs].reverse(), O))).toBe(one);
  });
});

describe("sortRoutes", () => {
  it("puts exact hosts before wildcards and longer path prefixes first", () => {
    const got = sortRoutes([
      route({ host: "*.x.test" }),
      route({ host: "b.x.test" }),
      route({ host: "a.x.test" }),
      route({ host: "a.x.test", path: "/api" }),
      route({ host: "a.x.test", path: "/api/v2" }),
    ]).map((r) => `${r.host}${r.path}`);
    expect(got).toEqual(["a.x.test/api/v2", "a.x.test/api", "a.x.test", "b.x.test", "*.x.test"]);
  });
});

describe("buildCaddyConfig: routes that do the same thing share one Caddy route", () => {
  const hosts = (c: any, server = "http") =>
    servers(c)
      [server].routes.slice(0, -1)
      .map((r: any) => [r.match[0].host, r.match[0].path?.[0] ?? ""]);
  it("1,000 hosts to one upstream are one route with their hosts, sorted", () => {
    const rs = Array.from({ length: 1000 }, (_, i) => route({ host: `h${String(i).padStart(4, "0")}.test` }));
    const c = buildCaddyConfig([...rs].reverse(), O);
    expect(servers(c).http.routes).toEqual([
      { match: [{ host: rs.map((r) => r.host) }], handle: [upstream("acme_web_web", 8080)], terminal: true },
      notFound,
    ]);
  });

  it("splits by upstream, path, notice and redirect; longer paths first, wildcards last", () => {
    const other = { service: "acme_api_api", port: 3000 };
    const c = buildCaddyConfig(
      [
        route({ host: "*.w.test" }),
        route({ host: "b.test" }),
        route({ host: "a.test" }),
        route({ host: "c.test", upstream: other }),
        route({ host: "a.test", path: "/api", upstream: other }),
        route({ host: "b.test", path: "/api", upstream: other }),
        route({ host: "b.test", path: "/api/v2" }),
        route({ host: "d.test", notice: { message: "later", retryAfter: 60 } }),
        route({ host: "e.test", tls: "internal", httpsRedirect: true }),
        route({ host: "f.test", tls: "internal" }),
      ],
      O,
    );
    expect(hosts(c)).toEqual([
      [["b.test"], "/api/v2"],
      [["a.test", "b.test"], "/api"],
      [["a.test", "b.test", "f.test"], ""],
      [["c.test"], ""],
      [["d.test"], ""],
      [["e.test"], ""],
      [["*.w.test"], ""],
    ]);
    expect(servers(c).http.routes[5].handle[0].status_code).toBe(308);
    expect(servers(c).http.routes[4].handle[0].status_code).toBe(503);
    // On :443 the redirecting host serves its upstream, with the others of that upstream.
    expect(hosts(c, "https")).toEqual([[["e.test", "f.test"], ""]]);
  });

  it("every host still reaches what its own route said (first match, as Caddy takes it)", () => {
    const rs = [
      route({ host: "a.test", path: "/api", upstream: { service: "s_api", port: 1 } }),
      route({ host: "a.test", upstream: { service: "s_web", port: 2 } }),
      route({ host: "b.test", upstream: { service: "s_api", port: 1 } }),
      route({ host: "*.x.test", upstream: { service: "s_wild", port: 3 } }),
      route({ host: "y.x.test", path: "/p", upstream: { service: "s_web", port: 2 } }),
    ];
    const routes = servers(buildCaddyConfig(rs, O)).http.routes.slice(0, -1);
    const first = (host: string, path: string) =>
      routes.find((r: any) => {
        const m = r.match[0];
        const hostOk = m.host.some((h: string) =>
          h.startsWith("*.")
            ? host.endsWith(h.slice(1)) && host.split(".").length === h.split(".").length
            : h === host,
        );
        const pathOk = !m.path || path === m.path[0] || path.startsWith(`${m.path[0]}/`);
        return hostOk && pathOk;
      })?.handle[0].dynamic_upstreams.name;
    expect(first("a.test", "/api/x")).toBe("tasks.s_api");
    expect(first("a.test", "/other")).toBe("tasks.s_web");
    expect(first("b.test", "/")).toBe("tasks.s_api");
    expect(first("y.x.test", "/p")).toBe("tasks.s_web");
    expect(first("y.x.test", "/q")).toBe("tasks.s_wild");
    expect(first("z.x.test", "/")).toBe("tasks.s_wild");
  });
});

describe("proxyConfigDiffers", () => {
  it.each([
    [{ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, false],
    [{ a: 1 }, { a: 2 }, true],
    [{ a: [1, 2] }, { a: [2, 1] }, true],
    [{ a: 1 }, null, true],
  ])("%j vs %j -> %s", (a, b, want) => {
    expect(proxyConfigDiffers(a, b)).toBe(want);
  });
});

describe("buildCaddyConfig: notices (maintenance, suspension)", () => {
  const notice = {
    handler: "static_response",
    status_code: 503,
    headers: {
      "Content-Type": ["text/plain; charset=utf-8"],
      "Retry-After": ["120"],
      "Cache-Control": ["no-store"],
    },
    body: "back at \\{noon\\}\n",
  };
  it("answers 503 with the message and Retry-After instead of proxying, on both servers", () => {
    const c = buildCaddyConfig(
      [route({ tls: "internal", notice: { message: "back at {noon}", retryAfter: 120 } })],
      O,
    );
    expect(servers(c).http.routes[0].handle).toEqual([notice]);
    expect(servers(c).https.routes[0].handle).toEqual([notice]);
  });
  it("keeps a route's redirect to HTTPS and its neighbours' upstreams", () => {
    const c = buildCaddyConfig(
      [
        route({
          tls: "internal",
          httpsRedirect: true,
          notice: { message: "back at {noon}", retryAfter: 120 },
        }),
        route({ host: "b.test" }),
      ],
      O,
    );
    expect(servers(c).http.routes[0].handle[0].status_code).toBe(308);
    expect(servers(c).http.routes[1].handle).toEqual([upstream("acme_web_web", 8080)]);
    expect(servers(c).https.routes[0].handle).toEqual([notice]);
  });
});

describe("proxyFeatures and stream_close_delay", () => {
  it.each([
    ["2.6.2", false],
    ["v2.7.6 h1:w0NymbG2m9PcvKWsrXO6EEkY9Ru4FJK8uQbYcev1p3A=", true],
    ["v2.10.0 h1:x", true],
    ["v3.0.0", true],
    ["", false],
    [undefined, false],
  ])("%s: stream_close_delay %s", (version, expected) => {
    expect(proxyFeatures(version).streamCloseDelay).toBe(expected);
  });

  it("keeps websockets open across loads only when asked", () => {
    const handler = (c: any) => servers(c).http.routes[0].handle[0];
    expect(handler(buildCaddyConfig([route()], O)).stream_close_delay).toBeUndefined();
    expect(
      handler(buildCaddyConfig([route()], { ...O, streamCloseDelayMs: 86_400_000 })).stream_close_delay,
    ).toBe("86400s");
  });
});
