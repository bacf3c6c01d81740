// Passwords: argon2id (the library's defaults: 64 MiB, 3 passes), and random secrets for tokens.
import { createHash, randomBytes } from "node:crypto";
import argon2 from "argon2";

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A random secret with a recognisable prefix (`berth_` for API tokens, `bs_` for sessions). */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

/** Tokens are long random strings, so a fast hash is enough to store them. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}
