// PostgreSQL's SCRAM-SHA-256 password verifier (what `pg_authid.rolpassword` stores), computed here so
// that `CREATE ROLE ... PASSWORD '<verifier>'` never sends the password itself: a statement the server
// logs (after an error, or with log_statement) shows only the verifier.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

const ITERATIONS = 4096;

export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, ITERATIONS, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  const b64 = (b: Buffer) => b.toString("base64");
  return `SCRAM-SHA-256$${ITERATIONS}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}

/** A password of 32 hex digits (128 bits): safe inside a URL and a SQL literal as it is. */
export function newDbPassword(): string {
  return randomBytes(16).toString("hex");
}
