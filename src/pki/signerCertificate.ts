import type { Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { parseCertificate } from './certificateFields.ts';
import { recordCertificate, serialOf } from './certificateRegistry.ts';
import type { CertificateAuthority } from './devCa.ts';
import { issueCertificate, KeyPurpose, KeyUsage } from './issue.ts';

/*
 * Per-signer certificates: each signer's signature is made with a one-time key certified for
 * that person and that envelope only, for a day.
 *
 * Subject:  OU=Signet envelope <envelope id>, CN=<signer name>, emailAddress=<email>
 *           The envelope id sits in OU (not in serialNumber, which X.520 reserves for
 *           identifying the person) so that anyone reading the certificate sees which
 *           transaction it was made for.
 * SAN:      rfc822Name <email> (RFC 5280 §4.2.1.6; where mail clients and pdfsig look).
 * Usage:    digitalSignature + nonRepudiation, extendedKeyUsage emailProtection — NSS (pdfsig,
 *           Firefox, LibreOffice) validates document signers as e-mail signers and rejects one
 *           without it.
 */

/** notBefore lies this far in the past, absorbing clock skew between us and a validator. */
export const SIGNER_CERTIFICATE_BACKDATE_MS = 5 * 60 * 1000;
/** A signer certificate serves one signature made right away; a day covers retries and slow queues. */
export const SIGNER_CERTIFICATE_VALIDITY_MS = 24 * 60 * 60 * 1000;

/** X.520 upper bounds (RFC 5280 Appendix A.1): ub-common-name 64, ub-organizational-unit-name 64. */
const MAX_COMMON_NAME = 64;

export interface SignerCertificateRequest {
  name: string;
  email: string;
  envelopeId: string;
  /** DER SubjectPublicKeyInfo of the signer's (one-time) key. */
  publicKey: Uint8Array;
}

export interface IssuedCertificate {
  /** DER of the signer's certificate. */
  certificate: Uint8Array;
  /** DER of the issuers, nearest first, up to and including the root. */
  chain: Uint8Array[];
  /** Lowercase hex, as `signet revoke-certificate` takes it. */
  serialNumber: string;
}

/** Issues and records (in the certificate register, inside `sql`'s transaction if it is one) a signer certificate. */
export async function issueSignerCertificate(
  ca: CertificateAuthority,
  request: SignerCertificateRequest,
  register: Sql,
  now: Date = new Date(),
): Promise<IssuedCertificate> {
  const email = request.email.trim();
  // emailAddress is an IA5String and rfc822Name ASCII; internationalised addresses need
  // SmtpUTF8Mailbox (RFC 8398), which readers barely support yet.
  if (!/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(email)) {
    throw new SignetError('SIGNER_EMAIL_UNSUPPORTED', 'a signer certificate needs an ASCII e-mail address');
  }
  const commonName = truncate(request.name.trim() || email, MAX_COMMON_NAME);
  const certificate = await issueCertificate(
    {
      subject: {
        organizationalUnit: truncate(`Signet envelope ${request.envelopeId}`, MAX_COMMON_NAME),
        commonName,
        emailAddress: email,
      },
      subjectPublicKey: request.publicKey,
      notBefore: new Date(now.getTime() - SIGNER_CERTIFICATE_BACKDATE_MS),
      notAfter: new Date(now.getTime() + SIGNER_CERTIFICATE_VALIDITY_MS),
      keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
      extendedKeyUsage: { purposes: [KeyPurpose.emailProtection], critical: false },
      emailAddresses: [email],
      revocation: {
        ocspUrl: ca.urls.ocsp,
        caIssuersUrl: ca.urls.issuingCertificate,
        crlUrl: ca.urls.issuingCrl,
      },
    },
    { certificate: ca.certificate, key: ca.key },
  );
  await recordCertificate(register, certificate, ca.certificate);
  const serialNumber = serialOf(parseCertificate(certificate).serialNumber);
  return { certificate, chain: [ca.certificate, ...ca.chain], serialNumber };
}

/** Cuts at a code point boundary, never inside a surrogate pair. */
function truncate(text: string, max: number): string {
  return Array.from(text).slice(0, max).join('');
}
