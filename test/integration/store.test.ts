// The store on both databases it supports: embedded PGlite and a real PostgreSQL server.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Conflict, NotFound } from "../../src/domain/errors.js";
import { stackNamespace } from "../../src/domain/names.js";
import type { StackModel } from "../../src/domain/stack.js";
import { openDatabase } from "../../src/store/db.js";
import {
  createOrg,
  createToken,
  createUser,
  listAudit,
  removeMember,
  setMember,
  tokenByHash,
} from "../../src/store/identity.js";
import { finishJob, getJob, insertJob, markJobRunning, requestCancel } from "../../src/store/jobs.js";
import { users } from "../../src/store/schema.js";
import {
  createDeployment,
  deleteRevisions,
  deleteStack,
  ensureOrg,
  getDeployment,
  getRevision,
  listRevisions,
  listStacks,
  stackNamespaceOf,
  unfinishedDeployments,
  updateDeployment,
} from "../../src/store/stacks.js";
import { freshPglite, freshPostgres, POSTGRES_URL, type TestDatabase } from "../helpers/databases.js";

const model = (name: string, image = "local/httpd:1"): StackModel => ({
  org: "acme",
  name,
  services: [
    {
      name,
      image,
      env: {},
      ports: [{ target: 80, protocol: "tcp" }],
      replicas: 1,
      resources: { cpus: 0.5, memoryBytes: 1 << 28 },
    },
  ],
});

const backends: [string, () => Promise<TestDatabase>, boolean][] = [
  ["PGlite", freshPglite, true],
  ["PostgreSQL", freshPostgres, POSTGRES_URL !== undefined],
];

