import { describe, expect, it } from "vitest";
import { interpolate, interpolateString } from "./interpolate.js";

const env = { TAG: "1.2", EMPTY: "", HOST: "db" };

describe("interpolateString", () => {
  it.each([
    ["app:${TAG}", "app:1.2"],
    ["app:$TAG", "app:1.2"],
    ["$TAG-x", "1.2-x"],
    ["${MISSING}", ""],
    ["${MISSING:-latest}", "latest"],
    ["${EMPTY:-latest}", "latest"],
    ["${EMPTY-latest}", ""],
    ["${MISSING-latest}", "latest"],
    ["${TAG:-latest}", "1.2"],
    ["${TAG:?must be set}", "1.2"],
    ["${EMPTY?set but empty is fine}", ""],
    ["cost $$5", "cost $5"],
    ["$${TAG}", "${TAG}"],
    ["no variables", "no variables"],
  ])("%s -> %s", (input, expected) => {
    expect(interpolateString(input, env, "services.web.image")).toBe(expected);
  });

  it.each([
    [
      "${MISSING:?set TAG first}",
      "services.web.image: required variable MISSING is missing a value: set TAG first",
    ],
    ["${EMPTY:?}", "services.web.image: required variable EMPTY is missing a value"],
    ["${MISSING?}", "services.web.image: required variable MISSING is missing a value"],
    ["${BAD NAME}", "services.web.image: invalid interpolation format"],
    ["${}", "services.web.image: invalid interpolation format"],
    ["price $", "services.web.image: invalid interpolation format"],
  ])("rejects %s", (input, message) => {
    expect(() => interpolateString(input, env, "services.web.image")).toThrow(message);
  });
});

describe("interpolate", () => {
  it("walks values, keeps keys and non-strings, and names the path of a failure", () => {
    const doc = {
      services: { web: { image: "app:${TAG}", environment: ["A=${HOST}"], replicas: 2, "${KEY}": true } },
    };
    expect(interpolate(doc, env)).toEqual({
      services: { web: { image: "app:1.2", environment: ["A=db"], replicas: 2, "${KEY}": true } },
    });
    expect(() => interpolate({ services: { web: { environment: ["A=${X:?}"] } } }, env)).toThrow(
      "services.web.environment.0: required variable X",
    );
  });
});
