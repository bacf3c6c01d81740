// Managed PostgreSQL databases: list, create (a job; the shared server is deployed on first use),
// remove (a job; a final backup first unless declined). Viewers list, deployers create, admins remove
// (it destroys data). Platform admins list the servers.
import { z } from "zod";
import {
  addServer,
  requestCreateDatabase,
  requestRemoveDatabase,
  viewDatabases,
} from "../../apply/databases.js";
import type { Platform } from "../../apply/platform.js";
import { nodeLabel } from "../../config/server-config.js";
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
const createBody = z.object({ name: dbName, server: z.string().min(1).max(64).optional() }).strict();
const serverBody = z
  .object({
    name: z.string().min(1).max(64),
    port: z.number({ error: "must be a port number" }).int().min(1).max(65535),
    host: z.string().min(1).max(255).optional(),
    nodeLabel: nodeLabel.optional(),
    image: z.string().min(1).max(300).optional(),
  })
  .strict();
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
          ...(body.server ? { server: body.server } : {}),
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
      method: "POST",
      url: "/system/db-servers",
      access: "platform",
      summary:
        "Register another shared PostgreSQL server (platform admin): new databases go to the server with the fewest (or the one `db create` names); it is deployed as its own system stack with its first database",
      body: serverBody,
      response: z.object({ server: R.dbServer }),
      status: 201,
    },
    async ({ body, audit }) => {
      const s = await addServer(p, {
        name: body.name,
        port: body.port,
        ...(body.host ? { host: body.host } : {}),
        ...(body.nodeLabel ? { nodeLabel: body.nodeLabel } : {}),
        ...(body.image ? { image: body.image } : {}),
      });
      audit({ server: s.name, host: s.host, port: s.port, placement: s.placement });
      return {
        server: {
          name: s.name,
          image: s.image,
          placement: s.placement,
          host: s.host,
          port: s.port,
          databases: 0,
          createdAt: s.createdAt.toISOString(),
        },
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
