import { describe, expect, it } from "vitest";
import type { ServiceModel, StackModel } from "../domain/stack.js";
import { diffModels, type ModelDiff } from "./model-diff.js";

const web: ServiceModel = {
  name: "web",
  image: "local/httpd:1",
  env: { MESSAGE: "one", DB_PASSWORD: "hunter2" },
  ports: [{ target: 8080, protocol: "tcp" }],
  replicas: 1,
  resources: { cpus: 0.5, memoryBytes: 1 << 28 },
};
const worker: ServiceModel = { ...web, name: "worker", ports: [], env: {} };
const stack = (services: ServiceModel[], more: Partial<StackModel> = {}): StackModel => ({
  org: "acme",
  name: "shop",
  services,
  ...more,
});
const none: ModelDiff = { services: [], objects: [] };

describe("diffModels", () => {
  it.each<[string, StackModel, StackModel, ModelDiff]>([
    ["nothing changed", stack([web, worker]), stack([worker, web]), none],
    [
      "a service added and one removed",
      stack([web, { ...worker, name: "old" }]),
      stack([web, worker]),
      {
        services: [
          { service: "old", change: "removed", fields: [] },
          { service: "worker", change: "added", fields: [] },
        ],
        objects: [],
      },
    ],
    [
      "a health check by its kind and timings, never its command",
      stack([
        { ...web, healthcheck: { port: 8080 } },
        { ...worker, healthcheck: { test: ["CMD", "a", "pw1"] } },
      ]),
      stack([
        { ...web, healthcheck: { disable: true } },
        { ...worker, healthcheck: { test: ["CMD", "a", "pw2"] } },
      ]),
      {
        services: [
          {
            service: "web",
            change: "changed",
            fields: [{ field: "healthcheck", from: "port 8080", to: "none" }],
          },
          { service: "worker", change: "changed", fields: [{ field: "healthcheck" }] },
        ],
        objects: [],
      },
    ],
    [
      "image and replicas, with their values",
      stack([web]),
      stack([{ ...web, image: "local/httpd:2", replicas: 3 }]),
      {
        services: [
          {
            service: "web",
            change: "changed",
            fields: [
              { field: "image", from: "local/httpd:1", to: "local/httpd:2" },
              { field: "replicas", from: "1", to: "3" },
            ],
          },
        ],
        objects: [],
      },
    ],
    [
      "env keys added, removed and changed, never their values",
      stack([web]),
      stack([{ ...web, env: { MESSAGE: "two", TOKEN: "s3cret" } }]),
      {
        services: [
          {
            service: "web",
            change: "changed",
            fields: [{ field: "env", added: ["TOKEN"], removed: ["DB_PASSWORD"], changed: ["MESSAGE"] }],
          },
        ],
        objects: [],
      },
    ],
    [
      "ports as docker writes them, a host port Berth picked included",
      stack([web]),
      stack([{ ...web, ports: [{ target: 8080, protocol: "tcp", published: 30001 }] }]),
      {
        services: [
          {
            service: "web",
            change: "changed",
            fields: [{ field: "ports", from: "8080/tcp", to: "30001:8080/tcp" }],
          },
        ],
        objects: [],
      },
    ],
    [
      "a command and limits are named, not shown",
      stack([web]),
      stack([{ ...web, command: ["--password", "x"], resources: { cpus: 1, memoryBytes: 1 << 28 } }]),
      {
        services: [
          { service: "web", change: "changed", fields: [{ field: "command" }, { field: "resources" }] },
        ],
        objects: [],
      },
    ],
    [
      "secret references by key; the stack's secret by its digest, not its sealed value",
      stack([{ ...web, secrets: [{ source: "token", target: "token", uid: "0", gid: "0", mode: 0o444 }] }], {
        secrets: { token: { data: "sealed-A", digest: "d1" }, same: { data: "sealed-X", digest: "d2" } },
      }),
      stack([web], {
        secrets: { token: { data: "sealed-B", digest: "d9" }, same: { data: "sealed-Y", digest: "d2" } },
      }),
      {
        services: [{ service: "web", change: "changed", fields: [{ field: "secrets", removed: ["token"] }] }],
        objects: [{ field: "secrets", changed: ["token"] }],
      },
    ],
    [
      "networks and volumes of the stack, by key",
      stack([web], { networks: { back: {} }, volumes: { data: {} } }),
      stack([web], { networks: { back: { internal: true }, front: {} } }),
      {
        services: [],
        objects: [
          { field: "networks", added: ["front"], changed: ["back"] },
          { field: "volumes", removed: ["data"] },
        ],
      },
    ],
    [
      "the same model with its keys in another order (as jsonb returns it)",
      stack([{ ...web, labels: { a: "1", b: "2" }, healthcheck: { retries: 3, interval: 1 } }]),
      stack([{ ...web, healthcheck: { interval: 1, retries: 3 }, labels: { b: "2", a: "1" } }]),
      none,
    ],
    [
      "a label value changed: named by key",
      stack([{ ...web, labels: { tier: "a" } }]),
      stack([{ ...web, labels: { tier: "b" } }]),
      {
        services: [{ service: "web", change: "changed", fields: [{ field: "labels", changed: ["tier"] }] }],
        objects: [],
      },
    ],
  ])("%s", (_what, from, to, expected) => {
    expect(diffModels(from, to)).toEqual(expected);
  });

  it("never puts an env value or a secret's content into its answer", () => {
    const from = stack([web], { secrets: { token: { data: "sealed-A", digest: "d1" } } });
    const to = stack([{ ...web, env: { MESSAGE: "two", DB_PASSWORD: "correct-horse" } }], {
      secrets: { token: { data: "sealed-B", digest: "d2" } },
    });
    const text = JSON.stringify(diffModels(from, to));
    for (const value of ["one", "two", "hunter2", "correct-horse", "sealed-A", "sealed-B"]) {
      expect(text).not.toContain(`"${value}"`);
    }
  });
});

describe("diffModels: a service's domains", () => {
  it("names routes added, removed and changed by host and path", () => {
    const d = (host: string, path = "", port = 8080) => ({
      host,
      path,
      port,
      tls: "off" as const,
      httpsRedirect: false,
    });
    const a = stack([{ ...web, domains: [d("a.test"), d("b.test", "/api")] }]);
    const b = stack([{ ...web, domains: [d("b.test", "/api", 9090), d("c.test")] }]);
    expect(diffModels(a, b).services).toEqual([
      {
        service: "web",
        change: "changed",
        fields: [{ field: "domains", added: ["c.test"], removed: ["a.test"], changed: ["b.test/api"] }],
      },
    ]);
  });
});
