// What each route answers, as zod schemas: every response is parsed with its route's schema before it
// is sent (unknown fields are dropped, so nothing leaks by accident; a mismatch is a server bug and
// answers 500), and the OpenAPI document describes the same shapes.
import { z } from "zod";

const iso = z.string().nullable();
const uuid = z.string();

export const deployment = z.object({
  id: uuid,
  stack: z.string(),
  revision: z.number().int(),
  status: z.string(),
  reason: z.string().nullable(),
  jobId: uuid.nullable(),
  /** The revision whose input this one replays, when it is a rollback. */
  rollbackOf: z.number().int().nullable(),
  /** While pending: the earlier revision of the stack it waits for (one deploy of a stack at a time). */
  queuedBehind: z.number().int().nullable(),
  createdAt: iso,
  finishedAt: iso,
  /**
   * Images a build job made for it (`berth deploy --build`): the tag and the Engine's image id, and on
   * a multi-node swarm the digest reference in Berth's registry that every node runs.
   */
  builds: z
    .array(
      z.object({
        service: z.string(),
        tag: z.string(),
        imageId: z.string(),
        jobId: uuid,
        digest: z.string().optional(),
      }),
    )
    .optional(),
});

export const history = z.object({
  stack: z.string(),
  /** The live revision: the newest that succeeded (null when none has). */
  live: z.number().int().nullable(),
  revisions: z.array(
    z.object({
      id: uuid,
      revision: z.number().int(),
      status: z.string(),
      reason: z.string().nullable(),
      requestedBy: z.string(),
      rollbackOf: z.number().int().nullable(),
      jobId: uuid.nullable(),
      createdAt: iso,
      finishedAt: iso,
      /** The image of each service, by service name. */
      images: z.record(z.string(), z.string()),
      live: z.boolean(),
    }),
  ),
});

/** A changed field: values only for fields that cannot hold a secret, keys for keyed ones (env...). */
const fieldChange = z.object({
  field: z.string(),
  from: z.string().optional(),
  to: z.string().optional(),
  added: z.array(z.string()).optional(),
  removed: z.array(z.string()).optional(),
  changed: z.array(z.string()).optional(),
});

export const revisionDiff = z.object({
  stack: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  services: z.array(
    z.object({
      service: z.string(),
      change: z.enum(["added", "removed", "changed"]),
      fields: z.array(fieldChange),
    }),
  ),
  /** The stack's networks, volumes, secrets and configs that differ, by key. */
  objects: z.array(fieldChange),
});

