import { describe, expect, it } from "vitest";
import { mergeComposeFiles } from "./merge.js";

const svc = (web: Record<string, unknown>) => ({ services: { web } });

describe("mergeComposeFiles", () => {
  it.each([
    [
      "mappings merge key by key",
      [svc({ image: "a:1", user: "x" }), svc({ image: "a:2" })],
      { image: "a:2", user: "x" },
    ],
    [
      "sequences append",
      [svc({ dns: ["1.1.1.1"] }), svc({ dns: ["8.8.8.8"] })],
      { dns: ["1.1.1.1", "8.8.8.8"] },
    ],
    [
      "command is replaced",
      [svc({ command: ["echo", "a"] }), svc({ command: ["echo", "b"] })],
      { command: ["echo", "b"] },
    ],
    [
      "healthcheck test is replaced, the rest merges",
      [
        svc({ healthcheck: { test: ["CMD", "a"], interval: "5s" } }),
        svc({ healthcheck: { test: ["CMD", "b"] } }),
      ],
      { healthcheck: { test: ["CMD", "b"], interval: "5s" } },
    ],
    [
      "environment merges by name across list and mapping forms",
      [svc({ environment: ["A=1", "B=2"] }), svc({ environment: { B: "3", C: "4" } })],
      { environment: { A: "1", B: "3", C: "4" } },
    ],
    [
      "volumes are unique by target",
      [svc({ volumes: ["data:/var/lib", "/etc/x:/x:ro"] }), svc({ volumes: ["other:/var/lib"] })],
      { volumes: ["other:/var/lib", "/etc/x:/x:ro"] },
    ],
    [
      "ports are unique by published and target",
      [
        svc({ ports: [{ target: 80, published: 8080 }] }),
        svc({ ports: [{ target: 80, published: 8080, mode: "host" }, "9090:90"] }),
      ],
      { ports: [{ target: 80, published: 8080, mode: "host" }, "9090:90"] },
    ],
    [
      "secrets are unique by target",
      [
        svc({ secrets: ["db", { source: "api", target: "key" }] }),
        svc({ secrets: [{ source: "api2", target: "key" }] }),
      ],
      { secrets: ["db", { source: "api2", target: "key" }] },
    ],
  ])("%s", (_name, files, web) => {
    expect((mergeComposeFiles(files as Record<string, unknown>[]).services as any).web).toEqual(web);
  });

  it("adds services, networks and volumes from later files", () => {
    const merged = mergeComposeFiles([
      { services: { web: { image: "a" } }, networks: { front: {} } },
      { services: { db: { image: "b" } }, volumes: { data: {} } },
    ]);
    expect(merged).toEqual({
      services: { web: { image: "a" }, db: { image: "b" } },
      networks: { front: {} },
      volumes: { data: {} },
    });
  });
});
