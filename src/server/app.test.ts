// The HTTP edge without a database or Docker: what the API answers before any route reaches the
// platform (refusals of the URL, the body and the caller), the headers of every response, and which
// proxies it believes. The platform is an empty stub: a request that got past these would fail loudly.
import { createHash } from "node:crypto";
import { PassThrough } from "node:stream";
import fc from "fast-check";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Platform } from "../apply/platform.js";
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from "../config/limits.js";
import { createMetrics } from "../observability/metrics.js";
import { buildApp } from "./app.js";
import { clientError } from "./http-errors.js";

type App = ReturnType<typeof buildApp>;
interface Req {
  method: "GET" | "POST" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  payload?: string;
}
const apps: App[] = [];

function testApp(trustedProxies?: string[]): App {
  const app = buildApp({
    platform: {} as Platform,
    token: "bootstrap-token-for-tests",
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
    ping: { db: async () => {}, docker: async () => {} },
    ...(trustedProxies ? { trustedProxies } : {}),
  });
  apps.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const json = { "content-type": "application/json" };
const long = "a".repeat(5000);
const deepArrays = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
const deepEnv = `{"name":"s","compose":{"services":{"web":{"image":"nginx","environment":${'{"a":'.repeat(20_000)}"x"${"}".repeat(20_000)}}}}}`;

/** The one error shape, the nosniff header, and nothing long of the request echoed back. */
function expectRefusal(res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(res.statusCode).toBeGreaterThanOrEqual(400);
  expect(res.statusCode).toBeLessThan(500);
  expect(res.headers["x-content-type-options"]).toBe("nosniff");
  const body = JSON.parse(res.body);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  expect(res.body).not.toContain("a".repeat(200));
  expect(res.body.length).toBeLessThan(1000);
  return body.error as { code: string; message: string };
}

describe("refusals before a route runs", () => {
  it.each<[string, Req, number, RegExp]>([
    ["a 5,000-character path segment", { method: "GET", url: `/api/v1/stacks/${long}` }, 414, /path segment/],
    ["a lone %", { method: "GET", url: "/api/v1/stacks/%" }, 400, /malformed/],
    ["a bad escape in a long segment", { method: "GET", url: `/api/v1/stacks/%zz${long}` }, 400, /malformed/],
    [
      "an unknown route",
      { method: "GET", url: `/api/v1/nothing/${long}` },
      404,
      /no route GET \/api\/v1\/nothing/,
    ],
    [
      "a body over 1 MiB",
      {
        method: "POST",
        url: "/api/v1/stacks/deploy",
        headers: json,
        payload: `{"a":"${"x".repeat(5 * MAX_BODY_BYTES)}"}`,
      },
      413,
      /larger than the API's limit of 1 MiB/,
    ],
    [
      "50,000 nested arrays",
      { method: "POST", url: "/api/v1/stacks/render", headers: json, payload: deepArrays },
      400,
      new RegExp(`more than ${MAX_JSON_DEPTH} levels deep`),
    ],
    [
      "20,000 nested objects in environment",
      { method: "POST", url: "/api/v1/stacks/render", headers: json, payload: deepEnv },
      400,
      /levels deep/,
    ],
    [
      "malformed JSON",
      { method: "POST", url: "/api/v1/stacks/render", headers: json, payload: `{"${long}` },
      400,
      /not valid JSON/,
    ],
    [
      "an unsupported media type",
      {
        method: "POST",
        url: "/api/v1/stacks/render",
        headers: { "content-type": `text/${long}` },
        payload: "x",
      },
      415,
      /Content-Type/,
    ],
  ])("%s", async (_name, request, status, message) => {
    const res = await testApp().inject(request);
    expect(res.statusCode).toBe(status);
    expect(expectRefusal(res).message).toMatch(message);
  });

  it("answers any odd URL with a 4xx in the one shape", async () => {
    const app = testApp();
    const segment = fc.oneof(
      fc.constantFrom("%", "%0", "%00", "%zz", "%%", "..", "%2e%2e", long, "?", "#", "%u0000", "%E0%A4%A"),
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/api/v1/stacks", "/api/v1/jobs", "/api/v1/orgs", "/nothing"),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        fc.constantFrom("", `?${long}=1`, "?service=%", `?a=${long}`),
        async (prefix, segments, query) => {
          const res = await app.inject({ method: "GET", url: `${prefix}/${segments.join("/")}${query}` });
          expectRefusal(res);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("an empty JSON body is no body", () => {
  it.each([
    ["DELETE", "/api/v1/stacks/shop"],
    ["POST", "/api/v1/stacks/deploy"],
    ["POST", "/api/v1/auth/logout"],
  ] as const)("%s %s without credentials is 401, not a complaint about the body", async (method, url) => {
    for (const payload of ["", " \n"]) {
      const res = await testApp().inject({ method, url, headers: json, payload });
      expect(res.statusCode).toBe(401);
      expect(expectRefusal(res).code).toBe("unauthorized");
    }
  });

  it("reaches a route that needs a body as no body: the usual validation", async () => {
    const res = await testApp().inject({
      method: "POST",
      url: "/api/v1/auth/login",
      headers: json,
      payload: "",
    });
    expect(res.statusCode).toBe(400);
    expect(expectRefusal(res).code).toBe("invalid_input");
  });
});

describe("headers", () => {
  it.each([
    ["/healthz", 200],
    ["/readyz", 200],
    ["/metrics", 200],
    ["/api/v1/openapi.json", 200],
    ["/api/v1/docs", 200],
    ["/api/v1/stacks", 401],
    ["/nothing", 404],
    ["/api/v1/%", 400],
  ])("%s carries X-Content-Type-Options: nosniff", async (url, status) => {
    const res = await testApp().inject({ method: "GET", url });
    expect(res.statusCode).toBe(status);
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("serves the docs page under a strict Content-Security-Policy that its own style satisfies", async () => {
    const res = await testApp().inject({ method: "GET", url: "/api/v1/docs" });
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.body).not.toMatch(/<script|\son\w+=|\sstyle=|<link|<img|<iframe/i);
    const styles = [...res.body.matchAll(/<style>([^<]*)<\/style>/g)].map((m) => m[1]!);
    expect(styles.length).toBeGreaterThan(0);
    for (const style of styles) {
      expect(csp).toContain(`'sha256-${createHash("sha256").update(style).digest("base64")}'`);
    }
  });
});

describe("trusted proxies", () => {
  const seen = async (app: App, remoteAddress: string) => {
    app.get("/test/seen", async (req) => ({ protocol: req.protocol, ip: req.ip }));
    const res = await app.inject({
      method: "GET",
      url: "/test/seen",
      remoteAddress,
      headers: { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7" },
    });
    return res.json() as { protocol: string; ip: string };
  };

  it("believes X-Forwarded-Proto and -For from a listed proxy only", async () => {
    expect(await seen(testApp(["10.0.0.0/8"]), "10.1.2.3")).toEqual({ protocol: "https", ip: "203.0.113.7" });
    expect(await seen(testApp(["10.0.0.0/8"]), "192.0.2.1")).toEqual({ protocol: "http", ip: "192.0.2.1" });
  });

  it("believes no one by default", async () => {
    expect(await seen(testApp(), "127.0.0.1")).toEqual({ protocol: "http", ip: "127.0.0.1" });
  });
});

describe("clientError", () => {
  it.each([
    ["HPE_HEADER_OVERFLOW", 431],
    ["HPE_INVALID_METHOD", 400],
  ])("answers %s with %i in the one shape", (code, status) => {
    const socket = new PassThrough();
    let written = "";
    socket.on("error", () => {}); // destroyed with the parser's error, as Node's own handler does
    socket.write = ((chunk: string) => {
      written += chunk;
      return true;
    }) as typeof socket.write;
    clientError(Object.assign(new Error("x"), { code }), socket);
    const [head, text] = written.split("\r\n\r\n");
    expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toMatch(/X-Content-Type-Options: nosniff/i);
    expect(JSON.parse(text!).error).toMatchObject({ code: "invalid_input", message: expect.any(String) });
    expect(socket.destroyed).toBe(true);
  });
});
