import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signatureAlgorithmIdentifier } from './algorithms.ts';
import { parseCertificate, wholeSeconds } from './certificateFields.ts';
import { REVOCATION_REASONS, type RevokedEntry } from './certificateRegistry.ts';
import {
  authorityKeyIdentifierExtension,
  certificateTime,
  extension,
  subjectKeyIdentifierOf,
} from './issue.ts';
import type { SigningKey } from './signer.ts';

/*
 * X.509 v2 CRLs (RFC 5280 §5), signed by the CA whose certificates they list: the issuing CA
 * lists revoked end-entity certificates, the root lists revoked CA certificates (normally none).
 */

const OID = {
  crlNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
} as const;

/** How long a CRL may be relied on (nextUpdate − thisUpdate); clients cache it that long. */
export const CRL_VALIDITY_MS = 60 * 60 * 1000;

export interface CrlIssuer {
  certificate: Uint8Array;
  key: SigningKey;
}

export async function issueCrl(
  issuer: CrlIssuer,
  revoked: RevokedEntry[],
  crlNumber: bigint,
  now: Date = new Date(),
  /** nextUpdate − thisUpdate: an offline root's CRL is signed rarely, so it lasts months. */
  validityMs: number = CRL_VALIDITY_MS,
): Promise<Uint8Array> {
  const issuerCertificate = parseCertificate(issuer.certificate);
  const thisUpdate = wholeSeconds(now);
  const crl = new pkijs.CertificateRevocationList({
    version: 1, // v2, required with extensions (§5.1.2.1)
    signature: signatureAlgorithmIdentifier(issuer.key.signatureAlgorithm),
    signatureAlgorithm: signatureAlgorithmIdentifier(issuer.key.signatureAlgorithm),
    // §5.1.2.3: the issuer name exactly as in the CA certificate's subject.
    issuer: issuerCertificate.subject,
    thisUpdate: certificateTime(thisUpdate),
    nextUpdate: certificateTime(new Date(thisUpdate.getTime() + validityMs)),
    crlExtensions: new pkijs.Extensions({
      extensions: [
        // §5.2.1 and §5.2.3: both required in conforming CRLs.
        authorityKeyIdentifierExtension(subjectKeyIdentifierOf(issuerCertificate)),
        extension(OID.crlNumber, false, integerOf(crlNumber)),
      ],
    }),
  });
  // §5.1.2.6: when nothing is revoked the list is absent, not empty.
  if (revoked.length > 0) crl.revokedCertificates = revoked.map(revokedCertificate);
  // encodeTBS is protected in pkijs' typings; the TBS is what toSchema(true) wraps first.
  const tbs = new Uint8Array((crl as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER());
  crl.tbsView = tbs;
  crl.signatureValue = new asn1js.BitString({ valueHex: await issuer.key.sign(tbs) });
  return new Uint8Array(crl.toSchema().toBER());
}

function revokedCertificate(entry: RevokedEntry): pkijs.RevokedCertificate {
  // §5.3.1: the reasonCode entry extension is omitted for "unspecified".
  const extensions =
    entry.reason === 'unspecified'
      ? undefined
      : new pkijs.Extensions({
          extensions: [
            extension(
              OID.reasonCode,
              false,
              new asn1js.Enumerated({ value: REVOCATION_REASONS[entry.reason] }),
            ),
          ],
        });
  return new pkijs.RevokedCertificate({
    userCertificate: integerOf(BigInt(`0x${entry.serial}`)),
    revocationDate: certificateTime(entry.revokedAt),
    ...(extensions ? { crlEntryExtensions: extensions } : {}),
  });
}

/** A non-negative INTEGER in minimal two's complement (X.690 §8.3.2). */
export function integerOf(value: bigint): asn1js.Integer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return new asn1js.Integer({ valueHex: Buffer.from(hex, 'hex') });
}
