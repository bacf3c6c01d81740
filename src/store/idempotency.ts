// Idempotency keys of creating calls: the first response is kept a day, and a retry with the same
// key gets it back instead of creating again.
import { and, eq, lt } from "drizzle-orm";
import type { Db } from "./db.js";
import { idempotencyKeys } from "./schema.js";

export async function recalled(
  db: Db,
  orgId: string,
  route: string,
  key: string,
): Promise<{ status: number; response: unknown } | undefined> {
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(
      and(eq(idempotencyKeys.orgId, orgId), eq(idempotencyKeys.route, route), eq(idempotencyKeys.key, key)),
    );
  return row ? { status: row.status, response: row.response } : undefined;
}

export async function remember(
  db: Db,
  v: { orgId: string; route: string; key: string; status: number; response: unknown },
): Promise<void> {
  await db.insert(idempotencyKeys).values(v).onConflictDoNothing();
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(Date.now() - 86_400_000)));
}
