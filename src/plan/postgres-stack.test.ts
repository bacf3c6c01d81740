import { describe, expect, it } from "vitest";
import { DEFAULT_HOST_PORT_RANGE } from "../config/defaults.js";
import { checkPolicy } from "./policy.js";
import { planPostgresStack, postgresPlacement, postgresPolicy } from "./postgres-stack.js";

const S = {
  server: "main",
  image: "postgres:15",
  hostPort: 5433,
  placement: "node.id==n1",
  password: { sealed: "v1.sealed", digest: "abc123" },
  orgNetworks: [] as string[],
};

describe("planPostgresStack", () => {
  it("runs the server in the system organization, the password only as a secret file", () => {
    const m = planPostgresStack(S);
    expect(m).toMatchObject({ org: "berth-system", name: "postgres" });
    const [svc] = m.services;
    expect(svc).toMatchObject({
      name: "postgres",
      image: "postgres:15",
      ports: [{ target: 5432, published: 5433, protocol: "tcp", mode: "host" }],
      mounts: [{ type: "volume", source: "data", target: "/var/lib/postgresql/data" }],
      secrets: [{ source: "superuser", target: "postgres-password", uid: "0", gid: "0", mode: 0o444 }],
      placement: { constraints: ["node.id==n1"] },
      endpointMode: "dnsrr",
      update: { order: "stop-first" },
    });
    expect(svc!.env).toEqual({
      PGDATA: "/var/lib/postgresql/data/pgdata",
      POSTGRES_PASSWORD_FILE: "/run/secrets/postgres-password",
    });
    // Already sealed with its digest: the stored revision is the same on every sync.
    expect(m.secrets).toEqual({ superuser: { data: "v1.sealed", digest: "abc123" } });
    expect(m.networks).toBeUndefined();
    expect(planPostgresStack({ ...S, server: "eu" }).name).toBe("postgres-eu");
  });

  it("joins exactly the organizations' networks, sorted and deduplicated", () => {
    const m = planPostgresStack({ ...S, orgNetworks: ["berth-org-b", "berth-org-a", "berth-org-b"] });
    expect(m.networks).toEqual({ "db-0": { external: "berth-org-a" }, "db-1": { external: "berth-org-b" } });
    expect(m.services[0]!.networks).toEqual([
      { name: "db-0", aliases: [] },
      { name: "db-1", aliases: [] },
    ]);
    expect(planPostgresStack({ ...S, orgNetworks: ["berth-org-a", "berth-org-b"] })).toEqual(m);
  });

  it("passes the policy only with its relaxations", () => {
    const m = planPostgresStack(S);
    expect(checkPolicy(m, {}, DEFAULT_HOST_PORT_RANGE).length).toBeGreaterThan(0);
    expect(checkPolicy(m, postgresPolicy(S.placement), DEFAULT_HOST_PORT_RANGE)).toEqual([]);
    const labelled = planPostgresStack({ ...S, placement: "node.labels.db==primary" });
    expect(checkPolicy(labelled, postgresPolicy("node.labels.db==primary"), DEFAULT_HOST_PORT_RANGE)).toEqual(
      [],
    );
  });
});

describe("postgresPlacement", () => {
  it.each([
    [{ nodeId: "n1" }, "node.id==n1"],
    [{ nodeId: "n1", nodeLabel: "db=primary" }, "node.labels.db==primary"],
    [{ nodeId: "n1", nodeLabel: "postgres" }, "node.labels.postgres==true"],
  ])("%j -> %s", (input, want) => {
    expect(postgresPlacement(input)).toBe(want);
  });
});
