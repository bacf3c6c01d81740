import { describe, expect, it } from "vitest";
import { ConfigError } from "../domain/errors.js";
import { checkStackRoutes, normalizeNotice, normalizeRoute } from "./route.js";

const err = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("no error");
};

describe("normalizeRoute", () => {
  it("normalizes host and path, defaults to acme without redirect", () => {
    expect(normalizeRoute({ host: "App.Example.TEST.", port: 8080, path: "/api/" })).toEqual({
      host: "app.example.test",
      path: "/api",
      port: 8080,
      tls: "acme",
      httpsRedirect: false,
    });
  });

  it.each<[Parameters<typeof normalizeRoute>[0], RegExp]>([
    [{ host: "a.test:80", port: 1 }, /^d\.0\.host: /],
    [{ host: "a.test", port: 0 }, /^d\.0\.port: /],
    [{ host: "a.test", port: 80, tls: "maybe" }, /^d\.0\.tls: must be one of acme, internal, off, upload/],
    [{ host: "*.w.x.test", port: 80 }, /^d\.0\.tls: a wildcard/],
    [{ host: "a.test", port: 80, tls: "off", httpsRedirect: true }, /^d\.0\.httpsRedirect: /],
    [{ host: "a.test", port: 80, path: "api" }, /^d\.0\.path: /],
  ])("refuses %j naming the field", (input, message) => {
    expect(err(() => normalizeRoute(input, "d.0."))).toMatch(message);
  });
});

describe("checkStackRoutes", () => {
  const r = (host: string, path = "", tls: "acme" | "off" = "off") => ({
    host,
    path,
    port: 80,
    tls,
    httpsRedirect: false,
  });
  it("takes several paths of one host with one TLS mode", () => {
    expect(() =>
      checkStackRoutes([
        { at: "a.", route: r("a.test") },
        { at: "b.", route: r("a.test", "/api") },
        { at: "c.", route: r("b.test", "", "acme") },
      ]),
    ).not.toThrow();
  });
  it("refuses one host and path twice, and one host under two TLS modes", () => {
    expect(
      err(() =>
        checkStackRoutes([
          { at: "a.", route: r("a.test") },
          { at: "b.", route: r("a.test") },
        ]),
      ),
    ).toBe("b.host: a.test is routed twice in this stack");
    expect(
      err(() =>
        checkStackRoutes([
          { at: "a.", route: r("a.test") },
          { at: "b.", route: r("a.test", "/x", "acme") },
        ]),
      ),
    ).toMatch(/^b\.tls: a\.test is also routed with tls off/);
  });
});

describe("normalizeNotice", () => {
  it("defaults the message and Retry-After", () => {
    expect(normalizeNotice({}, { message: "down" })).toEqual({ message: "down", retryAfter: 300 });
    expect(normalizeNotice({ message: " back at 5 {soon} ", retryAfter: 60 }, { message: "x" })).toEqual({
      message: "back at 5 {soon}",
      retryAfter: 60,
    });
  });
  it.each([
    [{ message: "  " }, /^message: must not be empty/],
    [{ message: "a\u0007b" }, /^message: must be plain text/],
    [{ message: "x".repeat(1001) }, /^message: must be at most 1000/],
    [{ retryAfter: -1 }, /^retryAfter: /],
    [{ retryAfter: 1.5 }, /^retryAfter: /],
  ])("refuses %j", (input, message) => {
    expect(err(() => normalizeNotice(input, { message: "d" }))).toMatch(message);
  });
});
