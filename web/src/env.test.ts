import { describe, expect, it } from "vitest";
import { envPreview, formatEnvLines, multilineKeys, parseEnvLines } from "./env";

describe("parseEnvLines", () => {
  it("reads KEY=VALUE lines as written, skipping blanks and comments", () => {
    const text = "A=1\n\n# a comment\nB=two words\r\nC=x=y\nD=\nBARE\nlower.case-name= padded ";
    expect(parseEnvLines(text)).toEqual({
      env: { A: "1", B: "two words", C: "x=y", D: "", BARE: null, "lower.case-name": " padded " },
      errors: [],
    });
  });

  it.each<[string, string, string]>([
    ["an empty name", "=value", "the name before '=' is empty"],
    ["a name starting with a digit", "1A=x", "'1A' must not start with a digit"],
    ["a space in the name", "MY VAR=x", "'MY VAR' must not contain spaces (write KEY=VALUE)"],
    ["a space before '='", "A =x", "'A ': no spaces around the name"],
    ["a bad character", "A$B=x", "'A$B' may hold only letters, digits, '_', '.' and '-'"],
    ["a line of words", "hello world", "'hello world' must not contain spaces (write KEY=VALUE)"],
  ])("says what is wrong with %s, with its line number", (_name, line, message) => {
    const { env, errors } = parseEnvLines(`OK=1\n${line}`);
    expect(errors).toEqual([{ line: 2, message }]);
    expect(env).toEqual({ OK: "1" });
  });

  it("reports every bad line and names the first line of a duplicate", () => {
    expect(parseEnvLines("A=1\n1B=2\nA=3\n=4").errors).toEqual([
      { line: 2, message: "'1B' must not start with a digit" },
      { line: 3, message: "A is already set on line 1" },
      { line: 4, message: "the name before '=' is empty" },
    ]);
  });

  it("refuses a value over the API's limit", () => {
    expect(parseEnvLines(`A=${"x".repeat(32 * 1024 + 1)}`).errors[0]?.message).toMatch(/longer than 32768/);
  });
});

describe("formatEnvLines", () => {
  it("writes sorted lines that read back the same", () => {
    const env = { B: "2", A: "x=y", BARE: null, E: "" };
    const text = formatEnvLines(env);
    expect(text).toBe("A=x=y\nB=2\nBARE\nE=");
    expect(parseEnvLines(text).env).toEqual(env);
  });
});

describe("envPreview", () => {
  it("lists added, removed and changed names in order", () => {
    expect(envPreview({ A: "1", B: "1", C: "1" }, { B: "2", C: "1", D: null })).toEqual([
      { key: "A", change: "removed", from: "1" },
      { key: "B", change: "changed", from: "1", to: "2" },
      { key: "D", change: "added", to: null },
    ]);
    expect(envPreview({ A: "1" }, { A: "1" })).toEqual([]);
  });
});

describe("multilineKeys", () => {
  it("finds values the line editor cannot show", () => {
    expect(multilineKeys({ A: "one\ntwo", B: "x", C: null })).toEqual(["A"]);
  });
});
