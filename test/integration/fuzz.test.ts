// Property-based fuzzing of the whole API (fast-check): thousands of random and hostile bodies,
// paths, parameters and headers against every declared endpoint, as nobody, with garbage
// credentials, as a viewer and as a platform admin. No answer may be a 5xx or carry a stack trace,
// and afterwards the database and the swarm are as they were. Then the edge itself: bodies over the
// limit, deeply nested bodies and odd URLs get a 4xx in the one error shape that echoes nothing long,
// every answer says nosniff, and the session cookie is Secure behind a trusted HTTPS proxy.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, deployHttpd, docker, startBerth, type TestBerth } from "../helpers/berth.js";

const d = docker();
let b: TestBerth;
let viewer: string;
let ops: { path: string; method: string; access: string }[];
const ORG = `fz${Date.now().toString(36).slice(-4)}`;
const ADMIN_PASSWORD = "fuzzing-password-1";

// Routes whose empty body is a valid request that changes something harmless but real: a platform
// admin's fuzzed call could make them act, so the admin does not fuzz them (others are refused).
const ADMIN_SKIPS = new Set([
  "POST /api/v1/drift/repair",
  "PUT /api/v1/orgs/{org}/quota",
  "PUT /api/v1/orgs/{org}/policy",
]);

/** The organization's live feed stays open for a caller who may read it: fuzzed without credentials only. */
const STREAM_SKIPS = new Set(["GET /api/v1/events"]);

beforeAll(async () => {
  // The test itself plays the TLS-terminating proxy in front of Berth.
  b = await startBerth({ BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_TRUSTED_PROXY: "127.0.0.1" });
  expect((await b.api("POST", "/api/v1/orgs", { slug: ORG })).status).toBe(201);
  viewer = (await b.api("POST", `/api/v1/orgs/${ORG}/tokens`, { name: "fuzz", role: "viewer" })).body.token;
  // Something of its own in Swarm that no fuzzed call may touch.
  const deployed = await deployHttpd(b, ORG);
  expect(deployed.code, deployed.stderr).toBe(0);
  const doc = (await call(b.url, "GET", "/api/v1/openapi.json")).body;
  ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      path,
      method: method.toUpperCase(),
      access: op["x-berth-access"],
    })),
  );
}, 120_000);

afterAll(async () => {
  await b?.stop();
});

/** What must not change: organizations, their members, tokens, quotas, stacks; Swarm's objects. */
async function snapshot() {
  const orgs = (await b.api("GET", "/api/v1/orgs")).body.orgs;
  const perOrg = [];
  for (const o of orgs) {
    const h = { "x-berth-org": o.slug };
    perOrg.push({
      org: o.slug,
      members: (await b.api("GET", `/api/v1/orgs/${o.slug}/members`)).body,
      tokens: (await b.api("GET", `/api/v1/orgs/${o.slug}/tokens`)).body.tokens.map((t: any) => [
        t.id,
        t.revokedAt,
      ]),
      quota: (await b.api("GET", `/api/v1/orgs/${o.slug}/quota`)).body,
      policy: (await b.api("GET", `/api/v1/orgs/${o.slug}`)).body.org.policy,
      stacks: (await b.api("GET", "/api/v1/stacks", undefined, h)).body.stacks.map((s: any) => [
        s.name,
        s.revision,
      ]),
    });
  }
  return { perOrg, swarm: await swarmObjects() };
}

/** Every service, network, secret and config in Swarm, with the installation that owns it. */
async function swarmObjects(): Promise<Map<string, string | undefined>> {
  const entries = (kind: string, list: any[]) =>
    list.map((x): [string, string | undefined] => [
      `${kind} ${x.Spec?.Name ?? x.Name}`,
      (x.Spec?.Labels ?? x.Labels)?.["berth.instance"],
    ]);
  return new Map([
    ...entries("service", await d.listServices()),
    ...entries("network", await d.listNetworks()),
    ...entries("secret", await d.listSecrets()),
    ...entries("config", await d.listConfigs()),
  ]);
}

const hostile = fc.oneof(
  fc.constantFrom(
    "../../etc/passwd",
    "..%2f..%2f",
    "%00",
    "' OR '1'='1",
    "'; DROP TABLE stacks; --",
    "<script>alert(1)</script>",
    `$${"{"}jndi:ldap://x}`,
    "\u0000\u0001",
    "😀",
    "a".repeat(5000),
    "default",
    ORG,
    "00000000-0000-4000-8000-000000000000",
    "-1",
    "1e309",
    "NaN",
    "true",
    "null",
    "__proto__",
    "constructor",
  ),
  fc.string({ maxLength: 40 }),
  fc.uuid(),
);

