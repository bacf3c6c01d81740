// Templates (versions of a compose file with declared variables) and the customer instances made
// from them. Every change to an instance is one `instance` job (202 with its id). Viewers read;
// deployers add templates and create and operate instances; admins remove instances (it destroys
// their volumes, after a final backup unless asked not to).

import type { FastifyRequest } from "fastify";
import { z } from "zod";
import {
  requestCreateInstance,
  requestInstanceAction,
  requestRestoreInstance,
  showInstance,
  viewInstances,
} from "../../apply/instances.js";
import type { Platform } from "../../apply/platform.js";
import { addTemplate, showTemplate, viewTemplates } from "../../apply/templates.js";
import { nameProblem } from "../../domain/names.js";
import type { InstanceRow, TemplateRow } from "../../store/templates.js";
import { idempotent } from "../idempotency.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";

const name = z.string().superRefine((v, ctx) => {
  const problem = nameProblem("stack", v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const nameParams = z.object({ name }).strict();
const version = z.coerce
  .number({ error: "must be a version number" })
  .int("must be a version number")
  .min(1, "must be a version number");

const addBody = z
  .object({
    name,
    /** The file's name, for messages. */
    file: z.string().max(200).optional(),
    source: z.string().min(1, "must be the template's compose file"),
  })
  .strict();
const createBody = z
  .object({
    template: name,
    version: version.optional(),
    name,
    set: z.record(z.string().max(64), z.string().max(4096)).optional(),
  })
  .strict();
const LIFECYCLE = ["stop", "start", "restart", "suspend", "resume"] as const;

function templateView(t: TemplateRow, versions: number[]) {
  return {
    name: t.name,
    version: t.version,
    versions,
    variables: t.spec.variables,
    backup: t.spec.backup,
    databases: t.spec.databases ?? [],
    source: t.source,
    createdBy: t.createdBy,
    createdAt: t.createdAt.toISOString(),
  };
}

export function instanceView(i: InstanceRow) {
  return {
    name: i.name,
    template: i.template,
    version: i.version,
    state: i.state,
    values: i.values,
    secrets: Object.keys(i.secrets).sort(),
    lastError: i.lastError,
    createdBy: i.createdBy,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

const acting = (req: FastifyRequest) => ({
  org: req.org!.slug,
  policy: req.org!.policy,
  requestedBy: req.caller!.actor,
  correlationId: req.id,
});

export function templateRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "POST",
      url: "/templates",
      access: "deployer",
      summary:
        "Add a template's compose file as its next version (1 for a new name); its `x-berth-template` variables are checked and the file must render with its defaults",
      body: addBody,
      response: z.object({ template: R.template }),
      status: 201,
    },
    async ({ body, req, audit }) => {
      const t = await addTemplate(p, {
        org: req.org!.slug,
        name: body.name,
        file: body.file ?? body.name,
        source: body.source,
        requestedBy: req.caller!.actor,
      });
      audit({ template: t.name, version: t.version });
      return { template: templateView(t, (await showTemplate(p, req.org!.slug, t.name)).versions) };
    },
  );

  r.add(
    {
      method: "GET",
      url: "/templates",
      access: "viewer",
      summary: "The organization's templates, each with its newest version",
      response: R.templateList,
    },
    async ({ req }) => ({
      templates: (await viewTemplates(p, req.org!.slug)).map((t) => ({
        name: t.name,
        latest: t.latest ?? 0,
        versions: t.versions,
        updatedAt: t.updatedAt ? new Date(t.updatedAt).toISOString() : null,
      })),
    }),
  );

  r.add(
    {
      method: "GET",
      url: "/templates/:name",
      access: "viewer",
      summary:
        "One version of a template (the newest, or ?version=n): its variables, backup schedule and file",
      params: nameParams,
      query: z.object({ version: version.optional() }).strict(),
      response: z.object({ template: R.template }),
    },
    async ({ params, query, req }) => {
      const { template, versions } = await showTemplate(p, req.org!.slug, params.name, query.version);
      return { template: templateView(template, versions) };
    },
  );

  r.add(
    {
      method: "POST",
      url: "/instances",
      access: "deployer",
      summary:
        "Create a customer instance of a template as one job: variables checked (unknown, missing, pattern: 400 naming it; name taken: 409; nothing created), secrets generated and sealed, the stack deployed with its domains, a first backup schedule",
      body: createBody,
      response: R.instanceQueued,
      status: 202,
    },
    async ({ body, req, reply, audit }) =>
      idempotent(p, req, reply, async () => {
        const r = await requestCreateInstance(p, acting(req), {
          template: body.template,
          ...(body.version === undefined ? {} : { version: body.version }),
          name: body.name,
          set: body.set ?? {},
        });
        audit({ instance: body.name, template: body.template, version: r.instance.version, jobId: r.jobId });
        return { jobId: r.jobId, instance: instanceView(r.instance) };
      }),
  );

  r.add(
    {
      method: "GET",
      url: "/instances",
      access: "viewer",
      summary: "The organization's customer instances (of one template with ?template=)",
      query: z.object({ template: name.optional() }).strict(),
      response: R.instanceList,
    },
    async ({ query, req }) => ({
      instances: (
        await viewInstances(
          p,
          req.org!.slug,
          query.template === undefined ? {} : { template: query.template },
        )
      ).map(instanceView),
    }),
  );

  r.add(
    {
      method: "GET",
      url: "/instances/:name",
      access: "viewer",
      summary:
        "One customer instance: template, version, state, values (generated secrets by name only), last error",
      params: nameParams,
      response: z.object({ instance: R.instance }),
    },
    async ({ params, req }) => ({
      instance: instanceView(await showInstance(p, req.org!.slug, params.name)),
    }),
  );

  for (const action of LIFECYCLE) {
    r.add(
      {
        method: "POST",
        url: `/instances/:name/${action}`,
        access: "deployer",
        summary: {
          stop: "Stop an instance: its services scaled to zero (a new revision)",
          start: "Start a stopped instance: the revision that ran before the stop, again",
          restart: "Restart an instance's services (a rolling restart job)",
          suspend: "Suspend an instance: its routes answer 503 'suspended' and its services scale to zero",
          resume: "Resume a suspended instance exactly as it was (its routes, and its services if they ran)",
        }[action],
        params: nameParams,
        response: R.instanceQueued,
        status: 202,
      },
      async ({ params, req }) => {
        const r = await requestInstanceAction(p, acting(req), { name: params.name, action });
        return { jobId: r.jobId, instance: instanceView(r.instance) };
      },
    );
  }

  r.add(
    {
      method: "POST",
      url: "/instances/:name/restore",
      access: "deployer",
      summary:
        "Restore one backup set of an instance (the archives of one backup job: `backup` names any of them; default the newest complete set) as a job: into the instance itself, stopped meanwhile when it runs, or `into` a new instance of the same template version and values (`set` overrides some, such as its domain). Each archive is checked end to end before anything is touched",
      params: nameParams,
      body: z
        .object({
          backup: z.uuid("must be a backup id").optional(),
          into: name.optional(),
          set: z.record(z.string().max(64), z.string().max(4096)).optional(),
        })
        .strict()
        .optional(),
      response: R.instanceQueued,
      status: 202,
    },
    async ({ params, body, req, reply, audit }) =>
      idempotent(p, req, reply, async () => {
        const r = await requestRestoreInstance(p, acting(req), {
          name: params.name,
          ...(body?.backup ? { backup: body.backup } : {}),
          ...(body?.into ? { into: body.into } : {}),
          ...(body?.set ? { set: body.set } : {}),
        });
        audit({ instance: params.name, into: body?.into ?? params.name, jobId: r.jobId });
        return { jobId: r.jobId, instance: instanceView(r.instance) };
      }),
  );

  r.add(
    {
      method: "POST",
      url: "/instances/:name/upgrade",
      access: "deployer",
      summary:
        "Upgrade an instance to another template version with the same values (new variables take their defaults; a required one without a default is refused, 409): a backup first, then a deployment that Berth rolls back if it fails",
      params: nameParams,
      body: z.object({ to: version }).strict(),
      response: R.instanceQueued,
      status: 202,
    },
    async ({ params, body, req, audit }) => {
      const r = await requestInstanceAction(p, acting(req), {
        name: params.name,
        action: "upgrade",
        to: body.to,
      });
      audit({ from: r.instance.version, to: body.to, jobId: r.jobId });
      return { jobId: r.jobId, instance: instanceView(r.instance) };
    },
  );

  r.add(
    {
      method: "DELETE",
      url: "/instances/:name",
      access: "admin",
      summary:
        "Remove an instance as a job: a final backup of its volumes and databases (not with ?finalBackup=false), then its backup schedule, its stack with its volumes, and its databases (kept as the organization's with ?keepDatabases=true); its backups stay",
      params: nameParams,
      query: z
        .object({
          finalBackup: z.enum(["true", "false"]).optional(),
          keepDatabases: z.enum(["true", "false"]).optional(),
        })
        .strict(),
      response: R.instanceQueued,
      status: 202,
    },
    async ({ params, query, req }) => {
      const r = await requestInstanceAction(p, acting(req), {
        name: params.name,
        action: "rm",
        finalBackup: query.finalBackup !== "false",
        keepDatabases: query.keepDatabases === "true",
      });
      return { jobId: r.jobId, instance: instanceView(r.instance) };
    },
  );
}
