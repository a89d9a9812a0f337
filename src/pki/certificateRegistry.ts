import { createHash, X509Certificate } from 'node:crypto';
import type * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Database, Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';

/*
 * The register of certificates Signet's CA issued, and their revocation. The OCSP responder
 * and the CRLs answer from it; nothing else decides whether a certificate is revoked.
 */

/** RFC 5280 §5.3.1 reason codes; certificateHold (6) and removeFromCRL (8) are not offered: no suspension here. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function isRevocationReason(value: string): value is RevocationReason {
  return Object.hasOwn(REVOCATION_REASONS, value);
}

export type CertificateStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason: RevocationReason }
  | { status: 'unknown' };

export interface RevokedEntry {
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface RegisteredCertificate {
  serial: string;
  issuer: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  revokedAt: Date | null;
  revocationReason: RevocationReason | null;
}

/** Canonical serial spelling: lowercase hex of the (positive) integer, no leading zeros, no separators. */
export function normalizeSerial(input: string): string {
  const hex = input.trim().replace(/^0x/i, '').replace(/[:\s]/g, '');
  if (!/^[0-9a-fA-F]{1,80}$/.test(hex)) {
    throw new SignetError('CERTIFICATE_SERIAL_INVALID', 'a serial number is written in hexadecimal');
  }
  return BigInt(`0x${hex}`).toString(16);
}

export function serialOf(serialNumber: asn1js.Integer): string {
  return serialNumber.toBigInt().toString(16);
}

/** SHA-1 of the subjectPublicKey BIT STRING value: the OCSP CertID issuerKeyHash (RFC 6960 §4.1.1). */
export function keySha1Of(certificate: pkijs.Certificate): string {
  const key = certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  return createHash('sha1').update(key).digest('hex');
}

/** Records a certificate once; recording it again (every start records the dev CA's) changes nothing. */
export async function recordCertificate(sql: Sql, der: Uint8Array, issuerDer: Uint8Array): Promise<void> {
  const certificate = pkijs.Certificate.fromBER(der);
  const view = new X509Certificate(der);
  const issuer = new X509Certificate(issuerDer);
  if (!view.checkIssued(issuer) || !view.verify(issuer.publicKey)) {
    throw new SignetError('CERTIFICATE_ISSUER_MISMATCH', 'the certificate was not issued by that issuer');
  }
  await sql.query(
    `insert into pki_certificates (issuer_key_sha1, serial, issuer, subject, not_before, not_after, der)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (issuer_key_sha1, serial) do nothing`,
    [
      keySha1Of(pkijs.Certificate.fromBER(issuerDer)),
      serialOf(certificate.serialNumber),
      oneLine(view.issuer),
      oneLine(view.subject),
      new Date(view.validFrom),
      new Date(view.validTo),
      Buffer.from(der),
    ],
  );
}

/** Revokes the certificate with that serial number (from any of Signet's issuers). */
export async function revokeCertificate(
  db: Database,
  serialInput: string,
  reason: RevocationReason = 'unspecified',
  at: Date = new Date(),
): Promise<RegisteredCertificate> {
  const serial = normalizeSerial(serialInput);
  return db.transaction(async (tx) => {
    const rows = await tx.query<CertificateRow>(
      `select ${COLUMNS} from pki_certificates where serial = $1 for update`,
      [serial],
    );
    const [row, ...others] = rows;
    if (!row)
      throw new SignetError('CERTIFICATE_NOT_FOUND', `Signet issued no certificate with serial ${serial}`);
    if (others.length > 0) {
      throw new SignetError('CERTIFICATE_AMBIGUOUS', `${rows.length} certificates have serial ${serial}`);
    }
    if (row.revoked_at) {
      throw new SignetError('CERTIFICATE_ALREADY_REVOKED', `certificate ${serial} was revoked already`);
    }
    // Whole seconds: CRLs and OCSP carry revocation times without fractions (RFC 5280 §5.1.2.6).
    const revokedAt = new Date(Math.floor(at.getTime() / 1000) * 1000);
    const [updated] = await tx.query<CertificateRow>(
      `update pki_certificates set revoked_at = $3, revocation_reason = $4
        where issuer_key_sha1 = $1 and serial = $2 returning ${COLUMNS}`,
      [row.issuer_key_sha1, serial, revokedAt, reason],
    );
    return registered(updated ?? row);
  });
}

export async function certificateStatus(
  sql: Sql,
  issuerKeySha1: string,
  serial: string,
): Promise<CertificateStatus> {
  const [row] = await sql.query<CertificateRow>(
    `select ${COLUMNS} from pki_certificates where issuer_key_sha1 = $1 and serial = $2`,
    [issuerKeySha1, serial],
  );
  if (!row) return { status: 'unknown' };
  if (!row.revoked_at || !row.revocation_reason) return { status: 'good' };
  return { status: 'revoked', revokedAt: new Date(row.revoked_at), reason: row.revocation_reason };
}

export async function revokedCertificates(sql: Sql, issuerKeySha1: string): Promise<RevokedEntry[]> {
  const rows = await sql.query<CertificateRow>(
    `select ${COLUMNS} from pki_certificates
      where issuer_key_sha1 = $1 and revoked_at is not null order by revoked_at, serial`,
    [issuerKeySha1],
  );
  return rows.map((row) => ({
    serial: row.serial,
    revokedAt: new Date(row.revoked_at as Date),
    reason: row.revocation_reason as RevocationReason,
  }));
}

export async function nextCrlNumber(sql: Sql): Promise<bigint> {
  const [row] = await sql.query<{ n: string | number | bigint }>(`select nextval('pki_crl_number') as n`);
  return BigInt(row?.n ?? 0);
}

const COLUMNS =
  'issuer_key_sha1, serial, issuer, subject, not_before, not_after, revoked_at, revocation_reason';

interface CertificateRow {
  issuer_key_sha1: string;
  serial: string;
  issuer: string;
  subject: string;
  not_before: Date;
  not_after: Date;
  revoked_at: Date | null;
  revocation_reason: RevocationReason | null;
}

function registered(row: CertificateRow): RegisteredCertificate {
  return {
    serial: row.serial,
    issuer: row.issuer,
    subject: row.subject,
    notBefore: new Date(row.not_before),
    notAfter: new Date(row.not_after),
    revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
    revocationReason: row.revocation_reason,
  };
}

/** Node prints names one attribute per line; the register keeps them on one. */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}
