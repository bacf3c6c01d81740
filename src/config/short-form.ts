// The short form of a stack: one image, one port (`berth deploy --image`), or a list of such services
// under one stack name (the API's `services` body). Both normalize into the same StackModel that
// compose files do.
import { z } from "zod";
import { ConfigError } from "../domain/errors.js";
import { nameProblem } from "../domain/names.js";
import type { HealthcheckModel, ServiceModel, StackModel } from "../domain/stack.js";
import { parseDuration } from "./compose/units.js";
import { DEFAULT_LIMITS, DEFAULT_ORG } from "./defaults.js";
import { parseImageRef } from "./image-ref.js";
import { MAX_ENV_VALUE_CHARS, MAX_REPLICAS } from "./limits.js";
import { checkStackRoutes, normalizeRoute } from "./route.js";
import { parseInput } from "./validate.js";

const port = () =>
  z
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be between 1 and 65535")
    .max(65535, "must be between 1 and 65535");

const nameOf = (kind: "stack" | "service") =>
  z.string().superRefine((v, ctx) => {
    const problem = nameProblem(kind, v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
const name = nameOf("stack");
/** A managed database's name: the same rule as a stack's. */
const databaseName = nameOf("stack");

const image = z.string().superRefine((v, ctx) => {
  const parsed = parseImageRef(v);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
});

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A host name routed to the service's port through the proxy: a name, or the route's fields. */
const domainEntry = z.union([
  z.string().max(1000),
  z
    .object({
      host: z.string().max(1000),
      path: z.string().max(300).optional(),
      tls: z.string().max(20).optional(),
      httpsRedirect: z.boolean().optional(),
    })
    .strict(),
]);

const MS = 1_000_000;
/** A duration (`5s`, `1m30s`, or nanoseconds) from `min` ns to 1 h, in nanoseconds. */
const durationFrom = (min: number) =>
  z.union([z.string(), z.number()], { error: "must be a duration like 5s or 1m30s" }).transform((v, ctx) => {
    const ns = parseDuration(v);
    if (ns === undefined || ns < min || ns > 3600 * 1000 * MS) {
      ctx.addIssue({
        code: "custom",
        message:
          ns === undefined
            ? `'${v}' is not a duration (like 5s or 1m30s)`
            : `must be from ${min ? "1ms" : "0s"} to 1h`,
      });
      return z.NEVER;
    }
    return ns;
  });
const duration = durationFrom(MS);

/**
 * A health check as compose writes one (`test` a shell string, or docker's `["CMD", ...]` /
 * `["CMD-SHELL", "..."]`), or `{"disable": true}`. Without `test`, a service with a port gets Berth's
 * port check (plan/healthcheck.ts) with these timings, one without keeps its image's check.
 */
const healthcheck = z
  .object({
    disable: z.literal(true, { error: "must be true (to run no health check)" }).optional(),
    test: z
      .union([
        z.string().min(1, "must not be empty").max(4096, "must be at most 4096 characters"),
        z
          .array(z.string().max(4096, "must be at most 4096 characters"))
          .min(2, 'must be ["CMD", program, args...] or ["CMD-SHELL", command]')
          .max(100, "at most 100 arguments")
          .refine((t) => t[0] === "CMD" || t[0] === "CMD-SHELL", {
            message: 'must start with "CMD" or "CMD-SHELL" (use "disable": true for none)',
          }),
      ])
      .optional(),
    interval: duration.optional(),
    timeout: duration.optional(),
    retries: z.number().int("must be a whole number").min(1).max(100).optional(),
    startPeriod: duration.optional(),
  })
  .strict()
  .refine((h) => !h.disable || Object.keys(h).length === 1, {
    message: "disable takes no other field",
  });

/**
 * How a rolling update goes, as `docker service update --update-*` sets it. What is left out keeps
 * Berth's default: one task at a time, no delay, a 5 s monitor window, roll back on the first failure,
 * and start-first unless a host-mode port forces stop-first.
 */
const update = z
  .object({
    parallelism: z.number().int("must be a whole number").min(0).max(MAX_REPLICAS).optional(),
    delay: durationFrom(0).optional(),
    monitor: duration.optional(),
    order: z.enum(["start-first", "stop-first"]).optional(),
    failureAction: z.enum(["rollback", "pause", "continue"]).optional(),
    maxFailureRatio: z.number().min(0, "must be from 0 to 1").max(1, "must be from 0 to 1").optional(),
  })
  .strict();

const serviceFields = {
  image,
  port: port(),
  // Whether the host port is allowed is policy's to say (the installation's range, the org's relaxations).
  publish: port().optional(),
  replicas: z.number().int("replicas must be a whole number").min(0).max(MAX_REPLICAS).default(1),
  healthcheck: healthcheck.optional(),
  update: update.optional(),
  env: z
    .record(
      z.string().regex(ENV_KEY, "environment variable names are letters, digits and '_'"),
      z.string().max(MAX_ENV_VALUE_CHARS, `must be at most ${MAX_ENV_VALUE_CHARS} characters`),
    )
    .default({}),
  /**
   * Routes to `port` through the proxy; the port is then published on no host port unless `publish`
   * asks for one.
   */
  domains: z.array(domainEntry).max(20, "at most 20 domains").optional(),
  /** Managed databases of the organization to attach (`berth db create`): secret DATABASE_URL, PG* env. */
  databases: z.array(databaseName).max(10, "at most 10 databases").optional(),
};

export const shortFormSchema = z.object({ name, ...serviceFields }).strict();

export const multiServiceSchema = z
  .object({
    name,
    services: z
      // A service in a list may publish nothing (a worker).
      .array(z.object({ name: nameOf("service"), ...serviceFields, port: port().optional() }).strict())
      .min(1, "must list at least one service")
      .max(50, "at most 50 services")
      .refine(
        (list) => new Set(list.map((s) => s.name)).size === list.length,
        "service names must be unique",
      ),
  })
  .strict();

export type ShortFormInput = z.input<typeof shortFormSchema>;

/** Validates a short-form request (one service, or `services`) and normalizes it into a stack. */
export function parseShortForm(input: unknown, org: string = DEFAULT_ORG): StackModel {
  if (input !== null && typeof input === "object" && "services" in input) {
    const v = parseInput(multiServiceSchema, input);
    const services = v.services.map((s) => toService(s.name, s, `services.${v.services.indexOf(s)}.`));
    checkStackRoutes(
      services.flatMap((s, i) =>
        (s.domains ?? []).map((route, j) => ({ at: `services.${i}.domains.${j}.`, route })),
      ),
    );
    return { org, name: v.name, services };
  }
  const v = parseInput(shortFormSchema, input);
  const service = toService(v.name, v, "");
  checkStackRoutes((service.domains ?? []).map((route, j) => ({ at: `domains.${j}.`, route })));
  return { org, name: v.name, services: [service] };
}

function toService(
  name: string,
  v: Omit<z.output<typeof shortFormSchema>, "port" | "name"> & { port?: number },
  at: string,
): ServiceModel {
  if (v.port === undefined && v.publish !== undefined)
    throw new ConfigError(`services.${name}.publish`, "needs a port");
  const port = v.port;
  if (port === undefined && v.domains?.length) throw new ConfigError(`${at}domains`, "need a port");
  const domains = (v.domains ?? []).map((d, i) =>
    normalizeRoute({ ...(typeof d === "string" ? { host: d } : d), port: port! }, `${at}domains.${i}.`),
  );
  // A port reached through the proxy needs no host port, unless one is asked for.
  const published = port !== undefined && (domains.length === 0 || v.publish !== undefined);
  return {
    name,
    image: v.image,
    env: v.env,
    ports: published
      ? [{ target: port, protocol: "tcp", ...(v.publish === undefined ? {} : { published: v.publish }) }]
      : [],
    replicas: v.replicas,
    resources: { ...DEFAULT_LIMITS },
    ...(domains.length ? { domains } : {}),
    ...(v.databases?.length ? { databases: [...new Set(v.databases)] } : {}),
    ...withHealthcheck(v.healthcheck, v.port),
    ...(v.update ? { update: { defaults: "berth", ...v.update } } : {}),
  };
}

/** The service's health check: the one given, none, or (with a port) Berth's port check. */
function withHealthcheck(
  h: z.output<typeof healthcheck> | undefined,
  port: number | undefined,
): Pick<ServiceModel, "healthcheck"> {
  if (h?.disable) return { healthcheck: { disable: true } };
  const given: HealthcheckModel = {
    ...(h?.test === undefined ? {} : { test: typeof h.test === "string" ? ["CMD-SHELL", h.test] : h.test }),
    ...(h?.interval === undefined ? {} : { interval: h.interval }),
    ...(h?.timeout === undefined ? {} : { timeout: h.timeout }),
    ...(h?.retries === undefined ? {} : { retries: h.retries }),
    ...(h?.startPeriod === undefined ? {} : { startPeriod: h.startPeriod }),
  };
  if (given.test === undefined && port !== undefined) return { healthcheck: { port, ...given } };
  return Object.keys(given).length ? { healthcheck: given } : {};
}
