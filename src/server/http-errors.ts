// Maps domain errors to HTTP responses: one error shape, `{error:{code,message,details}}`, and no
// stack traces or internals in any response.
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { BerthError, type ErrorCode } from "../domain/errors.js";

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  quota_exceeded: 409,
  policy_violation: 422,
  deploy_failed: 422,
  unavailable: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof BerthError) {
    const status = STATUS[err.code];
    if (status >= 500) req.log.warn({ err: err.message }, "dependency unavailable");
    reply.status(status).send(body(err.code, err.message, err.details));
    return;
  }
  const fe = err as FastifyError;
  if (fe.statusCode === 429) {
    reply.status(429).send(body("rate_limited", fe.message));
    return;
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own refusals: malformed JSON, unsupported media type, body too large.
    reply.status(fe.statusCode).send(body("invalid_input", fe.message));
    return;
  }
  req.log.error({ err }, "unhandled error");
  reply.status(500).send(body("internal", "internal error; see the control plane's log"));
}

export function body(code: string, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}
