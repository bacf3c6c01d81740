// Replica counts as users write them (`berth scale web 3`, `{"replicas": 3}`): whole numbers from 0
// (a service kept but stopped) to the short form's limit.
import { z } from "zod";
import { ConfigError } from "../domain/errors.js";
import { MAX_REPLICAS } from "./limits.js";

const PROBLEM = `must be a whole number from 0 to ${MAX_REPLICAS}`;

export const replicaCount = z
  .number({ error: PROBLEM })
  .int(PROBLEM)
  .min(0, PROBLEM)
  .max(MAX_REPLICAS, PROBLEM);

/** A replica count written as text (a command-line argument). */
export function parseReplicas(text: string, path: string): number {
  const parsed = /^\d{1,10}$/.test(text.trim()) ? replicaCount.safeParse(Number(text)) : undefined;
  if (!parsed?.success) throw new ConfigError(path, `'${text}' ${PROBLEM}`);
  return parsed.data;
}
