import { describe, expect, it } from "vitest";
import { ConfigError } from "../domain/errors.js";
import { parseShortForm } from "./short-form.js";

describe("parseShortForm", () => {
  it("normalizes into a one-service stack with default limits", () => {
    expect(parseShortForm({ name: "web", image: "local/httpd:1", port: 8080 })).toEqual({
      org: "default",
      name: "web",
      services: [
        {
          name: "web",
          image: "local/httpd:1",
          env: {},
          ports: [{ target: 8080, protocol: "tcp" }],
          replicas: 1,
          resources: { cpus: 0.5, memoryBytes: 268435456 },
          healthcheck: { port: 8080 },
        },
      ],
    });
  });

  it("keeps a requested host port, replicas and env", () => {
    const stack = parseShortForm({
      name: "api",
      image: "app:2",
      port: 3000,
      publish: 30080,
      replicas: 3,
      env: { MODE: "prod" },
    });
    expect(stack.services[0]).toMatchObject({
      ports: [{ target: 3000, published: 30080, protocol: "tcp" }],
      replicas: 3,
      env: { MODE: "prod" },
    });
  });

  it.each([
    [{ name: "my app", image: "a", port: 80 }, "name: 'my app' must be lowercase"],
    [{ name: "Web", image: "a", port: 80 }, "name: 'Web' must be lowercase"],
    [{ name: "", image: "a", port: 80 }, "name: must not be empty"],
    [{ name: "a".repeat(25), image: "a", port: 80 }, "name: must be at most 24 characters"],
    [{ name: "web", image: "Bad Image", port: 80 }, "image: 'Bad Image' must not contain whitespace"],
    [{ name: "web", image: "a", port: 0 }, "port: must be between 1 and 65535"],
    [{ name: "web", image: "a", port: 70000 }, "port: must be between 1 and 65535"],
    [{ name: "web", image: "a", port: 80.5 }, "port: must be a whole number"],
    [{ name: "web", image: "a", port: "80" }, "port: must be a number"],
    [{ name: "web", image: "a", port: 80, publish: 70000 }, "publish: must be between 1 and 65535"],
    [{ name: "web", image: "a", port: 80, replicas: -1 }, "replicas:"],
    [{ name: "web", image: "a", port: 80, env: { "A-B": "x" } }, "env.A-B: environment variable names"],
    [
      { name: "web", image: "a", port: 80, env: { BIG: "x".repeat(32 * 1024 + 1) } },
      "env.BIG: must be at most 32768 characters",
    ],
    [{ name: "web", image: "a", port: 80, privileged: true }, "unknown field 'privileged'"],
    [{ image: "a", port: 80 }, "name:"],
  ])("rejects %j", (input, message) => {
    expect(() => parseShortForm(input)).toThrow(ConfigError);
    expect(() => parseShortForm(input)).toThrow(message);
  });
});

describe("parseShortForm health checks", () => {
  const one = (extra: object) =>
    parseShortForm({ name: "web", image: "a:1", port: 8080, ...extra }).services[0]!;

  it.each([
    ["none given: Berth's check of the port", {}, { port: 8080 }],
    [
      "timings only: Berth's check with them",
      { healthcheck: { interval: "2s", timeout: 1.5, retries: 5, startPeriod: "1m" } },
      { port: 8080, interval: 2e9, timeout: 1.5e9, retries: 5, startPeriod: 60e9 },
    ],
    [
      "a shell command",
      { healthcheck: { test: "curl -f localhost:8080" } },
      { test: ["CMD-SHELL", "curl -f localhost:8080"] },
    ],
    [
      "docker's exec form",
      { healthcheck: { test: ["CMD", "/app/check", "--quick"], retries: 2 } },
      { test: ["CMD", "/app/check", "--quick"], retries: 2 },
    ],
    ["disabled", { healthcheck: { disable: true } }, { disable: true }],
  ])("%s", (_n, extra, expected) => {
    expect(one(extra).healthcheck).toEqual(expected);
  });

  it("leaves a service without a port to its image's check (with the timings given)", () => {
    const stack = parseShortForm({
      name: "jobs",
      services: [
        { name: "a", image: "w:1" },
        { name: "b", image: "w:1", healthcheck: { interval: "10s" } },
      ],
    });
    expect(stack.services[0]!.healthcheck).toBeUndefined();
    expect(stack.services[1]!.healthcheck).toEqual({ interval: 10e9 });
  });

  it.each([
    [{ healthcheck: { disable: true, test: "x" } }, "healthcheck: disable takes no other field"],
    [{ healthcheck: { disable: false } }, "healthcheck.disable: must be true"],
    [{ healthcheck: { test: ["NONE"] } }, "healthcheck.test: must be"],
    [{ healthcheck: { test: ["/bin/check", "x"] } }, 'must start with "CMD" or "CMD-SHELL"'],
    [{ healthcheck: { test: "" } }, "healthcheck.test: must not be empty"],
    [{ healthcheck: { interval: "soon" } }, "healthcheck.interval: 'soon' is not a duration"],
    [{ healthcheck: { interval: "0s" } }, "healthcheck.interval: must be from 1ms to 1h"],
    [{ healthcheck: { retries: 0 } }, "healthcheck.retries:"],
    [{ healthcheck: { cmd: "x" } }, "unknown field 'cmd'"],
  ])("rejects %j", (extra, message) => {
    expect(() => one(extra)).toThrow(message);
  });
});

