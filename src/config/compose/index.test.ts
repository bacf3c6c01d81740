import { describe, expect, it } from "vitest";
import { loadCompose, parseEnvFile } from "./index.js";

const files: Record<string, string> = {
  "/app/web.env": "# comment\nMODE=prod\nQUOTED='a b'\n\nexport TOKEN=x\n",
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
      MODE: dev
    deploy:
      replicas: \${REPLICAS}
`;
    const prod = "services:\n  web:\n    image: app:${TAG:?set TAG}\n";
    const doc = loadCompose(
      [
        { name: "/app/stack.yml", text: base },
        { name: "/app/prod.yml", text: prod },
      ],
      { env: { TAG: "7", REPLICAS: "3" }, readFile },
    );
    expect((doc.services as any).web).toEqual({
      image: "app:7",
      environment: { MODE: "dev", QUOTED: "a b", TOKEN: "x" },
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
  it("names the line of a bad entry", () => {
    expect(() => parseEnvFile("A=1\nnot a pair\n", "x.env")).toThrow("x.env:2: expected KEY=VALUE");
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
