// Managed PostgreSQL databases: list, create (a job; the shared server is deployed on first use),
// remove (a job; a final backup first unless declined). Viewers list, deployers create, admins remove
// (it destroys data). Platform admins list the servers.
import { z } from "zod";
import { requestCreateDatabase, requestRemoveDatabase, viewDatabases } from "../../apply/databases.js";
import type { Platform } from "../../apply/platform.js";
import { nameProblem } from "../../domain/names.js";
import { listServers } from "../../store/databases.js";
import { idempotent } from "../idempotency.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { databaseView } from "../views.js";

const dbName = z.string().superRefine((v, ctx) => {
  const problem = nameProblem("stack", v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const createBody = z.object({ name: dbName }).strict();
const nameParams = z.object({ name: dbName }).strict();
const removeQuery = z.object({ finalBackup: z.enum(["true", "false"]).optional() }).strict();

export function databaseRoutes(r: Routes, p: Platform): void {
  const one = async (org: string, name: string) => {
    const found = (await viewDatabases(p, org)).find((d) => d.name === name);
    return found!;
  };

  r.add(
    {
      method: "GET",
      url: "/databases",
      access: "viewer",
      summary: "The organization's managed PostgreSQL databases",
      response: R.databaseList,
    },
    async ({ req }) => ({ databases: (await viewDatabases(p, req.org!.slug)).map(databaseView) }),
  );

  r.add(
    {
      method: "POST",
      url: "/databases",
      access: "deployer",
      summary:
        "Create a database and its role (generated password) on the shared PostgreSQL server, in a job; the server is deployed on first use. Attach it to services with `databases` (short form) or `x-berth-databases` (compose)",
      body: createBody,
      response: R.databaseJob,
      status: 202,
    },
    async ({ body, req, reply, audit }) =>
      idempotent(p, req, reply, async () => {
        const res = await requestCreateDatabase(p, {
          org: req.org!.slug,
          name: body.name,
          requestedBy: req.caller!.actor,
          correlationId: req.id,
        });
        audit({ database: body.name, jobId: res.jobId });
        return { jobId: res.jobId, database: databaseView(await one(req.org!.slug, body.name)) };
      }),
  );

  r.add(
    {
      method: "DELETE",
      url: "/databases/:name",
      access: "admin",
      summary:
        "Drop a database and its role, in a job that first takes a final backup (unless ?finalBackup=false); a failed final backup keeps the database",
      params: nameParams,
      query: removeQuery,
      response: R.databaseJob,
      status: 202,
    },
    async ({ params, query, req, audit }) => {
      const res = await requestRemoveDatabase(p, {
        org: req.org!.slug,
        name: params.name,
        finalBackup: query.finalBackup !== "false",
        requestedBy: req.caller!.actor,
        correlationId: req.id,
      });
      audit({ database: params.name, jobId: res.jobId, ...(res.backupId ? { backupId: res.backupId } : {}) });
      return {
        jobId: res.jobId,
        database: databaseView(await one(req.org!.slug, params.name)),
        ...(res.backupId ? { backupId: res.backupId } : {}),
      };
    },
  );

  r.add(
    {
      method: "GET",
      url: "/system/db-servers",
      access: "platform",
      summary:
        "The shared PostgreSQL servers (system stacks) and how many databases each holds (platform admin)",
      response: z.object({ servers: z.array(R.dbServer) }),
    },
    async () => ({
      servers: (await listServers(p.db)).map((s) => ({
        name: s.name,
        image: s.image,
        placement: s.placement,
        host: s.host,
        port: s.port,
        databases: s.databases,
        createdAt: s.createdAt.toISOString(),
      })),
    }),
  );
}
