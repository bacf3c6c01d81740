// Revision numbers as users write them (`berth rollback --to 3`, `?from=2`): whole numbers from 1,
// within what the database stores (a 32-bit integer).
import { z } from "zod";
import { ConfigError } from "../domain/errors.js";

const PROBLEM = "must be a revision number (1, 2, 3, ...)";

export const revisionNumber = z
  .number({ error: PROBLEM })
  .int(PROBLEM)
  .min(1, PROBLEM)
  .max(2 ** 31 - 1, PROBLEM);

/** A revision number written as text (a query parameter, a command-line argument). */
export const revisionText = z
  .string({ error: PROBLEM })
  .regex(/^\d{1,10}$/, PROBLEM)
  .transform(Number)
  .pipe(revisionNumber);

export function parseRevision(text: string, path: string): number {
  const parsed = revisionText.safeParse(text);
  if (!parsed.success) throw new ConfigError(path, `'${text}' ${PROBLEM}`);
  return parsed.data;
}
