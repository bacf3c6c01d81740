// The short form of a stack: one image, one port. Used by `berth deploy --image` and by the API's
// deploy body; it normalizes into the same StackModel that compose files do.
import { z } from "zod";
import { nameProblem } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import { DEFAULT_HOST_PORT_RANGE, DEFAULT_LIMITS, DEFAULT_ORG } from "./defaults.js";
import { parseImageRef } from "./image-ref.js";
import { parseInput } from "./validate.js";

const port = () =>
  z
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be between 1 and 65535")
    .max(65535, "must be between 1 and 65535");

const name = z.string().superRefine((v, ctx) => {
  const problem = nameProblem("stack", v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const image = z.string().superRefine((v, ctx) => {
  const parsed = parseImageRef(v);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
});

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const shortFormSchema = z
  .object({
    name,
    image,
    port: port(),
    publish: port()
      .refine((p) => p >= DEFAULT_HOST_PORT_RANGE.from && p <= DEFAULT_HOST_PORT_RANGE.to, {
        message: `must be in the allowed host port range ${DEFAULT_HOST_PORT_RANGE.from}-${DEFAULT_HOST_PORT_RANGE.to}`,
      })
      .optional(),
    replicas: z.number().int("replicas must be a whole number").min(0).max(100).default(1),
    env: z
      .record(
        z.string().regex(ENV_KEY, "environment variable names are letters, digits and '_'"),
        z.string().max(32 * 1024),
      )
      .default({}),
  })
  .strict();

export type ShortFormInput = z.input<typeof shortFormSchema>;

/** Validates a short-form request and normalizes it into a one-service stack. */
export function parseShortForm(input: unknown, org: string = DEFAULT_ORG): StackModel {
  const v = parseInput(shortFormSchema, input);
  return {
    org,
    name: v.name,
    services: [
      {
        name: v.name,
        image: v.image,
        env: v.env,
        ports: [
          { target: v.port, protocol: "tcp", ...(v.publish === undefined ? {} : { published: v.publish }) },
        ],
        replicas: v.replicas,
        resources: { ...DEFAULT_LIMITS },
      },
    ],
  };
}
