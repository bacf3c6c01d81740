// Uploaded certificates (`host_certificates`): one per organization and host, the key sealed. Every
// tenant query takes the organization id; the proxy sync alone reads those its routes use
// (`uploadedCertificatesInUse`).
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { domains, hostCertificates, organizations } from "./schema.js";

export type HostCertificateRow = typeof hostCertificates.$inferSelect;

export interface NewHostCertificate {
  orgId: string;
  hostname: string;
  certPem: string;
  keySealed: string;
  issuer: string;
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
}

/** Stores the organization's certificate for the host, replacing the one it had. */
export async function putHostCertificate(db: Db, c: NewHostCertificate): Promise<void> {
  await db
    .insert(hostCertificates)
    .values(c)
    .onConflictDoUpdate({
      target: [hostCertificates.orgId, hostCertificates.hostname],
      set: {
        certPem: c.certPem,
        keySealed: c.keySealed,
        issuer: c.issuer,
        fingerprint: c.fingerprint,
        notBefore: c.notBefore,
        notAfter: c.notAfter,
        updatedAt: sql`now()`,
      },
    });
}

/** What is known of the organization's uploaded certificates (no key), by host. */
export async function hostCertificatesOf(
  db: Db,
  orgId: string,
): Promise<Map<string, Omit<HostCertificateRow, "keySealed" | "certPem">>> {
  const rows = await db
    .select({
      id: hostCertificates.id,
      orgId: hostCertificates.orgId,
      hostname: hostCertificates.hostname,
      issuer: hostCertificates.issuer,
      fingerprint: hostCertificates.fingerprint,
      notBefore: hostCertificates.notBefore,
      notAfter: hostCertificates.notAfter,
      updatedAt: hostCertificates.updatedAt,
    })
    .from(hostCertificates)
    .where(eq(hostCertificates.orgId, orgId));
  return new Map(rows.map((r) => [r.hostname, r]));
}

export async function hasHostCertificate(db: Db, orgId: string, hostname: string): Promise<boolean> {
  const rows = await db
    .select({ id: hostCertificates.id })
    .from(hostCertificates)
    .where(and(eq(hostCertificates.orgId, orgId), eq(hostCertificates.hostname, hostname)));
  return rows.length > 0;
}

export interface CertificateInUse {
  org: string;
  hostname: string;
  certPem: string;
  keySealed: string;
}

/**
 * Certificates the proxy should hold: those of hosts that the same organization routes with
 * `tls upload` (a certificate left behind by an organization that no longer routes the host, or
 * uploaded for a host another organization holds, is never handed over).
 */
export async function uploadedCertificatesInUse(db: Db): Promise<CertificateInUse[]> {
  const rows = await db
    .selectDistinct({
      org: organizations.slug,
      hostname: hostCertificates.hostname,
      certPem: hostCertificates.certPem,
      keySealed: hostCertificates.keySealed,
    })
    .from(hostCertificates)
    .innerJoin(
      domains,
      and(
        eq(domains.orgId, hostCertificates.orgId),
        eq(domains.hostname, hostCertificates.hostname),
        eq(domains.tls, "upload"),
      ),
    )
    .innerJoin(organizations, eq(organizations.id, hostCertificates.orgId))
    .orderBy(hostCertificates.hostname);
  return rows;
}
