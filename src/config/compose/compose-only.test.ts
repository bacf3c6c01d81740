import { describe, expect, it } from "vitest";
import { loadComposeFile } from "./load.js";
import { composeToModel } from "./to-model.js";

const convert = (text: string) => composeToModel(loadComposeFile("stack.yml", text).data, "acme", "shop");

describe("keys of files written for docker compose", () => {
  it("accepts depends_on in the long form and warns that Swarm does not enforce it", () => {
    const { model, warnings } = convert(`services:
  web:
    image: app:1
    depends_on:
      db: { condition: service_healthy }
      init: { condition: service_completed_successfully }
      cache: { condition: service_started }
  db: { image: postgres:16 }
  init: { image: app:1 }
  cache: { image: redis:7, depends_on: [db] }
`);
    expect(model.services.map((s) => s.name)).toEqual(["cache", "db", "init", "web"]);
    expect(warnings).toEqual([
      "Service web: depends_on db (service_healthy), init (service_completed_successfully), cache (service_started) is not enforced: Swarm starts services in no order and waits for none",
    ]);
  });

  it("deploys the image of a service that also has build, with a warning", () => {
    const { model, warnings } = convert("services:\n  web:\n    image: app:1\n    build: .\n");
    expect(model.services[0]!.image).toBe("app:1");
    expect(warnings).toContain(
      "Service web: build is not run; image app:1 is deployed as it is (berth stack deploy --build builds it first)",
    );
  });

  it("refuses a service with build and no image, naming the field", () => {
    expect(() => convert("services:\n  web:\n    build: .\n")).toThrow("services.web.image: is required");
  });

  it("leaves out services with profiles, as docker compose up does without --profile", () => {
    const { model, warnings } = convert(`services:
  web: { image: app:1 }
  debug: { image: app:1, profiles: [debug] }
`);
    expect(model.services.map((s) => s.name)).toEqual(["web"]);
    expect(warnings).toEqual([
      'Service debug: left out (profiles "debug"; docker compose starts it only with --profile)',
    ]);
    expect(() => convert("services:\n  debug: { image: app:1, profiles: [debug] }\n")).toThrow(
      "services: every service has profiles: none would start",
    );
  });

  it("reads a port with an empty host address as docker does", () => {
    const { model } = convert('services:\n  web:\n    image: app:1\n    ports: [":2283:2283"]\n');
    expect(model.services[0]!.ports).toEqual([
      { target: 2283, published: 2283, protocol: "tcp", mode: "ingress" },
    ]);
  });
});

describe("service keys", () => {
  it("takes '_' and keys longer than Berth's own names while the Swarm name fits in 63 characters", () => {
    const key = "immich-machine-learning-and-more";
    const { model } = convert(`services:\n  root_db: { image: postgres:16 }\n  ${key}: { image: app:1 }\n`);
    expect(model.services.map((s) => s.name)).toEqual([key, "root_db"]);
    // acme_shop_ leaves 53 characters.
    expect(() => convert(`services:\n  ${"a".repeat(54)}: { image: app:1 }\n`)).toThrow(
      `services.${"a".repeat(54)}: service name must be at most 53 characters here (got 54)`,
    );
    expect(() => convert("services:\n  _db: { image: app:1 }\n")).toThrow(
      "services._db: service name '_db' must be lowercase letters, digits, '-' and '_', starting and ending with a letter or digit",
    );
  });
});

describe("bridge networks", () => {
  it("deploys docker compose's default driver as overlay, with a warning", () => {
    const { model, warnings } = convert(`services:
  web: { image: app:1, networks: [back] }
networks:
  back:
    driver: bridge
    internal: true
    driver_opts: { com.docker.network.bridge.name: br-back }
`);
    expect(model.networks).toEqual({ back: { internal: true } });
    expect(warnings).toEqual([
      "Network back: driver bridge is local to one node; deployed with Swarm's overlay driver, which joins the stack's services alike (its driver_opts, bridge's, are left out)",
    ]);
  });
});

describe("platform", () => {
  it("takes an empty platform (`platform: ${DOCKER_PLATFORM:-}`) as none, as docker compose does", () => {
    const { model, warnings } = convert('services:\n  web:\n    image: app:1\n    platform: ""\n');
    expect(model.services[0]!.placement).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});
