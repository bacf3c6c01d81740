// Secret values at rest: AES-256-GCM under the installation's master key. The key comes from
// BERTH_MASTER_KEY (base64 of 32 bytes) or BERTH_MASTER_KEY_FILE, else from `<data-dir>/master.key`,
// created (mode 0600) on first start. Sealed values read `v1.<iv>.<tag>.<ciphertext>` (base64url).
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../domain/errors.js";

export interface Sealer {
  seal(plain: Buffer): string;
  open(sealed: string): Buffer;
  /** A short keyed digest of a value: names content without revealing it. */
  digest(plain: Buffer): string;
}

export function createSealer(key: Buffer): Sealer {
  if (key.length !== 32) throw new ConfigError("master key", `must be 32 bytes, got ${key.length}`);
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return ["v1", iv, cipher.getAuthTag(), body]
        .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
        .join(".");
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split(".");
      if (version !== "v1" || !iv || !tag || body === undefined)
        throw new ConfigError("secret", "is not a sealed value");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
    },
    digest(plain) {
      return createHmac("sha256", key).update(plain).digest("hex").slice(0, 12);
    },
  };
}

/** The master key from the environment, or the data directory's key file (created when missing). */
export function loadMasterKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (env.BERTH_MASTER_KEY) return decodeKey(env.BERTH_MASTER_KEY, "BERTH_MASTER_KEY");
  const file = env.BERTH_MASTER_KEY_FILE || join(dataDir, "master.key");
  if (!existsSync(file)) {
    if (env.BERTH_MASTER_KEY_FILE) throw new ConfigError("BERTH_MASTER_KEY_FILE", `${file} does not exist`);
    writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  }
  return decodeKey(readFileSync(file, "utf8").trim(), file);
}

function decodeKey(text: string, where: string): Buffer {
  const key = Buffer.from(text, "base64");
  if (key.length !== 32)
    throw new ConfigError(where, "must hold 32 bytes, base64-encoded (openssl rand -base64 32)");
  return key;
}
