import { describe, expect, it } from "vitest";
import { ConfigError } from "../../domain/errors.js";
import { ignoredKeyWarnings } from "./warnings.js";

const CONTAINER_NAME = "container_name: Setting the container name is not supported.";
const EXPOSE =
  "expose: Exposing ports is unnecessary - services on the same network can access each other's containers on any port.";

describe("ignoredKeyWarnings", () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ["no services", {}, []],
    ["null services", { services: null }, []],
    ["a null service", { services: { web: null } }, []],
    ["only supported keys", { services: { web: { image: "a", ports: ["80"], deploy: {} } } }, []],
    [
      "one unsupported key",
      { services: { web: { image: "a", privileged: true } } },
      ["Ignoring unsupported options: privileged"],
    ],
    [
      "unsupported keys, sorted and deduplicated across services",
      {
        services: {
          web: { image: "a", restart: "always", build: "." },
          api: { image: "b", restart: "no", shm_size: "64m" },
        },
      },
      ["Ignoring unsupported options: build, restart, shm_size"],
    ],
    [
      "a key with a null value still counts",
      { services: { web: { image: "a", network_mode: null } } },
      ["Ignoring unsupported options: network_mode"],
    ],
    [
      "deprecated container_name",
      { services: { web: { image: "a", container_name: "x" } } },
      [`Ignoring deprecated options:\n\n${CONTAINER_NAME}`],
    ],
    [
      "deprecated expose",
      { services: { web: { image: "a", expose: ["80"] } } },
      [`Ignoring deprecated options:\n\n${EXPOSE}`],
    ],
    [
      "both deprecated keys, sorted",
      { services: { web: { image: "a", expose: ["80"] }, api: { image: "b", container_name: "x" } } },
      [`Ignoring deprecated options:\n\n${CONTAINER_NAME}\n\n${EXPOSE}`],
    ],
    [
      "unsupported before deprecated",
      { services: { web: { image: "a", expose: ["80"], links: ["db"], build: "." } } },
      ["Ignoring unsupported options: build, links", `Ignoring deprecated options:\n\n${EXPOSE}`],
    ],
  ])("%s", (_name, doc, expected) => {
    expect(ignoredKeyWarnings(doc)).toEqual(expected);
  });

  it.each<[string, string, string]>([
    ["volumes_from", "services.web.volumes_from", "To share a volume between services"],
    ["mem_limit", "services.web.mem_limit", "Set resource limits using deploy.resources"],
    ["cpu_shares", "services.web.cpu_shares", "Set resource limits using deploy.resources"],
    ["cpuset", "services.web.cpuset", "Set resource limits using deploy.resources"],
    ["memswap_limit", "services.web.memswap_limit", "Set resource limits using deploy.resources"],
    ["cpu_quota", "services.web.cpu_quota", "Set resource limits using deploy.resources"],
    ["extends", "services.web.extends", "Support for `extends` is not implemented yet."],
    ["volume_driver", "services.web.volume_driver", "define a volume using the top-level `volumes` option"],
  ])("refuses %s", (key, path, text) => {
    const doc = { services: { web: { image: "a", restart: "always", [key]: "x" } } };
    let error: unknown;
    try {
      ignoredKeyWarnings(doc);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe(path);
    expect((error as ConfigError).message).toContain(`${path}: is not supported: `);
    expect((error as ConfigError).message).toContain(text);
  });

  it("names the service that uses a forbidden key", () => {
    const doc = { services: { web: { image: "a" }, db: { image: "b", mem_limit: "1g" } } };
    expect(() => ignoredKeyWarnings(doc)).toThrow("services.db.mem_limit: is not supported");
  });
});
