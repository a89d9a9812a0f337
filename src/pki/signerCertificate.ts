import type { Database, Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { parseCertificate } from './certificateFields.ts';
import { recordCertificate, revokeCertificate, serialOf } from './certificateRegistry.ts';
import type { CertificateAuthority } from './devCa.ts';
import { issueCertificate, KeyPurpose, KeyUsage, MAX_EXPLICIT_TEXT } from './issue.ts';

/*
 * Per-signer certificates: each signer's signature is made with a one-time key certified for
 * that person and that envelope only (README "Certificate profiles").
 *
 * Subject:  CN=<signer name>, nothing else. The CA's organisation and country stay in the
 *           issuer name: in the subject they would say the signer belongs to the operator
 *           (ETSI EN 319 412-2 reads a natural person's organizationName as their own organisation).
 * SAN:      rfc822Name <email> (RFC 5280 §4.2.1.6 puts e-mail addresses there, not in the
 *           subject's deprecated PKCS#9 emailAddress).
 * Policies: the operator's PKI_POLICY_OID with a userNotice "Signet envelope <id>", so anyone
 *           reading the certificate sees which transaction it was made for (X.520 reserves
 *           serialNumber for identifying the person, and OU names a unit of an organisation).
 * Usage:    keyUsage digitalSignature + nonRepudiation; extendedKeyUsage id-kp-documentSigning
 *           (RFC 9336) and emailProtection — NSS (pdfsig, Firefox, LibreOffice) validates a
 *           document signer as an e-mail signer and rejects an extendedKeyUsage without
 *           emailProtection (signerCertificate.test.ts shows it with pdfsig).
 * Validity: SIGNER_CERT_VALIDITY_DAYS (default 365) from issuance, within the issuing CA's:
 *           a validator that has only the file and no network still finds the certificate
 *           within its validity long after the signature. When the policy wants a certificate
 *           retired once it served, SIGNER_CERT_REVOKE_AFTER_USE revokes it (revokeAfterUse).
 */

/**
 * notBefore lies this far in the past, absorbing clock skew between us and a validator, and
 * the few moments between the signer finishing (the signature's /M) and the issuance.
 */
export const SIGNER_CERTIFICATE_BACKDATE_MS = 5 * 60 * 1000;

const DAY_MS = 86_400_000;

/** X.520 upper bound (RFC 5280 Appendix A.1): ub-common-name 64. */
const MAX_COMMON_NAME = 64;

export interface SignerCertificateRequest {
  name: string;
  email: string;
  envelopeId: string;
  /** DER SubjectPublicKeyInfo of the signer's (one-time) key. */
  publicKey: Uint8Array;
}

/** How signer certificates are made: the operator's policy OID and their lifetime. */
export interface SignerCertificateProfile {
  policyOid: string;
  validityDays: number;
}

export interface IssuedCertificate {
  /** DER of the signer's certificate. */
  certificate: Uint8Array;
  /** DER of the issuers, nearest first, up to and including the root. */
  chain: Uint8Array[];
  /** Lowercase hex, as `signet revoke-certificate` takes it. */
  serialNumber: string;
}

/** The text of the userNotice that names the envelope (at most 200 characters, RFC 5280 §4.2.1.4). */
export function envelopeNotice(envelopeId: string): string {
  return truncate(`Signet envelope ${envelopeId}`, MAX_EXPLICIT_TEXT);
}

/** Issues and records (in the certificate register, inside `sql`'s transaction if it is one) a signer certificate. */
export async function issueSignerCertificate(
  ca: CertificateAuthority,
  request: SignerCertificateRequest,
  register: Sql,
  profile: SignerCertificateProfile,
  now: Date = new Date(),
): Promise<IssuedCertificate> {
  const email = request.email.trim();
  // rfc822Name is ASCII; internationalised addresses need SmtpUTF8Mailbox (RFC 8398), which
  // readers barely support yet.
  if (!/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(email)) {
    throw new SignetError('SIGNER_EMAIL_UNSUPPORTED', 'a signer certificate needs an ASCII e-mail address');
  }
  const commonName = truncate(request.name.trim() || email, MAX_COMMON_NAME);
  const issuerNotAfter = parseCertificate(ca.certificate).notAfter.value;
  const notAfter = new Date(
    Math.min(now.getTime() + profile.validityDays * DAY_MS, issuerNotAfter.getTime()),
  );
  const certificate = await issueCertificate(
    {
      subject: { commonName },
      subjectPublicKey: request.publicKey,
      notBefore: new Date(now.getTime() - SIGNER_CERTIFICATE_BACKDATE_MS),
      notAfter,
      keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
      extendedKeyUsage: {
        purposes: [KeyPurpose.documentSigning, KeyPurpose.emailProtection],
        critical: false,
      },
      emailAddresses: [email],
      revocation: {
        ocspUrl: ca.urls.ocsp,
        caIssuersUrl: ca.urls.issuingCertificate,
        crlUrl: ca.urls.issuingCrl,
      },
      policy: { oid: profile.policyOid, explicitText: envelopeNotice(request.envelopeId) },
    },
    { certificate: ca.certificate, key: ca.key },
  );
  await recordCertificate(register, certificate, ca.certificate);
  const serialNumber = serialOf(parseCertificate(certificate).serialNumber);
  return { certificate, chain: [ca.certificate, ...ca.chain], serialNumber };
}

/**
 * Revokes a signer certificate whose one signature is made (SIGNER_CERT_REVOKE_AFTER_USE), with
 * reason cessationOfOperation (RFC 5280 §5.3.1): the key was destroyed, nothing was compromised.
 *
 * Call it only once the file holds the signature and, at B-LT and above, the validation data
 * that shows the certificate good: a validator then finds a revocation after the signature's
 * time-stamp, which leaves the signature valid (ETSI EN 319 102-1, past signature validation).
 * At B-B nothing proves the signature came before the revocation, so a B-B signature's
 * certificate is not revoked after use (see services.ts `signerCertificateUsed`). The revocation time is
 * the next whole second, so it always lies after a time-stamp made in the current one (CRLs and
 * OCSP carry whole seconds, and a revocation at the signing time would count against it).
 *
 * Running it again for the same certificate (a retried job) changes nothing.
 */
export async function revokeAfterUse(
  db: Database,
  serialNumber: string,
  now: Date = new Date(),
): Promise<void> {
  const nextSecond = new Date(Math.floor(now.getTime() / 1000) * 1000 + 1000);
  try {
    await revokeCertificate(db, serialNumber, 'cessationOfOperation', nextSecond);
  } catch (error) {
    if (error instanceof SignetError && error.code === 'CERTIFICATE_ALREADY_REVOKED') return;
    throw error;
  }
}

/** Cuts at a code point boundary, never inside a surrogate pair. */
function truncate(text: string, max: number): string {
  return Array.from(text).slice(0, max).join('');
}
