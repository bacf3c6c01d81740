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
    [{ name: "web", image: "a", port: 80, publish: 80 }, "publish: must be in the allowed host port range"],
    [{ name: "web", image: "a", port: 80, replicas: -1 }, "replicas:"],
    [{ name: "web", image: "a", port: 80, env: { "A-B": "x" } }, "env.A-B: environment variable names"],
    [{ name: "web", image: "a", port: 80, privileged: true }, "unknown field 'privileged'"],
    [{ image: "a", port: 80 }, "name:"],
  ])("rejects %j", (input, message) => {
    expect(() => parseShortForm(input)).toThrow(ConfigError);
    expect(() => parseShortForm(input)).toThrow(message);
  });
});
