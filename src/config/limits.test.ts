import { describe, expect, it } from "vitest";
import { ConfigError } from "../domain/errors.js";
import { MAX_BODY_BYTES, refuseOversizedBody } from "./limits.js";

describe("refuseOversizedBody", () => {
  const withSecret = (bytes: number) => ({
    name: "shop",
    compose: { secrets: { big: { "x-berth-data": "A".repeat(bytes) } } },
  });

  it("lets a body up to the API's limit through", () => {
    const overhead = JSON.stringify(withSecret(0)).length;
    expect(() => refuseOversizedBody(withSecret(MAX_BODY_BYTES - overhead), "stack.yml")).not.toThrow();
  });

  it("refuses a larger one before it is sent, saying why", () => {
    const overhead = JSON.stringify(withSecret(0)).length;
    const run = () => refuseOversizedBody(withSecret(MAX_BODY_BYTES - overhead + 1), "a.yml, b.yml");
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/^a\.yml, b\.yml: the stack as sent .* is 1\.0 MiB; the API takes at most 1 MiB/);
  });
});
