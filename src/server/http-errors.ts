// Maps errors to HTTP responses: one error shape, `{error:{code,message,details}}`, for domain errors
// and for Fastify's own refusals before a route runs (bad URL, body too large, bad JSON, media type)
// alike; no stack traces or internals, and no echo of the request: Fastify's messages quote the URL
// or the header, so its refusals get messages of Berth's own, and every message is bounded.
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { MAX_BODY_BYTES, MAX_PATH_SEGMENT_CHARS } from "../config/limits.js";
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

/** Fastify's refusals by code, in words that quote nothing of the request. */
const FRAMEWORK: Record<string, { status: number; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    message: `the body is larger than the API's limit of ${MAX_BODY_BYTES / 1024 / 1024} MiB`,
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, message: "unsupported Content-Type; send application/json" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    message: "the body's length differs from Content-Length",
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    message: "the body is not valid JSON (or has a __proto__ or constructor.prototype key)",
  },
  FST_ERR_BAD_URL: { status: 400, message: "the URL is malformed: a '%' must start an escape such as %25" },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    message: `a path segment is longer than ${MAX_PATH_SEGMENT_CHARS} characters`,
  },
};

/** Largest refused body whose rest is read and dropped, so that the client gets its 413 (below). */
const DISCARD_BYTES = 16 * MAX_BODY_BYTES;

/** Longest message and detail path an error response carries; quoted input beyond is cut. */
const MAX_MESSAGE = 500;

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
  const known = fe.code ? FRAMEWORK[fe.code] : undefined;
  if (known) {
    if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE") discardRest(req, reply);
    reply.status(known.status).send(body("invalid_input", known.message));
    return;
  }
  if (fe.statusCode === 429) {
    // Built by Berth's rate limit (app.ts): quotes nothing.
    reply.status(429).send(body("rate_limited", fe.message));
    return;
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    reply
      .status(fe.statusCode)
      .send(body("invalid_input", `refused: ${STATUS_CODES[fe.statusCode] ?? "bad request"}`));
    return;
  }
  req.log.error({ err }, "unhandled error");
  reply.status(500).send(body("internal", "internal error; see the control plane's log"));
}

/**
 * Fastify closes the connection after refusing a body, and a client still sending it then sees the
 * connection reset, not the 413. The rest of a body not much over the limit is read and dropped
 * instead (nothing is kept); past DISCARD_BYTES the connection closes as before.
 */
function discardRest(req: FastifyRequest, reply: FastifyReply): void {
  const raw = req.raw;
  if (raw.complete || Number(req.headers["content-length"]) > DISCARD_BYTES) return;
  reply.removeHeader("connection");
  let read = 0;
  raw.on("data", (chunk: Buffer) => {
    read += chunk.length;
    if (read > DISCARD_BYTES) raw.destroy();
  });
  raw.resume();
}

/** The route-less 404: the method and the start of the path, never all of a long one. */
export function notFound(req: FastifyRequest, reply: FastifyReply): void {
  const path = req.url.split("?")[0]!;
  reply.status(404).send(body("not_found", `no route ${req.method} ${clip(path, 100)}`));
}

/**
 * A request Node's HTTP parser refused (headers or URL over its size limit, malformed HTTP): no route
 * and no hook runs, so the response is written here, in the same shape.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, message] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "the request line and headers are larger than the server accepts"]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "the request took too long to arrive"]
        : [400, "the request is not valid HTTP"];
  const text = JSON.stringify(body("invalid_input", message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nX-Content-Type-Options: nosniff\r\n` +
        `Connection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(err);
}

export function body(code: string, message: string, details?: unknown): ErrorBody {
  return {
    error: {
      code,
      message: clip(message, MAX_MESSAGE),
      ...(details === undefined ? {} : { details: clipPath(details) }),
    },
  };
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}... (cut)` : s;
}

/** Domain errors name the path of the bad value, which holds the caller's keys: bounded too. */
function clipPath(details: unknown): unknown {
  if (details && typeof details === "object" && typeof (details as { path?: unknown }).path === "string") {
    const d = details as { path: string };
    return { ...d, path: clip(d.path, MAX_MESSAGE) };
  }
  return details;
}
