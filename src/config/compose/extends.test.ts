import { describe, expect, it } from "vitest";
import { loadCompose } from "./index.js";

const files: Record<string, string> = {
  "/app/common.yml":
    "services:\n  base:\n    image: app:${TAG:-1}\n    environment: { LEVEL: info, FROM: common }\n",
};
const readFile = (p: string) => {
  if (!(p in files)) throw new Error("ENOENT");
  return files[p]!;
};
const load = (text: string) =>
  loadCompose([{ name: "/app/stack.yml", text }], { env: { TAG: "7" }, readFile });

describe("extends", () => {
  it("merges a service over the one it extends, in this file, along a chain, or from another file", () => {
    const doc = load(`services:
  base:
    image: app:1
    command: serve
    environment: { LEVEL: info }
    ports: ["8080"]
  web:
    extends: base
    environment: { LEVEL: debug }
    ports: ["9090"]
  worker:
    extends: { service: web }
    command: work
  shared:
    extends: { file: common.yml, service: base }
    environment: { FROM: stack }
`);
    const s = doc.services as Record<string, any>;
    expect(s.web).toEqual({
      image: "app:1",
      command: "serve",
      environment: { LEVEL: "debug" },
      ports: ["8080", "9090"],
    });
    expect(s.worker).toMatchObject({ image: "app:1", command: "work", environment: { LEVEL: "debug" } });
    expect(s.worker.extends).toBeUndefined();
    expect(s.shared).toEqual({ image: "app:7", environment: { LEVEL: "info", FROM: "stack" } });
  });

  it("refuses a loop, a missing service and an unreadable file, naming the service", () => {
    expect(() => load("services:\n  a: { image: x, extends: b }\n  b: { image: x, extends: a }\n")).toThrow(
      "services.b.extends: extends loops: a -> b -> a",
    );
    expect(() => load("services:\n  a: { image: x, extends: nope }\n")).toThrow(
      "services.a.extends: extends service 'nope', which /app/stack.yml does not define",
    );
    expect(() => load("services:\n  a: { image: x, extends: { file: gone.yml, service: b } }\n")).toThrow(
      "services.a.extends.file: cannot read /app/gone.yml: ENOENT",
    );
  });
});