for (const [label, open, available] of backends) {
  const title = available
    ? `store on ${label}`
    : `store on ${label} (skipped: BERTH_TEST_DATABASE_URL is not set; scripts/test.sh starts a server and sets it)`;
  describe.skipIf(!available)(title, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await open();
    });
    afterAll(async () => {
      await t?.drop();
    });

    it("records revisions 1, 2, 3 of a stack in order", async () => {
      const db = t.database.db;
      const orgId = await ensureOrg(db, "acme");
      const revs: number[] = [];
      for (const image of ["a:1", "a:2", "a:3"]) {
        const { deployment } = await createDeployment(db, {
          id: crypto.randomUUID(),
          orgId,
          namespace: "acme_shop",
          model: model("shop", image),
          requestedBy: "test",
        });
        revs.push(deployment.revision);
      }
      expect(revs).toEqual([1, 2, 3]);
      const [summary] = await listStacks(db, orgId);
      expect(summary!.latest).toMatchObject({ revision: 3, status: "pending" });
      expect(summary!.latest.spec.services[0]!.image).toBe("a:3");
    });

    it("scopes reads to the organization: another organization's deployment is not found", async () => {
      const db = t.database.db;
      const acme = await ensureOrg(db, "acme");
      const other = await ensureOrg(db, "other");
      const { deployment } = await createDeployment(db, {
        id: crypto.randomUUID(),
        orgId: acme,
        namespace: "acme_private",
        model: model("private"),
        requestedBy: "test",
      });
      await expect(getDeployment(db, acme, deployment.id)).resolves.toMatchObject({ stackName: "private" });
      await expect(getDeployment(db, other, deployment.id)).rejects.toThrow(NotFound);
      expect(await listStacks(db, other)).toEqual([]);
    });

    it("refuses two deployments with the same revision as a conflict", async () => {
      const db = t.database.db;
      const orgId = await ensureOrg(db, "acme");
      const id = crypto.randomUUID();
      await createDeployment(db, {
        id,
        orgId,
        namespace: "acme_dup",
        model: model("dup"),
        requestedBy: "test",
      });
      await expect(
        createDeployment(db, { id, orgId, namespace: "acme_dup", model: model("dup"), requestedBy: "test" }),
      ).rejects.toThrow(Conflict);
    });

    it("tracks unfinished deployments and finishes them", async () => {
      const db = t.database.db;
      const orgId = await ensureOrg(db, "acme");
      const { deployment } = await createDeployment(db, {
        id: crypto.randomUUID(),
        orgId,
        namespace: "acme_track",
        model: model("track"),
        requestedBy: "test",
      });
      await updateDeployment(db, deployment.id, {
        status: "running",
        actions: { track: { action: "create" } },
      });
      expect((await unfinishedDeployments(db)).map((d) => d.id)).toContain(deployment.id);
      await updateDeployment(db, deployment.id, { status: "succeeded", reason: "1/1 tasks running" });
      const done = await getDeployment(db, orgId, deployment.id);
      expect(done).toMatchObject({ status: "succeeded", actions: { track: { action: "create" } } });
      expect(done.finishedAt).not.toBeNull();
      expect((await unfinishedDeployments(db)).map((d) => d.id)).not.toContain(deployment.id);
    });

    it("keeps each revision's input apart from its spec, lists revisions, deletes only finished ones", async () => {
      const db = t.database.db;
      const orgId = await ensureOrg(db, "acme");
      const input = model("hist");
      const spec: StackModel = {
        ...input,
        services: [{ ...input.services[0]!, ports: [{ target: 80, protocol: "tcp", published: 30123 }] }],
      };
      const ids: string[] = [];
      for (const rollbackOf of [undefined, undefined, 1]) {
        const { deployment } = await createDeployment(db, {
          id: crypto.randomUUID(),
          orgId,
          namespace: "acme_hist",
          model: spec,
          input,
          ...(rollbackOf === undefined ? {} : { rollbackOf }),
          requestedBy: "test",
        });
        ids.push(deployment.id);
      }
      await updateDeployment(db, ids[0]!, { status: "succeeded" });
      const third = await getRevision(db, orgId, "hist", 3);
      expect(third).toMatchObject({ input, spec, rollbackOf: 1 });
      await expect(getRevision(db, orgId, "hist", 4)).rejects.toThrow("revision 'hist 4' not found");
      const list = await listRevisions(db, orgId, "hist");
      expect(list.map((r) => [r.revision, r.status, r.rollbackOf, r.images])).toEqual([
        [3, "pending", 1, { hist: "local/httpd:1" }],
        [2, "pending", null, { hist: "local/httpd:1" }],
        [1, "succeeded", null, { hist: "local/httpd:1" }],
      ]);
      const stackId = (await listStacks(db, orgId, "hist"))[0]!.stack.id;
      expect(await deleteRevisions(db, stackId, [1, 2])).toBe(1);
      expect((await listRevisions(db, orgId, "hist")).map((r) => r.revision)).toEqual([3, 2]);
    });

    it("keeps everything across a close and reopen, and migrations run again harmlessly", async () => {
      const orgId = await ensureOrg(t.database.db, "acme");
      const before = await listStacks(t.database.db, orgId);
      await t.database.close();
      t.database = await openDatabase(t.target);
      expect(await listStacks(t.database.db, orgId)).toEqual(before);
    });

    it("reads a token with its creator's standing, and revokes a removed member's tokens", async () => {
      const db = t.database.db;
      const org = await createOrg(db, "tokens", "tokens");
      const member = await createUser(db, { email: "member@example.com", passwordHash: "x" });
      const admin = await createUser(db, {
        email: "root@example.com",
        passwordHash: "x",
        platformAdmin: true,
      });
      await setMember(db, org.id, member.id, "deployer");
      const token = (name: string, creator: Parameters<typeof createToken>[1]["creator"]) =>
        createToken(db, {
          orgId: org.id,
          name,
          role: "admin",
          tokenHash: `hash-${name}`,
          creator,
          expiresAt: null,
        });
      const mine = await token("mine", { kind: "user", userId: member.id });
      await token("root", { kind: "admin-token" });
      await token("platform", { kind: "user", userId: admin.id });
      expect((await tokenByHash(db, "hash-mine"))?.creator).toEqual({
        kind: "user",
        userId: member.id,
        platformAdmin: false,
        role: "deployer",
      });
      expect((await tokenByHash(db, "hash-root"))?.creator).toEqual({ kind: "admin-token" });
      expect((await tokenByHash(db, "hash-platform"))?.creator).toEqual({
        kind: "user",
        userId: admin.id,
        platformAdmin: true,
        role: null,
      });

      const { removed, revoked } = await removeMember(db, {
        orgId: org.id,
        userId: member.id,
        audit: (x) => ({ actor: "test", action: "revoke token", target: x.id, sourceAddress: null }),
      });
      expect(removed).toBe(true);
      expect(revoked.map((x) => x.name)).toEqual(["mine"]);
      expect(await tokenByHash(db, "hash-mine")).toBeUndefined();
      expect((await listAudit(db, org.id, 10)).map((a) => [a.action, a.target])).toEqual([
        ["revoke token", mine.id],
      ]);

      // A deleted creator answers for nothing.
      await db.delete(users).where(eq(users.id, admin.id));
      expect((await tokenByHash(db, "hash-platform"))?.creator).toEqual({ kind: "unknown" });
    });

    it("never runs a job cancelled while it is claimed, and never overwrites cancelled", async () => {
      const db = t.database.db;
      const orgId = await ensureOrg(db, "acme");
      const row = { orgId, type: "deploy", target: "x", correlationId: "c", requestedBy: "test" };
      const job = await insertJob(db, { ...row, id: crypto.randomUUID() });
      await requestCancel(db, orgId, job.id);
      expect(await markJobRunning(db, job.id, 1)).toBeUndefined();
      expect(await finishJob(db, job.id, { status: "cancelled" }, ["queued"])).toBe(true);
      expect(await finishJob(db, job.id, { status: "succeeded" })).toBe(false);
      expect((await getJob(db, orgId, job.id)).status).toBe("cancelled");

      const other = await insertJob(db, { ...row, id: crypto.randomUUID() });
      expect(await markJobRunning(db, other.id, 1)).toMatchObject({ status: "running" });
      // A cancel of a job a worker holds leaves it to the worker: not ended from "queued".
      expect(await finishJob(db, other.id, { status: "cancelled" }, ["queued"])).toBe(false);
      expect(await finishJob(db, other.id, { status: "succeeded" })).toBe(true);
    });

    it("deletes a stack with its history", async () => {
      const db = t.database.db;
      const orgId = await ensureOrg(db, "acme");
      await deleteStack(db, orgId, "shop");
      expect((await listStacks(db, orgId)).map((s) => s.stack.name)).not.toContain("shop");
    });
  });
}