describe("parseShortForm update policy", () => {
  const one = (extra: object) =>
    parseShortForm({ name: "web", image: "a:1", port: 8080, ...extra }).services[0]!;

  it("keeps what is given over Berth's defaults (filled by the plan)", () => {
    expect(one({}).update).toBeUndefined();
    expect(
      one({
        update: {
          monitor: "1s",
          delay: "0s",
          order: "stop-first",
          failureAction: "pause",
          maxFailureRatio: 0.5,
        },
      }).update,
    ).toEqual({
      defaults: "berth",
      monitor: 1e9,
      delay: 0,
      order: "stop-first",
      failureAction: "pause",
      maxFailureRatio: 0.5,
    });
  });

  it.each([
    [{ update: { monitor: "0s" } }, "update.monitor: must be from 1ms to 1h"],
    [{ update: { delay: "-1s" } }, "update.delay:"],
    [{ update: { order: "random" } }, "update.order:"],
    [{ update: { failureAction: "explode" } }, "update.failureAction:"],
    [{ update: { maxFailureRatio: 2 } }, "update.maxFailureRatio: must be from 0 to 1"],
    [{ update: { parallelism: 1.5 } }, "update.parallelism: must be a whole number"],
    [{ update: { window: "1s" } }, "unknown field 'window'"],
  ])("rejects %j", (extra, message) => {
    expect(() => one(extra)).toThrow(message);
  });
});

describe("parseShortForm with services", () => {
  it("builds a stack of several services", () => {
    const stack = parseShortForm({
      name: "shop",
      services: [
        { name: "web", image: "a:1", port: 80 },
        { name: "api", image: "b:1", port: 3000, replicas: 2 },
      ],
    });
    expect(stack.services.map((s) => [s.name, s.image, s.replicas])).toEqual([
      ["web", "a:1", 1],
      ["api", "b:1", 2],
    ]);
  });

  it("lets a listed service publish nothing", () => {
    const stack = parseShortForm({ name: "jobs", services: [{ name: "worker", image: "w:1", replicas: 3 }] });
    expect(stack.services[0]!.ports).toEqual([]);
  });

  it.each([
    [
      { name: "shop", services: [{ name: "w", image: "x", publish: 30001 }] },
      "services.w.publish: needs a port",
    ],
    [{ name: "shop", services: [] }, "services: must list at least one service"],
    [
      {
        name: "shop",
        services: [
          { name: "a", image: "x", port: 1 },
          { name: "a", image: "y", port: 2 },
        ],
      },
      "services: service names must be unique",
    ],
    [
      { name: "shop", services: [{ name: "Bad", image: "x", port: 1 }] },
      "services.0.name: 'Bad' must be lowercase",
    ],
    [
      { name: "shop", services: [{ name: "a", image: "x", port: 0 }] },
      "services.0.port: must be between 1 and 65535",
    ],
  ])("rejects %j", (input, message) => {
    expect(() => parseShortForm(input)).toThrow(message);
  });
});

describe("parseShortForm with domains", () => {
  it("routes the port through the proxy and publishes no host port for it", () => {
    const m = parseShortForm({
      name: "x",
      image: "local/httpd:1",
      port: 8080,
      domains: ["App.Example.test"],
    });
    expect(m.services[0]!.ports).toEqual([]);
    expect(m.services[0]!.domains).toEqual([
      { host: "app.example.test", path: "", port: 8080, tls: "acme", httpsRedirect: false },
    ]);
  });

  it("publishes a host port as well when --publish asks for one", () => {
    const m = parseShortForm({
      name: "x",
      image: "local/httpd:1",
      port: 8080,
      publish: 30123,
      domains: [{ host: "a.example.test", tls: "off", path: "/api" }],
    });
    expect(m.services[0]!.ports).toEqual([{ target: 8080, protocol: "tcp", published: 30123 }]);
    expect(m.services[0]!.domains).toEqual([
      { host: "a.example.test", path: "/api", port: 8080, tls: "off", httpsRedirect: false },
    ]);
  });

  it.each<[unknown, RegExp]>([
    [{ name: "x", image: "local/httpd:1", port: 8080, domains: ["a.test:80"] }, /^domains\.0\.host: /],
    [
      { name: "x", image: "local/httpd:1", port: 8080, domains: [{ host: "a.test", tls: "x" }] },
      /^domains\.0\.tls: /,
    ],
    [
      { name: "x", image: "local/httpd:1", port: 8080, domains: ["a.test", "A.test"] },
      /^domains\.1\.host: .*twice/,
    ],
    [
      { name: "x", services: [{ name: "w", image: "local/httpd:1", domains: ["a.test"] }] },
      /^services\.0\.domains: need a port/,
    ],
  ])("refuses %j naming the field", (input, message) => {
    expect(() => parseShortForm(input)).toThrow(message);
  });
});

describe("parseShortForm with databases", () => {
  it("attaches the named databases, each once", () => {
    const m = parseShortForm({ name: "x", image: "local/httpd:1", port: 8080, databases: ["main", "main"] });
    expect(m.services[0]!.databases).toEqual(["main"]);
    expect(
      parseShortForm({ name: "x", image: "local/httpd:1", port: 8080 }).services[0]!.databases,
    ).toBeUndefined();
  });

  it("names the bad entry", () => {
    expect(() =>
      parseShortForm({ name: "x", image: "local/httpd:1", port: 8080, databases: ["Bad_1"] }),
    ).toThrow("databases.0");
  });
});
