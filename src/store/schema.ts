// The database schema, in domain terms. Swarm and Caddy types never appear here: a deployment keeps
// the StackModel the user asked for (its input) apart from the one Berth decided on (its spec), and
// plan code derives Engine bodies from them.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { ROLES, type Role } from "../domain/roles.js";
import type { StackModel } from "../domain/stack.js";
import { INSTANCE_STATES, type TemplateSpec } from "../domain/template.js";
import type { TaskSummary } from "../plan/observe.js";
import type { PolicyRelaxations } from "../plan/policy.js";

const id = () => uuid("id").primaryKey().default(sql`gen_random_uuid()`);
const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

/** The owning organization; its rows go with it. */
const orgRef = () =>
  uuid("org_id")
    .notNull()
    .references(() => organizations.id, { onDelete: "cascade" });

export type { PolicyRelaxations };
export { ROLES, type Role };

export const organizations = pgTable("organizations", {
  id: id(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  policy: jsonb("policy").$type<PolicyRelaxations>().notNull().default({}),
  createdAt: createdAt(),
});

export const stacks = pgTable(
  "stacks",
  {
    id: id(),
    orgId: orgRef(),
    name: text("name").notNull(),
    /** Prefix of the stack's Swarm names, fixed when the stack is created (domain/names.ts). */
    namespace: text("namespace").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("stacks_org_name").on(t.orgId, t.name)],
);

/** One image a build job built for a deployment (`berth deploy --build`). */
export interface BuiltImageRecord {
  service: string;
  /** The local tag the service runs. */
  tag: string;
  /** The Engine's image id (`sha256:...`): what the tag pointed to when it was deployed. */
  imageId: string;
  /** The build job. */
  jobId: string;
  /** On a multi-node swarm: the pushed image in Berth's registry (`<registry>/<repo>@sha256:...`), which the service runs. */
  digest?: string;
}

export interface ServiceAction {
  action: "create" | "update" | "none";
  /** Docker's UpdatedAt after the change: tasks created before it belong to an earlier revision. */
  since?: string;
  /** Digest of the task template the change left (observed.ts `taskSpec`): tasks on another are not this revision's. */
  taskSpec?: string;
}

/** `cancelled`: its job was cancelled before it changed anything on Swarm (the live revision stays). */
export const DEPLOYMENT_STATUSES = [
  "pending",
  "running",
  "succeeded",
  "failed",
  "rolled_back",
  "cancelled",
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const deployments = pgTable(
  "deployments",
  {
    id: id(),
    stackId: uuid("stack_id")
      .notNull()
      .references(() => stacks.id, { onDelete: "cascade" }),
    revision: integer("revision").notNull(),
    /**
     * The model as the user gave it (secret values sealed): what a rollback replays, so that Berth's
     * own choices are made afresh.
     */
    input: jsonb("input").$type<StackModel>().notNull(),
    /** The model Berth deploys: the input with Berth's decisions filled in (host ports). */
    spec: jsonb("spec").$type<StackModel>().notNull(),
    /** The revision whose input this one replays, when it is a rollback. */
    rollbackOf: integer("rollback_of"),
    status: text("status", { enum: DEPLOYMENT_STATUSES }).notNull().default("pending"),
    reason: text("reason"),
    /** What the deployment did to each service, and Docker's timestamp of that change. */
    actions: jsonb("actions").$type<Record<string, ServiceAction>>().notNull().default({}),
    requestedBy: text("requested_by").notNull(),
    /** The job that applies this deployment. */
    jobId: uuid("job_id"),
    /** The images a build job made for it (Berth's record of what was built, apart from the input). */
    builds: jsonb("builds").$type<BuiltImageRecord[]>(),
    createdAt: createdAt(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    unique("deployments_stack_revision").on(t.stackId, t.revision),
    index("deployments_status").on(t.status),
  ],
);

// --- identity and tenancy -------------------------------------------------------------------------

export const users = pgTable("users", {
  id: id(),
  email: text("email").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  platformAdmin: boolean("platform_admin").notNull().default(false),
  createdAt: createdAt(),
});

export const memberships = pgTable(
  "memberships",
  {
    orgId: orgRef(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] })],
);

export const TOKEN_CREATOR_KINDS = ["user", "admin-token"] as const;

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: id(),
    orgId: orgRef(),
    name: text("name").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    /** SHA-256 of the token; the token itself is shown once and never stored. */
    tokenHash: text("token_hash").notNull().unique(),
    /**
     * Who the token answers to (its rights are capped by theirs): a user (`created_by`; null once the
     * user is deleted, and then the token grants nothing) or the bootstrap admin token.
     */
    creatorKind: text("creator_kind", { enum: TOKEN_CREATOR_KINDS }).notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index("api_tokens_org").on(t.orgId)],
);

