// The CLI's exit codes, documented in `berth --help` and the README.
export const EXIT = {
  ok: 0,
  /** The operation ran and failed (a deployment that did not converge, a server error). */
  failed: 1,
  /** Bad input or usage; nothing was changed. */
  invalidInput: 2,
  notFound: 3,
  conflict: 4,
  /** Berth, Docker or the database could not be reached. */
  unavailable: 5,
  unauthorized: 6,
} as const;

const BY_CODE: Record<string, number> = {
  invalid_input: EXIT.invalidInput,
  not_found: EXIT.notFound,
  conflict: EXIT.conflict,
  quota_exceeded: EXIT.conflict,
  policy_violation: EXIT.invalidInput,
  unavailable: EXIT.unavailable,
  unauthorized: EXIT.unauthorized,
  forbidden: EXIT.unauthorized,
  rate_limited: EXIT.unavailable,
};

export function exitCodeFor(code: string): number {
  return BY_CODE[code] ?? EXIT.failed;
}

export const EXIT_HELP = `
Exit codes:
  0  success
  1  the operation failed (e.g. a deployment did not converge)
  2  invalid input or usage; nothing was changed
  3  not found
  4  conflict (already exists, changed concurrently, over quota)
  5  Berth, Docker or the database is unreachable
  6  missing or invalid credentials, or a role that does not allow this`;
