// Idempotency keys of creating calls: the first response is kept a day, and a retry with the same
// key gets it back instead of creating again. A key is claimed before the call runs (status 0 until
// it has answered), so two requests racing with one key cannot both create.
import { and, eq, lt } from "drizzle-orm";
import type { Db } from "./db.js";
import { idempotencyKeys } from "./schema.js";

export interface KeyRef {
  orgId: string;
  route: string;
  key: string;
}

const where = (k: KeyRef) =>
  and(eq(idempotencyKeys.orgId, k.orgId), eq(idempotencyKeys.route, k.route), eq(idempotencyKeys.key, k.key));

/** Claims the key for this request: true when it is ours to answer, false when another request holds it. */
export async function claimKey(db: Db, k: KeyRef): Promise<boolean> {
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(Date.now() - 86_400_000)));
  const claimed = await db
    .insert(idempotencyKeys)
    .values({ ...k, status: 0, response: {} })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  return claimed.length > 0;
}

/** The answer given to the key, or `pending` while the request holding it still runs. */
export async function recalled(
  db: Db,
  k: KeyRef,
): Promise<{ status: number; response: unknown } | "pending" | undefined> {
  const [row] = await db.select().from(idempotencyKeys).where(where(k));
  if (!row) return undefined;
  return row.status === 0 ? "pending" : { status: row.status, response: row.response };
}

export async function remember(
  db: Db,
  k: KeyRef,
  answer: { status: number; response: unknown },
): Promise<void> {
  await db.update(idempotencyKeys).set(answer).where(where(k));
}

/** Gives the key up when its request failed: a retry may then try again. */
export async function releaseKey(db: Db, k: KeyRef): Promise<void> {
  await db.delete(idempotencyKeys).where(and(where(k), eq(idempotencyKeys.status, 0)));
}