/** Browser sessions: the cookie holds a random token; only its SHA-256 is stored. */
export const sessions = pgTable(
  "sessions",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("sessions_user").on(t.userId)],
);

/**
 * Responses of creating calls sent with an `Idempotency-Key`: the same key (per organization and
 * route) gets the same response instead of a second deployment. Kept for a day.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    orgId: orgRef(),
    key: text("key").notNull(),
    route: text("route").notNull(),
    status: integer("status").notNull(),
    response: jsonb("response").$type<unknown>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.route, t.key] })],
);

/** Limits per organization; null means no limit. */
export const quotas = pgTable("quotas", {
  orgId: uuid("org_id")
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  cpus: doublePrecision("cpus"),
  memoryBytes: bigint("memory_bytes", { mode: "number" }),
  services: integer("services"),
  replicas: integer("replicas"),
  volumeBytes: bigint("volume_bytes", { mode: "number" }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

// --- what runs -----------------------------------------------------------------------------------

/** The observed state of each service, kept current by the event monitor and the resync. */
export const services = pgTable(
  "services",
  {
    id: id(),
    orgId: orgRef(),
    stackId: uuid("stack_id")
      .notNull()
      .references(() => stacks.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    swarmId: text("swarm_id"),
    image: text("image"),
    desiredReplicas: integer("desired_replicas").notNull().default(0),
    runningReplicas: integer("running_replicas").notNull().default(0),
    ports: jsonb("ports").$type<number[]>().notNull().default([]),
    tasks: jsonb("tasks").$type<TaskSummary[]>().notNull().default([]),
    /** `present` while Swarm has the service, `missing` when it does not. */
    presence: text("presence", { enum: ["present", "missing"] })
      .notNull()
      .default("present"),
    observedAt: timestamp("observed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("services_stack_name").on(t.stackId, t.name), index("services_org").on(t.orgId)],
);

export const networks = pgTable("networks", {
  id: id(),
  orgId: orgRef(),
  name: text("name").notNull().unique(),
  swarmId: text("swarm_id"),
  encrypted: boolean("encrypted").notNull().default(false),
  createdAt: createdAt(),
});

export const nodes = pgTable("nodes", {
  id: text("id").primaryKey(),
  hostname: text("hostname").notNull(),
  role: text("role").notNull(),
  status: text("status").notNull(),
  availability: text("availability").notNull(),
  address: text("address"),
  labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
  observedAt: timestamp("observed_at", { withTimezone: true }).notNull().defaultNow(),
});

// --- jobs ----------------------------------------------------------------------------------------

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Every change runs as a job. The queue (pg-boss) claims and retries; this row is what users see. */
export const jobs = pgTable(
  "jobs",
  {
    id: uuid("id").primaryKey(),
    orgId: uuid("org_id").references(() => organizations.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    /** What the job acts on, e.g. a stack name. */
    target: text("target").notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull().default("queued"),
    progress: integer("progress").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    error: text("error"),
    /** What a job that answers something (a removal's counts, an isolation report) found. */
    result: jsonb("result").$type<Record<string, unknown>>(),
    cancelRequested: boolean("cancel_requested").notNull().default(false),
    correlationId: text("correlation_id").notNull(),
    requestedBy: text("requested_by").notNull(),
    createdAt: createdAt(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("jobs_org_created").on(t.orgId, t.createdAt), index("jobs_status").on(t.status)],
);

export const jobLogs = pgTable(
  "job_logs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    jobId: uuid("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    level: text("level", { enum: ["info", "warn", "error"] }).notNull(),
    message: text("message").notNull(),
  },
  (t) => [index("job_logs_job").on(t.jobId, t.id)],
);

// --- routing, storage, backups (filled in by later features) -------------------------------------

export const TLS_MODES = ["acme", "internal", "off", "upload"] as const;
export const ROUTE_STATUSES = ["pending", "active", "failed"] as const;
export type RouteStatus = (typeof ROUTE_STATUSES)[number];

/** What a route in maintenance (or suspended) answers: 503, its message and Retry-After. */
export interface RouteNotice {
  message: string;
  /** Seconds, sent as Retry-After. */
  retryAfter: number;
}

/**
 * Routes: a host (and optional path prefix) served by one service port of a stack. A host belongs to
 * one organization at a time (checked under a lock in store/domains.ts); one organization may route
 * several path prefixes of it.
 */
export const domains = pgTable(
  "domains",
  {
    id: id(),
    orgId: orgRef(),
    stackId: uuid("stack_id")
      .notNull()
      .references(() => stacks.id, { onDelete: "cascade" }),
    /** Lowercase ASCII (punycode), `*.` for a wildcard (config/hostname.ts). */
    hostname: text("hostname").notNull(),
    /** Path prefix without a trailing slash; "" for the whole host. */
    pathPrefix: text("path_prefix").notNull().default(""),
    service: text("service").notNull(),
    port: integer("port").notNull(),
    tls: text("tls", { enum: TLS_MODES }).notNull().default("acme"),
    httpsRedirect: boolean("https_redirect").notNull().default(false),
    /**
     * `pending` until a config with the route has been loaded by the proxy, then `active`; a route
     * the proxy refused is `failed` (with `error`) and left out of every config until its add job
     * removes it.
     */
    status: text("status", { enum: ROUTE_STATUSES }).notNull().default("active"),
    error: text("error"),
    /** Set by the stack's deployment (a service's `domains`), not by `berth domain add`. */
    managedByStack: boolean("managed_by_stack").notNull().default(false),
    /** The operator's maintenance page (503), or null when the route serves its service. */
    maintenance: jsonb("maintenance").$type<RouteNotice>(),
    /** Set by `berth routes suspend` (an incident): answered like maintenance, cleared by resume. */
    suspension: jsonb("suspension").$type<RouteNotice>(),
    createdAt: createdAt(),
  },
  (t) => [unique("domains_host_path").on(t.hostname, t.pathPrefix), index("domains_org").on(t.orgId)],
);

/**
 * Certificates uploaded for a host (`tls upload`), one per organization and host: the chain as PEM,
 * the private key sealed (security/sealer.ts), and what Berth read from the leaf. The proxy is given
 * one only while the same organization routes the host with `tls upload`.
 */
export const hostCertificates = pgTable(
  "host_certificates",
  {
    id: id(),
    orgId: orgRef(),
    hostname: text("hostname").notNull(),
    certPem: text("cert_pem").notNull(),
    keySealed: text("key_sealed").notNull(),
    issuer: text("issuer").notNull(),
    fingerprint: text("fingerprint").notNull(),
    notBefore: timestamp("not_before", { withTimezone: true }).notNull(),
    notAfter: timestamp("not_after", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("host_certificates_org_host").on(t.orgId, t.hostname)],
);

export const certificates = pgTable("certificates", {
  id: id(),
  domainId: uuid("domain_id")
    .notNull()
    .unique()
    .references(() => domains.id, { onDelete: "cascade" }),
  issuer: text("issuer"),
  status: text("status", { enum: ["pending", "valid", "failed", "expired"] })
    .notNull()
    .default("pending"),
  notAfter: timestamp("not_after", { withTimezone: true }),
  error: text("error"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const volumes = pgTable(
  "volumes",
  {
    id: id(),
    orgId: orgRef(),
    stackId: uuid("stack_id").references(() => stacks.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    sizeLimitBytes: bigint("size_limit_bytes", { mode: "number" }),
    createdAt: createdAt(),
  },
  (t) => [unique("volumes_org_name").on(t.orgId, t.name)],
);

export const BACKUP_STATUSES = ["running", "succeeded", "failed", "corrupt"] as const;
export type BackupStatus = (typeof BACKUP_STATUSES)[number];

/**
 * Archives in the backup store, one per volume (or database). `corrupt`: a verify or a restore found
 * the archive no longer matches its checksum or does not decrypt; it is never restored.
 */
export const backups = pgTable(
  "backups",
  {
    id: id(),
    orgId: orgRef(),
    stackId: uuid("stack_id").references(() => stacks.id, { onDelete: "set null" }),
    /** The stack's name when the backup was made (kept when the stack is removed). */
    stack: text("stack").notNull().default(""),
    kind: text("kind", { enum: ["volume", "database"] }).notNull(),
    /** What was backed up: the volume's key in the stack. */
    source: text("source").notNull(),
    status: text("status", { enum: BACKUP_STATUSES }).notNull().default("running"),
    encrypted: boolean("encrypted").notNull().default(false),
    /** The job that made it. */
    jobId: uuid("job_id"),
    location: text("location"),
    sha256: text("sha256"),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    error: text("error"),
    createdAt: createdAt(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("backups_org_created").on(t.orgId, t.createdAt)],
);

/**
 * A stack's recurring backup: a cron expression (read in `timezone`) and how many good archives of
 * each volume to keep. pg-boss holds the timer (keyed by this row's id); this row is what users see.
 */
export const backupSchedules = pgTable(
  "backup_schedules",
  {
    id: id(),
    orgId: orgRef(),
    stackId: uuid("stack_id")
      .notNull()
      .references(() => stacks.id, { onDelete: "cascade" }),
    stack: text("stack").notNull(),
    cron: text("cron").notNull(),
    timezone: text("timezone").notNull().default("UTC"),
    keepLast: integer("keep_last").notNull(),
    /** Besides: the newest archive of each of the last N days / ISO weeks (0: none). */
    keepDaily: integer("keep_daily").notNull().default(0),
    keepWeekly: integer("keep_weekly").notNull().default(0),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("backup_schedules_stack").on(t.stackId)],
);

// --- audit and platform settings -----------------------------------------------------------------

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    orgId: uuid("org_id").references(() => organizations.id, { onDelete: "set null" }),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target").notNull(),
    sourceAddress: text("source_address"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("audit_org_at").on(t.orgId, t.at)],
);

/** Platform-wide facts: this installation's id, the event monitor's resume point. */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Host ports published by each stack's services. The primary key makes two deployments planned at
 * the same moment unable to take the same port.
 */
export const hostPorts = pgTable(
  "host_ports",
  {
    port: integer("port").primaryKey(),
    orgId: orgRef(),
    stackId: uuid("stack_id")
      .notNull()
      .references(() => stacks.id, { onDelete: "cascade" }),
    service: text("service").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("host_ports_stack").on(t.stackId)],
);

// --- templates and customer instances --------------------------------------------------------------

/** One version of a template: the compose file as written and what its `x-berth-template` declares. */
export const templates = pgTable(
  "templates",
  {
    id: id(),
    orgId: orgRef(),
    name: text("name").notNull(),
    version: integer("version").notNull(),
    /** The file's text (variables not yet put in). */
    source: text("source").notNull(),
    spec: jsonb("spec").$type<TemplateSpec>().notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [unique("templates_org_name_version").on(t.orgId, t.name, t.version)],
);

/**
 * A customer instance: one template version deployed as the stack of the same name. `values` are
 * those given or defaulted; `secrets` the generated ones, each sealed. `resume` remembers what a stop
 * or suspension has to give back.
 */
export const instances = pgTable(
  "instances",
  {
    id: id(),
    orgId: orgRef(),
    name: text("name").notNull(),
    template: text("template").notNull(),
    version: integer("version").notNull(),
    values: jsonb("values").$type<Record<string, string>>().notNull().default({}),
    secrets: jsonb("secrets").$type<Record<string, string>>().notNull().default({}),
    state: text("state", { enum: INSTANCE_STATES }).notNull().default("creating"),
    /** Why the last change did not happen as asked (a failed creation, an upgrade rolled back). */
    lastError: text("last_error"),
    resume: jsonb("resume").$type<InstanceResume>(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("instances_org_name").on(t.orgId, t.name)],
);

export interface InstanceResume {
  /** The revision that ran before the stop: a start or resume deploys its input again. */
  revision?: number;
  /** The state a resume returns to. */
  from?: "running" | "stopped";
  /** Routes the suspension put in maintenance (a resume clears only these). */
  routes?: string[];
}

/**
 * Shared PostgreSQL servers Berth runs as system stacks. The superuser's password is sealed under the
 * master key and reaches the server only as a Docker secret.
 */
export const dbServers = pgTable("db_servers", {
  id: id(),
  /** `main` for the one made on first use. */
  name: text("name").notNull().unique(),
  image: text("image").notNull(),
  /** Swarm placement constraint: where the server and its data volume live. */
  placement: text("placement").notNull(),
  /** Address and host port Berth connects to as the superuser. */
  host: text("host").notNull(),
  port: integer("port").notNull(),
  superuserPassword: text("superuser_password").notNull(),
  createdAt: createdAt(),
});

export const DATABASE_STATUSES = ["creating", "ready", "failed", "removing"] as const;
export type DatabaseStatus = (typeof DATABASE_STATUSES)[number];

/** A tenant database: which server holds it, its name and role there, the role's sealed password. */
export const databases = pgTable(
  "databases",
  {
    id: id(),
    orgId: orgRef(),
    name: text("name").notNull(),
    serverId: uuid("server_id")
      .notNull()
      .references(() => dbServers.id),
    /** Its name on the server (also its role's): `<org>_<name>`. */
    pgName: text("pg_name").notNull(),
    password: text("password").notNull(),
    status: text("status", { enum: DATABASE_STATUSES }).notNull().default("creating"),
    error: text("error"),
    jobId: uuid("job_id"),
    /** The customer instance that made it (dropped with it); null for `berth db create`. */
    instance: text("instance"),
    createdAt: createdAt(),
  },
  (t) => [
    unique("databases_org_name").on(t.orgId, t.name),
    unique("databases_server_pg_name").on(t.serverId, t.pgName),
  ],
);
