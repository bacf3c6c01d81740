// `Idempotency-Key` on creating calls: a retried request with the same key (same organization and
// route) gets the first response back and creates nothing more.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Platform } from "../apply/platform.js";
import { ConfigError } from "../domain/errors.js";
import { recalled, remember } from "../store/idempotency.js";

export async function idempotent(
  p: Platform,
  req: FastifyRequest,
  reply: FastifyReply,
  create: () => Promise<unknown>,
): Promise<unknown> {
  const key = req.headers["idempotency-key"];
  if (key === undefined) return create();
  if (typeof key !== "string" || !/^[\w.:-]{1,128}$/.test(key)) {
    throw new ConfigError("Idempotency-Key", "must be 1-128 letters, digits, '.', ':', '_' or '-'");
  }
  const route = `${req.method} ${req.routeOptions.url}`;
  const before = await recalled(p.db, req.org!.id, route, key);
  if (before) {
    reply.header("idempotent-replay", "true");
    reply.status(before.status);
    return before.response;
  }
  const response = await create();
  await remember(p.db, { orgId: req.org!.id, route, key, status: 202, response });
  return response;
}
