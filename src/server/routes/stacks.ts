import type { FastifyInstance } from "fastify";
import type { Platform } from "../../apply/platform.js";
import { removeStack, viewStacks } from "../../apply/stacks.js";
import { ConfigError } from "../../domain/errors.js";
import { nameProblem } from "../../domain/names.js";

export function stackRoutes(api: FastifyInstance, p: Platform, org: string): void {
  api.get("/stacks", async () => ({ stacks: await viewStacks(p, org) }));

  api.delete<{ Params: { name: string } }>("/stacks/:name", async (req) => {
    const problem = nameProblem("stack", req.params.name);
    if (problem) throw new ConfigError("name", problem);
    return removeStack(p, org, req.params.name);
  });
}
