import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../domain/errors.js";
import { jsonDepth, screenJsonBody } from "./json-body.js";
import { MAX_JSON_DEPTH } from "./limits.js";

const nested = (n: number, open = "[", close = "]") => `${open.repeat(n)}${close.repeat(n)}`;

describe("jsonDepth", () => {
  it.each([
    ["1", 0],
    ['"[[["', 0],
    ['"a\\"[{"', 0],
    ['"\\\\"', 0],
    ["[]", 1],
    ["{}", 1],
    ['{"a":[1,{"b":"]]]"}],"c":{}}', 3],
    ['["\\\\",[["x"]]]', 3],
    [nested(50_000), 50_000],
  ])("%s is %i deep", (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });

  it("agrees with the parsed value's depth", () => {
    const depthOf = (v: unknown): number =>
      v !== null && typeof v === "object" ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        const text = JSON.stringify(v);
        expect(jsonDepth(text)).toBe(depthOf(JSON.parse(text)));
      }),
    );
  });

  it("stops counting past the limit", () => {
    expect(jsonDepth(nested(50_000), 10)).toBe(11);
  });
});

describe("screenJsonBody", () => {
  it.each(["", " ", "\n\t "])("reads %j as no body", (text) => {
    expect(screenJsonBody(text)).toBe("empty");
  });

  it("parses a body nested up to the limit", () => {
    expect(screenJsonBody(nested(MAX_JSON_DEPTH))).toBe("parse");
    expect(screenJsonBody('{"name":"x"}')).toBe("parse");
  });

  it.each([
    ["50,000 nested arrays", nested(50_000)],
    ["20,000 nested objects", `{"environment":${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}}`],
    ["one level too deep", nested(MAX_JSON_DEPTH + 1, "{", "}")],
  ])("refuses %s", (_name, text) => {
    expect(() => screenJsonBody(text)).toThrow(ConfigError);
    expect(() => screenJsonBody(text)).toThrow(`body: nests arrays and objects more than ${MAX_JSON_DEPTH}`);
  });
});
