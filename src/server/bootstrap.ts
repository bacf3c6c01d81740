// First start: the default organization, and a platform admin. The admin's password is
// BERTH_ADMIN_PASSWORD (for automation) or generated; a generated one is handed to `berth up` once,
// through a file only the owner can read, which `berth up` prints and deletes. It never goes to logs.
import { writeFileSync } from "node:fs";
import { dataDirPaths } from "../config/data-dir.js";
import { DEFAULT_ORG } from "../config/defaults.js";
import { ConfigError } from "../domain/errors.js";
import { generatePassword, hashPassword } from "../security/passwords.js";
import type { Db } from "../store/db.js";
import { countPlatformAdmins, createUser, orgBySlug, setMember } from "../store/identity.js";
import { ensureOrg } from "../store/stacks.js";

export async function bootstrapIdentity(
  db: Db,
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  await ensureOrg(db, DEFAULT_ORG);
  if ((await countPlatformAdmins(db)) > 0) return;
  const email = env.BERTH_ADMIN_EMAIL || "admin@berth.local";
  const given = env.BERTH_ADMIN_PASSWORD;
  if (given !== undefined && given.length < 12) {
    throw new ConfigError("BERTH_ADMIN_PASSWORD", "must be at least 12 characters");
  }
  const password = given ?? generatePassword();
  const user = await createUser(db, {
    email,
    passwordHash: await hashPassword(password),
    platformAdmin: true,
  });
  const org = await orgBySlug(db, DEFAULT_ORG);
  if (org) await setMember(db, org.id, user.id, "owner");
  if (given === undefined) {
    writeFileSync(dataDirPaths(dataDir).initialAdmin, `${email}\n${password}\n`, { mode: 0o600 });
  }
}
