// The key that seals backup archives: 32 random bytes made on first start, kept in the database
// sealed under the master key like secret values, so every control plane sharing the database (and
// every node's archives in the shared store) uses the same one, and a database dump alone opens none.
import { randomBytes } from "node:crypto";
import type { Db } from "../store/db.js";
import { settingOrInit } from "../store/settings.js";
import type { Sealer } from "./sealer.js";

export async function backupKey(db: Db, sealer: Sealer): Promise<Buffer> {
  const sealed = await settingOrInit(db, "backup.key", () => sealer.seal(randomBytes(32)));
  return sealer.open(sealed);
}
