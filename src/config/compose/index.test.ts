import { describe, expect, it } from "vitest";
import { loadCompose, parseEnvFile, stackNameOf } from "./index.js";

const files: Record<string, string> = {
  "/app/web.env": "# comment\nMODE=prod\nQUOTED='a b'\n\n  TOKEN=x \nSHELL_ONLY\nNOWHERE\n",
};
const readFile = (p: string) => {
  if (!(p in files)) throw new Error("ENOENT");
  return files[p]!;
};

describe("loadCompose", () => {
  it("interpolates, reads env files, and merges files in order", () => {
    const base = `services:
  web:
    image: app:\${TAG:-latest}
    env_file: web.env
    environment:
      - MODE=dev
      - FROM_SHELL
      - UNSET
    deploy:
      replicas: \${REPLICAS}
`;
    const prod = "services:\n  web:\n    image: app:${TAG:?set TAG}\n";
    const doc = loadCompose(
      [
        { name: "/app/stack.yml", text: base },
        { name: "/app/prod.yml", text: prod },
      ],
      { env: { TAG: "7", REPLICAS: "3", SHELL_ONLY: "s", FROM_SHELL: "f" }, readFile },
    );
    expect((doc.services as any).web).toEqual({
      image: "app:7",
      // As docker reads them: env_file values kept as written (quotes, spaces), bare names take
      // the shell's value or stay bare (null).
      environment: {
        MODE: "dev",
        QUOTED: "'a b'",
        TOKEN: "x ",
        SHELL_ONLY: "s",
        FROM_SHELL: "f",
        UNSET: null,
      },
      deploy: { replicas: 3 },
    });
  });

  it.each([
    [[], "-c: name at least one compose file"],
    [
      [{ name: "/app/a.yml", text: "services:\n  web:\n    image: ${TAG:?set TAG}\n" }],
      "services.web.image: required variable TAG is missing a value: set TAG",
    ],
    [
      [{ name: "/app/a.yml", text: "services:\n  web:\n    image: a\n    deploy:\n      replicas: ${R}\n" }],
      "/app/a.yml:5 services.web.deploy.replicas: must be integer",
    ],
    [
      [{ name: "/app/a.yml", text: "services:\n  web:\n    image: a\n    env_file: missing.env\n" }],
      "/app/a.yml services.web.env_file: cannot read /app/missing.env",
    ],
  ])("refuses %j", (input, message) => {
    expect(() => loadCompose(input, { env: { R: "many" }, readFile })).toThrow(message);
  });
});

describe("parseEnvFile", () => {
  it.each([
    ['A="quoted value"', { A: '"quoted value"' }],
    ["B='single'", { B: "'single'" }],
    ["C=  spaced  ", { C: "  spaced  " }],
    ["  # comment\n\nD=a=b", { D: "a=b" }],
    ["HOME\nMISSING", { HOME: "/root" }],
  ])("reads %j as docker does", (text, expected) => {
    expect(parseEnvFile(text, "x.env", { HOME: "/root" })).toEqual(expected);
  });

  it.each([
    ["A=1\nnot a pair\n", "x.env:2: variable 'not a pair' contains whitespaces"],
    ["A = b", "x.env:1: variable 'A ' contains whitespaces"],
    ["export A=b", "x.env:1: variable 'export A' contains whitespaces"],
    ["=b", "x.env:1: no variable name"],
  ])("names the line of a bad entry in %j", (text, message) => {
    expect(() => parseEnvFile(text, "x.env")).toThrow(message);
  });
});

describe("castTypes via loadCompose", () => {
  it("gives interpolated numbers and booleans their type back", () => {
    const text =
      "services:\n  web:\n    image: a\n    init: ${INIT}\n    ports:\n      - target: ${PORT}\n        published: 8080\n";
    const doc = loadCompose([{ name: "/app/a.yml", text }], { env: { INIT: "true", PORT: "80" }, readFile });
    expect((doc.services as any).web).toEqual({
      image: "a",
      init: true,
      ports: [{ target: 80, published: 8080 }],
    });
  });
});

describe("keys docker's schema has and the compose specification 1.0.0 lacks", () => {
  it("accepts deploy.resources.limits.pids, interpolated", () => {
    const text =
      "services:\n  web:\n    image: a\n    deploy:\n      resources:\n        limits:\n          pids: ${PIDS}\n";
    const doc = loadCompose([{ name: "/app/a.yml", text }], { env: { PIDS: "100" }, readFile });
    expect((doc.services as any).web.deploy).toEqual({ resources: { limits: { pids: 100 } } });
  });
});

describe("stack name", () => {
  const load = (text: string, env: Record<string, string> = {}) =>
    loadCompose([{ name: "/app/stack.yml", text }], { env, readFile });

  it("takes the top-level name (interpolated) when --name is not given", () => {
    const doc = load("name: ${STACK:-shop}\nservices:\n  web:\n    image: a\n", { STACK: "blog" });
    expect(stackNameOf(undefined, doc, "app")).toBe("blog");
    expect(stackNameOf("other", doc, "app")).toBe("other");
  });

  it("falls back to the directory", () => {
    expect(stackNameOf(undefined, load("services:\n  web:\n    image: a\n"), "app")).toBe("app");
  });

  it("refuses a top-level name that is no stack name, naming the key", () => {
    const doc = load("name: My_Stack\nservices:\n  web:\n    image: a\n");
    expect(() => stackNameOf(undefined, doc, "app")).toThrow("name: stack name 'My_Stack' must be lowercase");
  });
});
