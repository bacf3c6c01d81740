// Platform-wide key/value facts.
import { eq, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { settings } from "./schema.js";

export async function getSetting(db: Db, key: string): Promise<string | undefined> {
  const [row] = await db.select().from(settings).where(eq(settings.key, key));
  return row?.value;
}

export async function putSetting(db: Db, key: string, value: string): Promise<void> {
  await db
    .insert(settings)
    .values({ key, value })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: sql`now()` } });
}

/** This installation's id, made on first start. */
export async function instanceId(db: Db): Promise<string> {
  await db
    .insert(settings)
    .values({ key: "instance.id", value: crypto.randomUUID().slice(0, 8) })
    .onConflictDoNothing();
  return (await getSetting(db, "instance.id"))!;
}

/** The value under `key`, made by `make` the first time (the first writer wins across control planes). */
export async function settingOrInit(db: Db, key: string, make: () => string): Promise<string> {
  await db.insert(settings).values({ key, value: make() }).onConflictDoNothing();
  return (await getSetting(db, key))!;
}
