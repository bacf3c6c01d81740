// Domain errors. The core throws these; only the edges (HTTP server, CLI) map them to status codes
// and exit codes.

export type ErrorCode =
  | "invalid_input"
  | "not_found"
  | "conflict"
  | "quota_exceeded"
  | "policy_violation"
  | "unauthorized"
  | "forbidden"
  | "unavailable"
  | "deploy_failed";

export abstract class BerthError extends Error {
  abstract readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options?.details;
  }
}

/** Bad user input. `path` names where it is wrong, e.g. `port` or `services.web.deploy.replicas`. */
export class ConfigError extends BerthError {
  readonly code = "invalid_input";
  constructor(
    readonly path: string,
    problem: string,
    /** More for the caller beside the path, e.g. every problem when there are several. */
    details?: Record<string, unknown>,
  ) {
    super(path ? `${path}: ${problem}` : problem, { details: { path, ...details } });
  }
}

export class NotFound extends BerthError {
  readonly code = "not_found";
  constructor(kind: string, name: string) {
    super(`${kind} '${name}' not found`);
  }
}

export class Conflict extends BerthError {
  readonly code = "conflict";
}

export class Unauthorized extends BerthError {
  readonly code = "unauthorized";
}

/** The caller is known but its role does not allow this. */
export class Forbidden extends BerthError {
  readonly code = "forbidden";
}

/** A deployment would exceed the organization's quota; the message names the numbers. */
export class QuotaExceeded extends BerthError {
  readonly code = "quota_exceeded";
}

/** A workload breaks a rule of the tenant policy; the message names the field and the rule. */
export class PolicyViolation extends BerthError {
  readonly code = "policy_violation";
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`, { details: { path } });
  }
}

/** A dependency (Docker, the database) cannot be reached or refused the request. */
export class Unavailable extends BerthError {
  readonly code = "unavailable";
}

export class DeployFailed extends BerthError {
  readonly code = "deploy_failed";
}

/** Wraps a lower-level error with what Berth was doing, keeping domain errors as they are. */
export function withContext(context: string, err: unknown): Error {
  if (err instanceof BerthError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new Unavailable(`${context}: ${message}`, { cause: err });
}
