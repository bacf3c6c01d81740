// The bootstrap admin token: generated on first start into the data directory (mode 0600), it acts
// as a platform admin for the CLI on the same machine. Everyone else signs in or uses org tokens.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dataDirPaths } from "../config/data-dir.js";

export function ensureAdminToken(dataDir: string): string {
  const path = dataDirPaths(dataDir).adminToken;
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const token = `berth_${randomBytes(32).toString("base64url")}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: "wx" });
  return token;
}
