import { describe, expect, it } from "vitest";
import { hostPortKey, pickHostPort, portReservations } from "./host-ports.js";

const range = { from: 30000, to: 30002 };
const tcp = (...ports: number[]) => new Set(ports.map((p) => hostPortKey(p, "tcp")));

describe("pickHostPort", () => {
  it.each([
    ["requested wins, even if used", { requested: 30001, current: 30000, used: tcp(30001) }, 30001],
    ["keeps the current port", { current: 30002, used: tcp(30002) }, 30002],
    ["lowest free port", { used: tcp(30000) }, 30001],
    ["first of the range", { used: tcp() }, 30000],
    ["full range", { used: tcp(30000, 30001, 30002) }, undefined],
  ])("%s", (_name, opts, expected) => {
    expect(pickHostPort({ ...opts, protocol: "tcp", range })).toBe(expected);
  });

  it("takes a port held for another protocol", () => {
    expect(pickHostPort({ used: tcp(30000, 30001, 30002), protocol: "udp", range })).toBe(30000);
  });
});

describe("portReservations", () => {
  it("holds each published number once, for the first service that publishes it", () => {
    const svc = (name: string, ports: { published?: number; protocol: "tcp" | "udp" }[]) => ({
      name,
      image: "a",
      env: {},
      replicas: 1,
      resources: { cpus: 1, memoryBytes: 1 },
      ports: ports.map((p) => ({ target: 1, ...p })),
    });
    const model = {
      org: "acme",
      name: "shop",
      services: [
        svc("dns", [
          { published: 30053, protocol: "tcp" },
          { published: 30053, protocol: "udp" },
        ]),
        svc("web", [{ protocol: "tcp" }, { published: 30080, protocol: "tcp" }]),
      ],
    };
    expect(portReservations(model)).toEqual([
      { service: "dns", port: 30053 },
      { service: "web", port: 30080 },
    ]);
  });
});
