// Limits on what a caller may send, in one place: the API refuses past them, the CLI checks the same
// numbers before sending, and compose files and the short form share the field limits.
import { ConfigError } from "../domain/errors.js";

/** Largest request body the API reads, and largest compose file: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Deepest nesting of arrays and objects in a JSON body. Validation and conversion walk bodies
 * recursively; a compose document nests about ten levels.
 */
export const MAX_JSON_DEPTH = 64;

/** Longest value of an environment variable, in characters (short form and compose alike). */
export const MAX_ENV_VALUE_CHARS = 32 * 1024;

/** Longest path segment (a name, an id, an email) the API routes. */
export const MAX_PATH_SEGMENT_CHARS = 512;

/** Most replicas of one service the short form and `berth scale` ask for (the quota bounds the sum). */
export const MAX_REPLICAS = 100;

/**
 * Refuses a body the CLI is about to send when the API would refuse it for its size:
 * a compose stack grows past its files once env_file values and secret and config files (base64)
 * are inlined.
 */
export function refuseOversizedBody(body: unknown, what: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(body));
  if (bytes > MAX_BODY_BYTES) {
    throw new ConfigError(
      what,
      `the stack as sent (files merged, env_file values and secret and config files inlined, base64) is ${(bytes / 1024 / 1024).toFixed(1)} MiB; the API takes at most ${MAX_BODY_BYTES / 1024 / 1024} MiB: use smaller secret or config files, or split the stack`,
    );
  }
}
