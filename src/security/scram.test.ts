import { describe, expect, it } from "vitest";
import { newDbPassword, scramVerifier } from "./scram.js";

describe("scramVerifier", () => {
  it("is PostgreSQL's SCRAM-SHA-256 verifier: deterministic for a salt, never holding the password", () => {
    const salt = Buffer.from("0123456789abcdef");
    const v = scramVerifier("pencil", salt);
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(v.split("$")[1]).toBe(`4096:${salt.toString("base64")}`);
    expect(scramVerifier("pencil", salt)).toBe(v);
    expect(scramVerifier("pencil2", salt)).not.toBe(v);
    expect(scramVerifier("pencil")).not.toBe(scramVerifier("pencil"));
    expect(v).not.toContain("pencil");
  });

  it("makes 128-bit hex passwords", () => {
    const a = newDbPassword();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newDbPassword()).not.toBe(a);
  });
});