const bodies = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(
    fc.constantFrom(
      "name",
      "image",
      "port",
      "services",
      "compose",
      "slug",
      "email",
      "password",
      "role",
      "other",
      "__proto__",
      "constructor",
    ),
    fc.jsonValue({ maxDepth: 3 }),
  ),
  fc.record({ name: hostile, image: hostile, port: fc.oneof(fc.integer(), hostile) }),
  fc.record({ name: hostile, compose: fc.dictionary(hostile, fc.jsonValue({ maxDepth: 3 })) }),
  hostile,
);

const headers = fc.record(
  {
    "x-berth-org": hostile,
    "content-type": fc.constantFrom(
      "application/json",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/json; charset=utf-16",
    ),
    "idempotency-key": hostile,
    "x-request-id": hostile,
    cookie: fc.constantFrom("berth_session=bs_garbage", "berth_session=", "a=b"),
  },
  { requiredKeys: [] },
);

const who = fc.constantFrom<"nobody" | "garbage" | "viewer" | "admin">(
  "nobody",
  "garbage",
  "viewer",
  "admin",
);

const TRACE = /\n\s+at .+:\d+:\d+|node_modules|\/work\/|\.ts:\d+/;

describe("fuzzing every endpoint", () => {
  it("answers every random and hostile request without a 5xx or a stack trace, and changes nothing", async () => {
    const before = await snapshot();
    const problems: string[] = [];
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(hostile, { minLength: 5, maxLength: 5 }),
        bodies,
        headers,
        who,
        fc.boolean(),
        async (pick, params, body, hdrs, caller, rawPath) => {
          const op = ops[pick % ops.length]!;
          if (caller === "admin" && ADMIN_SKIPS.has(`${op.method} ${op.path}`)) return;
          if ((caller === "admin" || caller === "viewer") && STREAM_SKIPS.has(`${op.method} ${op.path}`))
            return;
          let i = 0;
          let path = op.path.replace(/\{(\w+)\}/g, () => encodeURIComponent(params[i++ % params.length]!));
          if (rawPath)
            path += `/${encodeURIComponent(params[4]!)}?${encodeURIComponent(params[3]!)}=${encodeURIComponent(params[2]!)}`;
          const auth =
            caller === "admin"
              ? `Bearer ${b.token}`
              : caller === "viewer"
                ? `Bearer ${viewer}`
                : caller === "garbage"
                  ? `Bearer ${params[0]}`
                  : undefined;
          const sendBody = op.method !== "GET";
          let res: Response;
          try {
            res = await fetch(`${b.url}${path}`, {
              method: op.method,
              headers: {
                ...Object.fromEntries(
                  Object.entries(hdrs).map(([k, v]) => [
                    k,
                    String(v)
                      .replace(/[^\x20-\x7e]/g, "?")
                      .slice(0, 4000),
                  ]),
                ),
                ...(auth ? { authorization: auth.replace(/[^\x20-\x7e]/g, "?").slice(0, 4000) } : {}),
              },
              ...(sendBody ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
              signal: AbortSignal.timeout(30_000),
            });
          } catch (err) {
            problems.push(`${op.method} ${path}: request failed: ${(err as Error).message}`);
            return;
          }
          calls++;
          const text = await res.text();
          if (res.status >= 500)
            problems.push(`${op.method} ${path} as ${caller}: ${res.status} ${text.slice(0, 200)}`);
          if (TRACE.test(text))
            problems.push(
              `${op.method} ${path} as ${caller}: internals in the response: ${text.slice(0, 200)}`,
            );
        },
      ),
      { numRuns: 5000, seed: 20261122 },
    );
    expect(problems.slice(0, 20)).toEqual([]);
    expect(calls).toBeGreaterThan(4000);
    // Nothing new in Swarm, nothing of this control plane's removed. Objects of other installations
    // are not compared: an earlier test's removal may still be settling (Docker lets a network of a
    // container in its stop grace period linger).
    const after = await snapshot();
    expect(after.perOrg).toEqual(before.perOrg);
    expect([...after.swarm.keys()].filter((k) => !before.swarm.has(k))).toEqual([]);
    expect(
      [...before.swarm].filter(([k, owner]) => owner === b.instance && !after.swarm.has(k)).map(([k]) => k),
    ).toEqual([]);
  }, 600_000);
});

