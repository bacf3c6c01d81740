import type { z } from "zod";
import { ConfigError } from "../domain/errors.js";

/** Parses `input` with `schema`, turning the first problem into a ConfigError that names its path. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String).join(".");
  let message = issue.message;
  if (issue.code === "invalid_key" && issue.issues[0]) message = issue.issues[0].message;
  if (issue.code === "unrecognized_keys")
    message = `unknown field ${issue.keys.map((k) => `'${k.length > 40 ? `${k.slice(0, 40)}...` : k}'`).join(", ")}`;
  throw new ConfigError(path, message);
}
