// `Idempotency-Key` on creating calls: a retried request with the same key (same organization and
// route) gets the first response back and creates nothing more. The key is claimed before the call
// runs, so concurrent requests with one key create once: the others wait for its answer.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Platform } from "../apply/platform.js";
import { ConfigError, Conflict } from "../domain/errors.js";
import { claimKey, recalled, releaseKey, remember } from "../store/idempotency.js";

const WAIT_MS = 30_000;

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
  const ref = { orgId: req.org!.id, route: `${req.method} ${req.routeOptions.url}`, key };
  const deadline = Date.now() + WAIT_MS;
  while (!(await claimKey(p.db, ref))) {
    const before = await recalled(p.db, ref);
    if (before && before !== "pending") {
      reply.header("idempotent-replay", "true");
      reply.status(before.status);
      return before.response;
    }
    if (Date.now() > deadline) {
      throw new Conflict("a request with this Idempotency-Key is still running; retry later");
    }
    // Held by a request still running (or just released after failing): look again shortly.
    if (before === "pending") await new Promise((r) => setTimeout(r, 100));
  }
  try {
    const response = await create();
    await remember(p.db, ref, { status: 202, response });
    return response;
  } catch (err) {
    await releaseKey(p.db, ref);
    throw err;
  }
}