export const job = z.object({
  id: uuid,
  type: z.string(),
  target: z.string(),
  status: z.string(),
  progress: z.number(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  cancelRequested: z.boolean(),
  correlationId: z.string().nullable(),
  requestedBy: z.string().nullable(),
  /** A queued deploy job: the revision of its stack it waits for. */
  queuedBehind: z.number().int().nullable(),
  /** What the job found, once it has (a stack removal's counts, an isolation report). */
  result: z.record(z.string(), z.unknown()).nullable(),
  createdAt: iso,
  startedAt: iso,
  finishedAt: iso,
});

/** A stack's newest revision, the job rolling something out now (if any), and what runs per service. */
export const stackStatus = z.object({
  stack: z.string(),
  deployment,
  /** The live revision: the newest that succeeded (null when none has). */
  live: z.number().int().nullable(),
  /** The deploy or restart job working on the stack now, with its latest log line; null when none is. */
  job: job.extend({ message: z.string().nullable() }).nullable(),
  services: z.array(
    z.object({
      name: z.string(),
      image: z.string(),
      desired: z.number().int(),
      running: z.number().int(),
    }),
  ),
});

export const scaled = z.object({
  deployment,
  jobId: uuid,
  /** The service whose replica count changed. */
  service: z.string(),
  /** The revision whose input was scaled: the live one. */
  base: z.number().int(),
});

/** A service's variables (a null value is a bare name, passed unset). */
export const environment = z.record(z.string(), z.string().nullable());

export const stackEnv = z.object({
  stack: z.string(),
  service: z.string(),
  /** The revision read: the live one, or the newest while none has succeeded. */
  revision: z.number().int(),
  live: z.boolean(),
  environment,
});

export const envSet = scaled.extend({
  /** Keys added, removed and changed (values are not repeated). */
  changes: z.object({
    added: z.array(z.string()),
    removed: z.array(z.string()),
    changed: z.array(z.string()),
  }),
});

export const restarted = z.object({
  jobId: uuid,
  /** The services the restart job replaces the tasks of. */
  services: z.array(z.string()),
});

export const jobLog = z.object({ id: z.number(), at: iso, level: z.string(), message: z.string() });

const task = z.object({
  id: z.string(),
  slot: z.number().optional(),
  node: z.string().optional(),
  /** The node's hostname, when the node is known. */
  nodeName: z.string().optional(),
  state: z.string(),
  desired: z.string(),
  error: z.string().optional(),
});

export const stack = z.object({
  name: z.string(),
  revision: z.number().int(),
  status: z.string(),
  /** The revision that runs: the newest that succeeded (a newer one that failed left it running). */
  liveRevision: z.number().int().nullable(),
  reason: z.string().nullable(),
  deploymentId: uuid,
  updatedAt: z.string(),
  services: z.array(
    z.object({
      name: z.string(),
      image: z.string(),
      replicas: z.number().int(),
      running: z.number().int(),
      ports: z.array(z.number().int()),
      tasks: z.array(task),
      observedAt: z.string(),
    }),
  ),
});

const swarmObject = z.record(z.string(), z.unknown());

export const rendered = z.object({
  services: z.array(swarmObject),
  networks: z.array(swarmObject),
  volumes: z.array(swarmObject),
  secrets: z.array(swarmObject.and(z.object({ Data: z.literal("(sealed)") }))),
  configs: z.array(swarmObject),
  warnings: z.array(z.string()),
});

export const diff = z.object({
  services: z.array(
    z.object({
      service: z.string(),
      action: z.enum(["create", "update", "none", "remove"]),
      fields: z.array(z.string()).optional(),
    }),
  ),
  warnings: z.array(z.string()),
});

export const removed = z.object({
  removed: z.array(z.string()),
  networks: z.number().int(),
  secrets: z.number().int(),
  configs: z.number().int(),
  volumes: z.number().int(),
  left: z.array(z.string()),
  /** Routes to the stack's services, removed with it. */
  routes: z.number().int(),
});

export const drift = z.object({ drift: z.array(z.record(z.string(), z.unknown())) });

const role = z.enum(["owner", "admin", "deployer", "viewer"]);
export const user = z.object({ id: uuid, email: z.string(), platformAdmin: z.boolean() });
export const me = z.object({
  actor: z.string(),
  platformAdmin: z.boolean(),
  orgs: z.array(z.object({ slug: z.string(), name: z.string().optional(), role })),
  /** Signed in with the session cookie: the value a change must send as X-Berth-CSRF. */
  csrfToken: z.string().optional(),
});
export const orgList = z.object({
  orgs: z.array(z.object({ slug: z.string(), name: z.string().optional(), role })),
});
export const policy = z.object({
  placementLabels: z.array(z.string()).optional(),
  bindMounts: z.boolean().optional(),
  hostPortsAnywhere: z.boolean().optional(),
  capabilities: z.array(z.string()).optional(),
});
export const member = z.object({ userId: uuid, email: z.string(), role, since: z.string() });
/** A token as listed: never its secret or hash. */
export const token = z.object({
  id: uuid,
  name: z.string(),
  role,
  createdAt: z.string(),
  expiresAt: iso,
  revokedAt: iso,
  lastUsedAt: iso,
});
export const quota = z.object({
  cpus: z.number().nullable(),
  memoryBytes: z.number().nullable(),
  services: z.number().nullable(),
  replicas: z.number().nullable(),
  volumeBytes: z.number().nullable(),
});
export const usage = z.object({
  usage: z.object({
    cpus: z.number(),
    memoryBytes: z.number(),
    services: z.number(),
    replicas: z.number(),
    volumeBytes: z.number(),
  }),
  quota,
});
const probe = z.object({ connected: z.boolean(), detail: z.string() });
export const isolation = z.object({
  orgs: z.tuple([z.string(), z.string()]),
  sameOrg: probe,
  crossOrg: probe,
  isolated: z.boolean(),
});
export const audit = z.object({
  entries: z.array(
    z.object({
      id: z.number(),
      at: z.string(),
      orgId: uuid.nullable(),
      actor: z.string(),
      action: z.string(),
      target: z.string(),
      sourceAddress: z.string().nullable(),
      details: z.record(z.string(), z.unknown()),
    }),
  ),
  nextCursor: z.number().nullable(),
});

export const domain = z.object({
  host: z.string(),
  /** Path prefix; "" for the whole host. */
  path: z.string(),
  stack: z.string(),
  service: z.string(),
  port: z.number().int(),
  tls: z.string(),
  httpsRedirect: z.boolean(),
  /** `pending` until the proxy serves it, `active`, or `failed` (the proxy refused it; being removed). */
  status: z.string(),
  error: z.string().nullable(),
  /** `stack`: created with the stack's deployment (a service's domains); `domain add` otherwise. */
  source: z.enum(["stack", "domain"]),
  /** What the route answers instead of its service (503), when in maintenance or suspended. */
  maintenance: z.object({ message: z.string(), retryAfter: z.number().int() }).nullable(),
  suspension: z.object({ message: z.string(), retryAfter: z.number().int() }).nullable(),
  /**
   * What the proxy serves for the host (a TLS handshake with SNI, checked after each sync and
   * periodically); null for tls off. `pending`: nothing served yet; `expiring`: under 14 days left.
   */
  certificate: z
    .object({
      status: z.enum(["pending", "valid", "expiring", "expired", "error"]),
      issuer: z.string().nullable(),
      notAfter: iso.nullable(),
      error: z.string().nullable(),
      checkedAt: iso.nullable(),
    })
    .nullable(),
  createdAt: iso,
});

export const backup = z.object({
  id: uuid,
  stack: z.string(),
  /** volume, or database (a pg_dump of a managed database). */
  kind: z.string(),
  /** The volume's key in the stack, or the database's name. */
  volume: z.string(),
  /** running, succeeded, failed, or corrupt (a verify or restore found it altered; never restored). */
  status: z.string(),
  /** Why it failed or is corrupt. */
  reason: z.string().nullable(),
  encrypted: z.boolean(),
  sizeBytes: z.number().nullable(),
  sha256: z.string().nullable(),
  /** Path of the archive under the backup store. */
  location: z.string().nullable(),
  jobId: uuid.nullable(),
  createdAt: iso,
  finishedAt: iso,
});

export const backupList = z.object({ backups: z.array(backup) });

export const backupQueued = z.object({ jobId: uuid, backups: z.array(backup) });

export const backupJob = z.object({ jobId: uuid, backup });

export const restoreQueued = z.object({
  jobId: uuid,
  backup,
  /** The stack restored into, and the volume whose contents are replaced. */
  stack: z.string(),
  volume: z.string(),
  /** The services stopped during the restore, and the replicas they get back. */
  services: z.array(z.object({ name: z.string(), replicas: z.number().int() })),
});

export const backupSchedule = z.object({
  id: uuid,
  stack: z.string(),
  cron: z.string(),
  timezone: z.string(),
  /** Good archives kept per volume; older ones are deleted after each scheduled backup. */
  keepLast: z.number().int(),
  /** Besides: the newest archive of each of the last N days and ISO weeks (UTC). */
  keepDaily: z.number().int(),
  keepWeekly: z.number().int(),
  createdBy: z.string(),
  updatedAt: iso,
  /** The next occurrences. */
  next: z.array(z.string()),
});

/** A build job queued: the tag it builds. */
export const buildQueued = z.object({ jobId: uuid, image: z.string() });

export const templateVariable = z.object({
  type: z.string(),
  default: z.string().optional(),
  required: z.boolean(),
  pattern: z.string().optional(),
  generate: z.string().optional(),
  description: z.string().optional(),
});

/** One version of a template; `source` is the compose file as it was added. */
export const template = z.object({
  name: z.string(),
  version: z.number().int(),
  versions: z.array(z.number().int()),
  variables: z.record(z.string(), templateVariable),
  backup: z.object({
    cron: z.string(),
    keepLast: z.number().int(),
    keepDaily: z.number().int().optional(),
    keepWeekly: z.number().int().optional(),
  }),
  /** Each instance's own databases, by key (`<instance>-<key>` in the organization). */
  databases: z.array(z.string()),
  source: z.string(),
  createdBy: z.string(),
  createdAt: iso,
});

export const templateList = z.object({
  templates: z.array(
    z.object({ name: z.string(), latest: z.number().int(), versions: z.number().int(), updatedAt: iso }),
  ),
});

/** A customer instance. Generated secrets are named, never shown. */
export const instance = z.object({
  name: z.string(),
  template: z.string(),
  version: z.number().int(),
  /** creating, running, stopped, suspended, failed, removing. */
  state: z.string(),
  values: z.record(z.string(), z.string()),
  secrets: z.array(z.string()),
  lastError: z.string().nullable(),
  createdBy: z.string(),
  createdAt: iso,
  updatedAt: iso,
});

export const instanceList = z.object({ instances: z.array(instance) });

export const instanceQueued = z.object({ jobId: uuid, instance });

/** One running task's container usage; `available: false` (with why) when this Engine cannot read it. */
export const containerUsage = z.object({
  service: z.string(),
  task: z.string(),
  slot: z.number().int().nullable(),
  node: z.string().nullable(),
  nodeName: z.string().nullable(),
  available: z.boolean(),
  containerId: z.string().optional(),
  /** % of one core (200 = two cores busy). */
  cpuPercent: z.number().optional(),
  /** Memory in use, less the page cache the kernel can drop (as `docker stats`). */
  memoryBytes: z.number().optional(),
  memoryLimitBytes: z.number().optional(),
  reason: z.string().optional(),
});
export const stackStats = z.object({
  stack: z.string(),
  at: z.string(),
  containers: z.array(containerUsage),
});

export const node = z.object({
  id: z.string(),
  hostname: z.string(),
  role: z.string(),
  availability: z.string(),
  state: z.string(),
  address: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  cpus: z.number(),
  memoryBytes: z.number(),
  engineVersion: z.string().nullable(),
  platform: z.string(),
  /** The node this control plane's Engine runs on. */
  self: z.boolean(),
});

/** A managed database (never its password: that reaches services only as a Docker secret). */
export const database = z.object({
  name: z.string(),
  /** creating, ready, failed (with the reason) or removing. */
  status: z.string(),
  reason: z.string().nullable(),
  server: z.string(),
  /** How services of the organization reach it (PGHOST), and its database and role there. */
  host: z.string(),
  port: z.number().int(),
  database: z.string(),
  user: z.string(),
  /** The customer instance it belongs to (and goes with), or null. */
  instance: z.string().nullable(),
  jobId: uuid.nullable(),
  createdAt: iso,
});

export const databaseList = z.object({ databases: z.array(database) });

export const databaseJob = z.object({
  jobId: uuid,
  database,
  /** The final backup a removal takes first. */
  backupId: uuid.optional(),
});

export const dbServer = z.object({
  name: z.string(),
  image: z.string(),
  placement: z.string(),
  host: z.string(),
  port: z.number().int(),
  databases: z.number().int(),
  createdAt: iso,
});