/**
 * An embedded database migrated up to (not including) the migration `tag`, holding what `seed`
 * writes, then opened (and so upgraded) as Berth opens it.
 */
async function upgradedFrom(
  tag: string,
  seed: (client: PGlite) => Promise<unknown>,
): Promise<{
  db: Awaited<ReturnType<typeof openDatabase>>;
  cleanup: () => Promise<void>;
}> {
  const root = mkdtempSync(join(tmpdir(), "berth-upgrade-"));
  const older = join(root, "drizzle");
  cpSync(resolve("drizzle"), older, { recursive: true });
  const journal = JSON.parse(readFileSync(join(older, "meta/_journal.json"), "utf8"));
  const at = journal.entries.findIndex((e: { tag: string }) => e.tag === tag);
  expect(at, `migration ${tag}`).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(join(older, "meta/_journal.json"), JSON.stringify(journal));
  const dir = join(root, "pgdata");
  const client = await PGlite.create(dir);
  await migrate(drizzle(client), { migrationsFolder: older });
  await seed(client);
  await client.close();
  const db = await openDatabase({ kind: "pglite", dir });
  return {
    db,
    cleanup: async () => {
      await db.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

// An installation upgraded from before injective names: its stacks keep the `<org>-<stack>` namespace
// their services and volumes were created under, while new stacks get `<org>_<stack>`.
describe("upgrade of a database made before stack namespaces", () => {
  it("gives existing stacks their legacy namespace, new ones the current scheme", async () => {
    const { db, cleanup } = await upgradedFrom("0004_stack_namespaces", (client) =>
      client.exec(`insert into organizations (slug, name) values ('t', 't'), ('t-x', 't-x');
        insert into stacks (org_id, name) select id, 'x-alpha' from organizations where slug = 't';`),
    );
    try {
      const t = await ensureOrg(db.db, "t");
      const tx = await ensureOrg(db.db, "t-x");
      expect(await stackNamespaceOf(db.db, t, "x-alpha")).toBe("t-x-alpha");
      await createDeployment(db.db, {
        id: crypto.randomUUID(),
        orgId: tx,
        namespace: stackNamespace("t-x", "alpha"),
        model: { ...model("alpha"), org: "t-x" },
        requestedBy: "test",
      });
      expect(await stackNamespaceOf(db.db, tx, "alpha")).toBe("t-x_alpha");
    } finally {
      await cleanup();
    }
  });
});

// An installation upgraded from before inputs were kept apart: each recorded revision's spec stands
// in for its input, so it can be rolled back to.
describe("upgrade of a database made before deployment inputs", () => {
  it("gives existing revisions their spec as their input", async () => {
    const { db, cleanup } = await upgradedFrom("0006_deployment_input", (client) =>
      client.query(
        `with o as (insert into organizations (slug, name) values ('t', 't') returning id),
              s as (insert into stacks (org_id, name, namespace) select id, 'old', 't_old' from o returning id)
         insert into deployments (stack_id, revision, spec, status, requested_by)
           select id, 1, $1::jsonb, 'succeeded', 'test' from s`,
        [JSON.stringify(model("old"))],
      ),
    );
    try {
      const t = await ensureOrg(db.db, "t");
      expect(await getRevision(db.db, t, "old", 1)).toMatchObject({
        input: model("old"),
        spec: model("old"),
        rollbackOf: null,
      });
    } finally {
      await cleanup();
    }
  });
});