describe("the HTTP edge", () => {
  const MiB = 1024 * 1024;
  const json = { "content-type": "application/json" };
  const compose = (web: Record<string, unknown>) =>
    JSON.stringify({ name: "edge", compose: { services: { web: { image: "local/httpd:1", ...web } } } });
  const nested = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

  interface Odd {
    what: string;
    method: string;
    path: string;
    body?: string;
    headers?: Record<string, string>;
    /** A run of characters of the input that must not come back. */
    notEchoed?: string;
    status?: number;
    message?: RegExp;
  }
  const odd: Odd[] = [
    {
      what: "a 5 MB environment value",
      method: "POST",
      path: "/api/v1/stacks/deploy",
      body: compose({ environment: { BIG: "Q".repeat(5 * MiB) } }),
      notEchoed: "Q".repeat(100),
      status: 413,
    },
    {
      what: "a 1.5 MiB short form",
      method: "POST",
      path: "/api/v1/deployments",
      body: JSON.stringify({
        name: "edge",
        image: "local/httpd:1",
        port: 80,
        env: { A: "Q".repeat(1.5 * MiB) },
      }),
      notEchoed: "Q".repeat(100),
      status: 413,
    },
    {
      what: "a huge login",
      method: "POST",
      path: "/api/v1/auth/login",
      body: JSON.stringify({ email: "Q".repeat(2 * MiB), password: "x" }),
      // A client address of its own: the fuzzing above used up the test's login rate limit.
      headers: { "x-forwarded-for": "198.51.100.8" },
      notEchoed: "Q".repeat(100),
      status: 413,
    },
    {
      what: "a compose environment value over the short form's limit",
      method: "POST",
      path: "/api/v1/stacks/deploy",
      body: compose({ environment: { BIG: "Q".repeat(40_000) } }),
      notEchoed: "Q".repeat(100),
      status: 400,
      message: /services\.web\.environment\.BIG: must be at most 32768 characters/,
    },
    {
      what: "50,000 nested arrays",
      method: "POST",
      path: "/api/v1/stacks/render",
      body: nested(50_000),
      notEchoed: "[[[[[[[[[[",
      status: 400,
      message: /levels deep/,
    },
    {
      what: "20,000 nested objects in environment",
      method: "POST",
      path: "/api/v1/stacks/render",
      body: `{"name":"edge","compose":{"services":{"web":{"image":"local/httpd:1","environment":${'{"a":'.repeat(20_000)}"x"${"}".repeat(20_000)}}}}}`,
      notEchoed: '{"a":{"a":',
      status: 400,
      message: /levels deep/,
    },
    {
      what: "env_file the server would have to read",
      method: "POST",
      path: "/api/v1/stacks/render",
      body: compose({ env_file: "./secrets.env" }),
      status: 400,
      message: /services\.web\.env_file: cannot read \.\/secrets\.env/,
    },
    { what: "a lone %", method: "GET", path: "/api/v1/stacks/%", status: 400 },
    { what: "a lone % at the root", method: "GET", path: "/api/v1/%" },
    { what: "a % in the query", method: "GET", path: "/api/v1/stacks?a=%" },
    {
      what: "a 5,000-character name",
      method: "GET",
      path: `/api/v1/stacks/${"Q".repeat(5000)}`,
      notEchoed: "Q".repeat(100),
      status: 414,
    },
    {
      what: "a 5,000-character organization",
      method: "DELETE",
      path: `/api/v1/orgs/${"Q".repeat(5000)}/members/${"R".repeat(5000)}`,
      notEchoed: "Q".repeat(100),
      status: 414,
    },
    {
      what: "a 5,000-character unknown path",
      method: "GET",
      path: `/api/v1/${"Q".repeat(5000)}`,
      notEchoed: "Q".repeat(101),
      status: 404,
    },
    { what: "a NUL in a name", method: "GET", path: "/api/v1/stacks/a%00b" },
    { what: "a NUL as a name", method: "DELETE", path: "/api/v1/stacks/%00" },
    { what: "a NUL in the query", method: "GET", path: "/api/v1/stacks/x/logs?service=%00" },
    {
      what: "a long query key",
      method: "GET",
      path: `/api/v1/stacks?${"Q".repeat(8000)}=1`,
      notEchoed: "Q".repeat(100),
      status: 400,
    },
    {
      what: "a long query value",
      method: "GET",
      path: `/api/v1/stacks/x/logs?service=${"Q".repeat(8000)}`,
      notEchoed: "Q".repeat(100),
    },
    {
      what: "a query string over the server's header limit",
      method: "GET",
      path: `/api/v1/stacks?q=${"Q".repeat(20_000)}`,
      notEchoed: "Q".repeat(100),
      status: 431,
    },
    {
      what: "an unsupported media type",
      method: "POST",
      path: "/api/v1/stacks/render",
      body: "x",
      headers: { "content-type": `text/${"Q".repeat(2000)}` },
      notEchoed: "Q".repeat(100),
      status: 415,
    },
  ];

  it("refuses huge, deeply nested and odd requests with a 4xx in the one shape, echoing nothing long", async () => {
    const problems: string[] = [];
    for (const o of odd) {
      for (const caller of ["nobody", "admin"] as const) {
        const res = await fetch(`${b.url}${o.path}`, {
          method: o.method,
          headers: {
            ...(o.body === undefined ? {} : json),
            ...o.headers,
            ...(caller === "admin" ? { authorization: `Bearer ${b.token}` } : {}),
          },
          ...(o.body === undefined ? {} : { body: o.body }),
          signal: AbortSignal.timeout(30_000),
        }).catch((err: Error) => err);
        const at = `${o.what} as ${caller}`;
        if (res instanceof Error) {
          problems.push(`${at}: request failed: ${res.message}`);
          continue;
        }
        const text = await res.text();
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        if (res.status < 400 || res.status >= 500) problems.push(`${at}: status ${res.status}`);
        if (
          !body ||
          Object.keys(body).join() !== "error" ||
          typeof body.error?.code !== "string" ||
          typeof body.error?.message !== "string"
        )
          problems.push(`${at}: not the error shape: ${text.slice(0, 120)}`);
        if (res.headers.get("x-content-type-options") !== "nosniff") problems.push(`${at}: no nosniff`);
        if (o.notEchoed && text.includes(o.notEchoed)) problems.push(`${at}: echoes the input`);
        if (text.length > 1000) problems.push(`${at}: a ${text.length}-character answer`);
        // Who may not call learns nothing about the body; the admin gets the refusal itself.
        const wanted =
          caller === "admin" || [413, 414, 415, 431, 404].includes(o.status ?? 0) ? o.status : undefined;
        if (wanted && res.status !== wanted && !(caller === "nobody" && res.status === 401))
          problems.push(`${at}: status ${res.status}, expected ${wanted}: ${text.slice(0, 120)}`);
        if (caller === "admin" && o.message && !o.message.test(body?.error?.message ?? ""))
          problems.push(`${at}: message ${body?.error?.message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("reads an empty JSON body as no body: 401 before anything else for nobody", async () => {
    for (const [method, path] of [
      ["DELETE", "/api/v1/stacks/edge"],
      ["POST", "/api/v1/stacks/deploy"],
      ["POST", "/api/v1/drift/repair"],
    ]) {
      const res = await call(b.url, method!, path!, { headers: json });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.error.code).toBe("unauthorized");
    }
    const admin = await call(b.url, "POST", "/api/v1/stacks/render", {
      token: b.token,
      headers: json,
    });
    expect(admin.status).toBe(400);
    expect(admin.body.error.code).toBe("invalid_input");
  });

  it("says nosniff on every kind of answer", async () => {
    for (const path of [
      "/healthz",
      "/readyz",
      "/metrics",
      "/api/v1/openapi.json",
      "/api/v1/docs",
      "/nothing",
    ]) {
      const res = await call(b.url, "GET", path);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
    const docs = await call(b.url, "GET", "/api/v1/docs");
    expect(docs.headers.get("content-security-policy")).toMatch(/^default-src 'none'; style-src 'sha256-/);
  });

  it("marks the session cookie Secure when a trusted proxy says the request came over HTTPS", async () => {
    const login = (headers: Record<string, string>) =>
      call(b.url, "POST", "/api/v1/auth/login", {
        body: { email: "admin@berth.local", password: ADMIN_PASSWORD },
        // Its own client address, so that the fuzzing's failed logins do not rate-limit this one.
        headers: { "x-forwarded-for": "198.51.100.7", ...headers },
      });
    const direct = await login({});
    expect(direct.status, JSON.stringify(direct.body)).toBe(200);
    expect(direct.headers.get("set-cookie")).not.toMatch(/;\s*Secure/i);
    const proxied = await login({ "x-forwarded-proto": "https" });
    expect(proxied.status, JSON.stringify(proxied.body)).toBe(200);
    expect(proxied.headers.get("set-cookie")).toMatch(/;\s*Secure/i);
  });
});
