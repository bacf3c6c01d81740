// A build's options (`berth deploy --build`): where the Dockerfile is in the context, the stage to
// build, build arguments. Checked alike by the CLI before it packs anything and by the API.
import { posix } from "node:path";
import { z } from "zod";
import { ConfigError } from "../domain/errors.js";
import { parseInput } from "./validate.js";

/** Largest build context the API takes (as sent, compressed or not): 500 MiB. */
export const MAX_BUILD_CONTEXT_BYTES = 500 * 1024 * 1024;

export interface BuildOptions {
  /** Path of the Dockerfile inside the context (`/`-separated). */
  dockerfile: string;
  target?: string;
  buildArgs: Record<string, string>;
}

const ARG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

const schema = z
  .object({
    dockerfile: z
      .string()
      .max(255)
      .refine((v) => dockerfilePath(v) !== undefined, "must be a relative path inside the build context")
      .optional(),
    target: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "must be a stage name (letters, digits, '_', '.', '-')")
      .optional(),
    buildArg: z.union([z.string(), z.array(z.string()).max(100)]).optional(),
  })
  .strict();

/** The options from the API's query (or the CLI's flags): `buildArg` is `KEY=VALUE`, repeatable. */
export function parseBuildOptions(input: unknown): BuildOptions {
  const o = parseInput(schema, input);
  const args = o.buildArg === undefined ? [] : Array.isArray(o.buildArg) ? o.buildArg : [o.buildArg];
  const buildArgs: Record<string, string> = {};
  for (const pair of args) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq <= 0 || !ARG_KEY.test(key)) {
      throw new ConfigError(
        "buildArg",
        `'${key.slice(0, 64)}' must be KEY=VALUE with KEY a name (letters, digits, '_')`,
      );
    }
    if (pair.length > 32 * 1024) throw new ConfigError(`buildArg.${key}`, "is longer than 32 KiB");
    buildArgs[key] = pair.slice(eq + 1);
  }
  return {
    dockerfile: dockerfilePath(o.dockerfile ?? "Dockerfile")!,
    ...(o.target === undefined ? {} : { target: o.target }),
    buildArgs,
  };
}

/** The path normalized, or undefined when it leaves the context or is not a file path. */
function dockerfilePath(v: string): string | undefined {
  if (!v || v.includes("\u0000") || v.includes("\\")) return undefined;
  const p = posix.normalize(v);
  if (p.startsWith("/") || p === "." || p === ".." || p.startsWith("../") || p.endsWith("/"))
    return undefined;
  return p;
}
