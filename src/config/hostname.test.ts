import { describe, expect, it } from "vitest";
import { normalizeHostname, normalizePathPrefix } from "./hostname.js";

describe("normalizeHostname", () => {
  it.each([
    ["App.Example.COM", "app.example.com"],
    ["app.example.com.", "app.example.com"],
    ["bücher.example", "xn--bcher-kva.example"],
    ["*.customers.example.com", "*.customers.example.com"],
    ["a-b.c1.io", "a-b.c1.io"],
  ])("%s -> %s", (input, want) => {
    expect(normalizeHostname(input)).toBe(want);
  });

  it.each([
    ["", "host: must not be empty"],
    ["example.com:8080", "no scheme, port, path"],
    ["https://example.com", "no scheme, port, path"],
    ["example.com/api", "no scheme, port, path"],
    ["localhost", "at least two labels"],
    ["*.com", "a wildcard needs at least two labels"],
    ["a.*.example.com", "whole first label"],
    ["**.example.com", "whole first label"],
    ["-a.example.com", "must be letters, digits"],
    ["a_b.example.com", "must be letters, digits"],
    ["a..example.com", "must be letters, digits"],
    [`${"a".repeat(64)}.example.com`, "longer than 63"],
    [`${"a.".repeat(130)}com`, "at most 253"],
    ["10.0.0.1", "not an IP address"],
  ])("refuses %j (%s)", (input, message) => {
    expect(() => normalizeHostname(input)).toThrow(message);
  });

  it("names the field it was given", () => {
    expect(() => normalizeHostname("x", "domains.0.host")).toThrow(/^domains\.0\.host: /);
  });
});

describe("normalizePathPrefix", () => {
  it.each([
    [undefined, ""],
    ["/", ""],
    ["/api", "/api"],
    ["/api/", "/api"],
    ["/api/v1", "/api/v1"],
  ])("%j -> %j", (input, want) => {
    expect(normalizePathPrefix(input)).toBe(want);
  });

  it.each(["api", "/api?x=1", "/a*", "//x", "/a/../b", "/a b"])("refuses %j", (input) => {
    expect(() => normalizePathPrefix(input)).toThrow(/^path: /);
  });
});
