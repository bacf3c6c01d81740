// Test certificates made by Debian's openssl (execFile, fixed arguments): a self-signed leaf with
// the DNS names asked for, an EC P-256 key, valid from now for `days`.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface TestCert {
  cert: string;
  key: string;
}

export async function makeCert(o: { names: string[]; days?: number; cn?: string }): Promise<TestCert> {
  const dir = mkdtempSync(join(tmpdir(), "berth-cert-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    await exec("openssl", [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
      ...["-keyout", key, "-out", cert, "-days", String(o.days ?? 30)],
      ...["-subj", `/CN=${o.cn ?? o.names[0] ?? "berth test"}/O=Berth test`],
      ...(o.names.length ? ["-addext", `subjectAltName=${o.names.map((n) => `DNS:${n}`).join(",")}`] : []),
    ]);
    return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
