import { describe, expect, it } from "vitest";
import { pgName } from "../domain/databases.js";
import type { StackModel } from "../domain/stack.js";
import {
  attachDatabases,
  createDatabaseSql,
  type DatabaseAccess,
  databasesWanted,
  databaseUrl,
  dropDatabaseSql,
  pickServer,
  secretTarget,
} from "./database.js";

const VERIFIER = "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy";

describe("pickServer", () => {
  it("takes the server with the fewest databases, then by name", () => {
    const s = (name: string, databases: number) => ({ name, databases });
    expect(pickServer([s("main", 3), s("two", 1), s("b", 1)])?.name).toBe("b");
    expect(pickServer([s("main", 0)])?.name).toBe("main");
    expect(pickServer([])).toBeUndefined();
  });
});

describe("pgName", () => {
  it("never gives two (org, name) pairs one name", () => {
    // `t` + `x-a` and `t-x` + `a` meet in a `-` join; `_` is in no slug or name.
    expect(pgName("t", "x-a")).not.toBe(pgName("t-x", "a"));
    expect(pgName("acme", "main")).toBe("acme_main");
  });
});

describe("createDatabaseSql", () => {
  it("creates the role with a verifier (never the password), its database, and shuts PUBLIC out", () => {
    expect(
      createDatabaseSql({ db: "a_b", role: "a_b", verifier: VERIFIER, roleExists: false, dbExists: false }),
    ).toEqual([
      `CREATE ROLE "a_b" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT LOGIN CONNECTION LIMIT 100 PASSWORD '${VERIFIER}'`,
      `CREATE DATABASE "a_b" OWNER "a_b" ENCODING 'UTF8' TEMPLATE template0`,
      `REVOKE ALL ON DATABASE "a_b" FROM PUBLIC`,
      `GRANT CONNECT, TEMPORARY ON DATABASE "a_b" TO "a_b"`,
    ]);
  });

  it("on a retry: resets the password, does not create the database twice", () => {
    const sql = createDatabaseSql({
      db: "a_b",
      role: "a_b",
      verifier: VERIFIER,
      roleExists: true,
      dbExists: true,
    });
    expect(sql[0]).toMatch(/^ALTER ROLE "a_b" .* PASSWORD 'SCRAM-SHA-256/);
    expect(sql.some((s) => s.startsWith("CREATE"))).toBe(false);
  });

  it("refuses anything but a verifier as the password literal", () => {
    expect(() =>
      createDatabaseSql({ db: "a", role: "a", verifier: "x'; drop", roleExists: false, dbExists: false }),
    ).toThrow(/SCRAM/);
  });

  it("drops the database (closing its connections) and the role", () => {
    expect(dropDatabaseSql({ db: "a_b", role: "a_b" })).toEqual([
      'DROP DATABASE IF EXISTS "a_b" WITH (FORCE)',
      'DROP ROLE IF EXISTS "a_b"',
    ]);
  });
});

const access = (name: string): DatabaseAccess => ({
  name,
  host: "tasks.pg",
  port: 5432,
  database: `acme_${name}`,
  user: `acme_${name}`,
  url: { sealed: `sealed-${name}`, digest: `d-${name}` },
});

const model = (databases?: string[]): StackModel => ({
  org: "acme",
  name: "shop",
  services: [
    {
      name: "web",
      image: "x",
      env: { A: "1" },
      ports: [],
      replicas: 1,
      resources: { cpus: 1, memoryBytes: 1 },
      ...(databases ? { databases } : {}),
    },
    { name: "worker", image: "x", env: {}, ports: [], replicas: 1, resources: { cpus: 1, memoryBytes: 1 } },
  ],
});

describe("attachDatabases", () => {
  it("gives the service a secret per database and the first one's PG* env, never the password", () => {
    const m = attachDatabases(model(["main", "logs"]), [access("main"), access("logs")]);
    expect(m.secrets).toEqual({
      "db-main": { data: "sealed-main", digest: "d-main" },
      "db-logs": { data: "sealed-logs", digest: "d-logs" },
    });
    const web = m.services[0]!;
    expect(web.secrets).toEqual([
      { source: "db-main", target: "DATABASE_URL", uid: "0", gid: "0", mode: 0o444 },
      { source: "db-logs", target: "DATABASE_URL_LOGS", uid: "0", gid: "0", mode: 0o444 },
    ]);
    expect(web.env).toEqual({
      A: "1",
      PGHOST: "tasks.pg",
      PGPORT: "5432",
      PGDATABASE: "acme_main",
      PGUSER: "acme_main",
      DATABASE_URL_FILE: "/run/secrets/DATABASE_URL",
    });
    expect(m.services[1]).toEqual(model().services[1]);
  });

  it("leaves a stack without databases as it is", () => {
    const m = model();
    expect(attachDatabases(m, [])).toBe(m);
    expect(databasesWanted(m)).toEqual([]);
    expect(databasesWanted(model(["b", "a", "b"]))).toEqual(["a", "b"]);
  });

  it("names the service's entry when a database is unknown", () => {
    expect(() => attachDatabases(model(["main", "nope"]), [access("main")])).toThrow(
      "services.0.databases.1: no database 'nope' in this organization",
    );
  });
});

describe("attachDatabases: a stack secret of the same name", () => {
  it("is refused rather than replaced", () => {
    const m = { ...model(["main"]), secrets: { "db-main": { data: "mine" } } };
    expect(() => attachDatabases(m, [access("main")])).toThrow("secrets.db-main");
  });
});

describe("databaseUrl / secretTarget", () => {
  it("builds a URL and file names", () => {
    expect(databaseUrl({ host: "h", port: 5432, database: "a_b", user: "a_b", password: "p@ss" })).toBe(
      "postgres://a_b:p%40ss@h:5432/a_b",
    );
    expect(secretTarget(0, "main")).toBe("DATABASE_URL");
    expect(secretTarget(1, "my-logs")).toBe("DATABASE_URL_MY_LOGS");
  });
});
