// Every API route is declared once here-style: method, path, who may call it, and zod schemas for
// params, query and body. The same declarations drive input validation, the role check, the audit
// log, the OpenAPI document and the tests that call every endpoint with every role.
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Platform } from "../apply/platform.js";
import { parseInput } from "../config/validate.js";
import { ConfigError } from "../domain/errors.js";
import { writeAudit } from "../store/identity.js";
import { type Access, authorize } from "./access.js";

export interface RouteDef<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Fastify path under /api/v1, e.g. `/orgs/:org/tokens`. */
  url: string;
  access: Access;
  summary: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Response status on success (documentation). */
  status?: number;
  /** What a success answers; every response is parsed with it before it is sent. */
  response?: z.ZodType;
  /** Requests per minute per client address (login and token endpoints). */
  rateLimit?: number;
  /** A POST that only reads (render, diff): not written to the audit log. */
  readOnly?: boolean;
  /**
   * The body is an upload (a build context), handed to the handler as a stream unread; its size is
   * the handler's to bound. Other routes refuse such bodies.
   */
  upload?: { contentTypes: string[] };
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: FastifyRequest;
  reply: FastifyReply;
  /** Adds details (what changed, and what followed from it) to the route's audit log entry. */
  audit: (details: Record<string, unknown>) => void;
}

export interface RegisteredRoute {
  method: string;
  url: string;
  access: Access;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response?: z.ZodType;
  status: number;
  upload?: { contentTypes: string[] };
}

export const EMPTY = z.object({}).strict();

/**
 * NUL characters cannot be stored (PostgreSQL text and jsonb refuse them): refused up front. Recursive,
 * which is safe because the body parser bounds nesting (config/json-body.ts).
 */
function refuseNul(v: unknown, path: string): void {
  if (typeof v === "string") {
    if (v.includes("\u0000")) throw new ConfigError(path || "body", "must not contain NUL characters");
  } else if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) refuseNul(x, path ? `${path}.${i}` : String(i));
  } else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k.includes("\u0000")) throw new ConfigError(path || "body", "keys must not contain NUL characters");
      refuseNul(x, path ? `${path}.${k}` : k);
    }
  }
}

export class Routes {
  readonly all: RegisteredRoute[] = [];

  constructor(
    private readonly api: FastifyInstance,
    private readonly p: Platform,
  ) {}

  add<
    P extends z.ZodType = typeof EMPTY,
    Q extends z.ZodType = typeof EMPTY,
    B extends z.ZodType = z.ZodUnknown,
  >(
    def: RouteDef<P, Q, B>,
    handler: (input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<unknown>,
  ): void {
    const p = this.p;
    this.all.push({
      method: def.method,
      url: def.url,
      access: def.access,
      summary: def.summary,
      status: def.status ?? 200,
      ...(def.params ? { params: def.params } : {}),
      ...(def.query ? { query: def.query } : {}),
      ...(def.body ? { body: def.body } : {}),
      ...(def.response ? { response: def.response } : {}),
      ...(def.upload ? { upload: def.upload } : {}),
    });
    this.api.route({
      method: def.method,
      url: def.url,
      ...(def.rateLimit ? { config: { rateLimit: { max: def.rateLimit, timeWindow: "1 minute" } } } : {}),
      handler: async (req, reply) => {
        // Who may call comes first: an unknown caller learns nothing from validation messages.
        await authorize(p, req, def.access);
        refuseNul(req.params, "");
        refuseNul(req.query, "");
        const uploaded = req.body instanceof Readable;
        if (uploaded !== Boolean(def.upload)) {
          const want = def.upload ? def.upload.contentTypes.join(" or ") : "application/json";
          throw new ConfigError("content-type", `must be ${want}`);
        }
        if (!uploaded) refuseNul(req.body, "");
        const params = parseInput(def.params ?? EMPTY, req.params ?? {}) as z.output<P>;
        const query = parseInput(def.query ?? EMPTY, req.query ?? {}) as z.output<Q>;
        const body = uploaded
          ? (req.body as z.output<B>)
          : def.body
            ? parseInput(def.body, req.body)
            : (undefined as z.output<B>);
        let details: Record<string, unknown> | undefined;
        const audit = (d: Record<string, unknown>) => {
          details = { ...details, ...d };
        };
        const result = await handler({ params, query, body, req, reply, audit });
        if (def.method !== "GET" && !def.readOnly && reply.statusCode < 400) {
          await writeAudit(p.db, {
            orgId: req.org?.id ?? null,
            actor: req.caller?.actor ?? "anonymous",
            action: `${def.method} ${def.url}`,
            target: req.url.split("?")[0]!,
            sourceAddress: req.ip,
            ...(details ? { details } : {}),
          });
        }
        if (reply.sent) return reply;
        if (def.status && reply.statusCode === 200) reply.status(def.status);
        if (!def.response) return result;
        const checked = def.response.safeParse(result);
        if (!checked.success) {
          req.log.error(
            { issues: checked.error.issues.slice(0, 5), route: def.url },
            "response does not match its schema",
          );
          throw new Error(`response of ${def.method} ${def.url} does not match its schema`);
        }
        return checked.data;
      },
    });
  }
}
