import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signatureAlgorithmIdentifier } from './algorithms.ts';
import { derOf, parseCertificate, sameBytes, wholeSeconds } from './certificateFields.ts';
import { type CertificateStatus, keySha1Of, REVOCATION_REASONS, serialOf } from './certificateRegistry.ts';
import type { SealingIdentity } from './signer.ts';

/*
 * OCSP responder (RFC 6960) for certificates of the issuing CA, signed by a delegated responder
 * certificate that the issuing CA certified (id-kp-OCSPSigning, §4.2.2.2). Status comes from
 * the certificate register. It cannot speak for the issuing CA itself (the root certified it,
 * not the issuing CA): that status is in the root's CRL, and such requests are answered
 * "unauthorized" (§2.3).
 */

export const OCSP_OID = {
  basic: '1.3.6.1.5.5.7.48.1.1',
  nonce: '1.3.6.1.5.5.7.48.1.2',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/** OCSPResponseStatus, RFC 6960 §4.2.1. */
export const OcspResponseStatus = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

export const CERT_ID_HASHES: Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512'> = {
  [OCSP_OID.sha1]: 'sha1',
  [OCSP_OID.sha256]: 'sha256',
  [OCSP_OID.sha384]: 'sha384',
  [OCSP_OID.sha512]: 'sha512',
};

/** How long a "good" answer may be relied on (nextUpdate − thisUpdate). */
export const OCSP_VALIDITY_MS = 60 * 60 * 1000;
/** RFC 8954 §2.1: a nonce is 1 to 32 octets. */
const MAX_NONCE_OCTETS = 32;

export interface OcspResponderOptions {
  /** DER of the CA whose certificates this responder speaks for. */
  issuer: Uint8Array;
  /** The delegated responder (its certificate must be issued by `issuer`). */
  responder: SealingIdentity;
  status(issuerKeySha1: string, serial: string): Promise<CertificateStatus>;
  now?: () => Date;
}

export interface OcspResponder {
  /** DER OCSPRequest in, DER OCSPResponse out; never throws for a bad request (it is answered). */
  respond(request: Uint8Array): Promise<Uint8Array>;
}

export function createOcspResponder(options: OcspResponderOptions): OcspResponder {
  const issuer = parseCertificate(options.issuer);
  const issuerName = derOf(issuer.subject);
  const issuerKey = issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  const issuerKeySha1 = keySha1Of(issuer);
  const responderCertificate = parseCertificate(options.responder.certificate);
  const responderKeyHash = createHash('sha1')
    .update(responderCertificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
    .digest();
  const now = options.now ?? (() => new Date());

  const isOurIssuer = (certId: pkijs.CertID): boolean => {
    const hash = CERT_ID_HASHES[certId.hashAlgorithm.algorithmId];
    if (!hash) return false;
    const digest = (data: Uint8Array) => createHash(hash).update(data).digest();
    return (
      sameBytes(certId.issuerNameHash.valueBlock.valueHexView, digest(issuerName)) &&
      sameBytes(certId.issuerKeyHash.valueBlock.valueHexView, digest(issuerKey))
    );
  };

  return {
    async respond(requestDer) {
      let request: pkijs.OCSPRequest;
      try {
        request = pkijs.OCSPRequest.fromBER(requestDer);
      } catch {
        return statusOnly(OcspResponseStatus.malformedRequest);
      }
      const items = request.tbsRequest.requestList;
      const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === OCSP_OID.nonce);
      if (items.length === 0 || (nonce && !isAcceptableNonce(nonce))) {
        return statusOnly(OcspResponseStatus.malformedRequest);
      }
      if (!items.some((item) => isOurIssuer(item.reqCert)))
        return statusOnly(OcspResponseStatus.unauthorized);
      try {
        const thisUpdate = wholeSeconds(now());
        const nextUpdate = new Date(thisUpdate.getTime() + OCSP_VALIDITY_MS);
        const responses: pkijs.SingleResponse[] = [];
        for (const item of items) {
          const status = isOurIssuer(item.reqCert)
            ? await options.status(issuerKeySha1, serialOf(item.reqCert.serialNumber))
            : ({ status: 'unknown' } as const);
          responses.push(
            new pkijs.SingleResponse({
              certID: item.reqCert,
              certStatus: certStatusOf(status),
              thisUpdate,
              nextUpdate,
            }),
          );
        }
        const tbsResponseData = new pkijs.ResponseData({
          responderID: new asn1js.OctetString({ valueHex: responderKeyHash }), // byKey, §4.2.2.3
          producedAt: thisUpdate,
          responses,
          ...(nonce ? { responseExtensions: [nonce] } : {}),
        });
        const tbs = new Uint8Array(tbsResponseData.toSchema(true).toBER());
        const basic = new pkijs.BasicOCSPResponse({
          tbsResponseData,
          signatureAlgorithm: signatureAlgorithmIdentifier(options.responder.signatureAlgorithm),
          signature: new asn1js.BitString({ valueHex: await options.responder.sign(tbs) }),
          certs: [responderCertificate],
        });
        // Keep the bytes that were signed: pkijs would otherwise re-encode them from its fields.
        basic.tbsResponseData.tbsView = tbs;
        return new Uint8Array(
          new pkijs.OCSPResponse({
            responseStatus: new asn1js.Enumerated({ value: OcspResponseStatus.successful }),
            responseBytes: new pkijs.ResponseBytes({
              responseType: OCSP_OID.basic,
              response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
            }),
          })
            .toSchema()
            .toBER(),
        );
      } catch {
        return statusOnly(OcspResponseStatus.internalError);
      }
    },
  };
}

function isAcceptableNonce(extension: pkijs.Extension): boolean {
  const value = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result;
  // The nonce is an OCTET STRING inside extnValue (RFC 8954 §2.1); some clients send raw bytes.
  const length =
    value instanceof asn1js.OctetString
      ? value.valueBlock.valueHexView.byteLength
      : extension.extnValue.valueBlock.valueHexView.byteLength;
  return length >= 1 && length <= MAX_NONCE_OCTETS;
}

/** CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL } */
function certStatusOf(status: CertificateStatus): asn1js.BaseBlock {
  if (status.status === 'good') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  if (status.status === 'unknown') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
  return new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 1 },
    value: [
      new asn1js.GeneralizedTime({ valueDate: wholeSeconds(status.revokedAt) }),
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [new asn1js.Enumerated({ value: REVOCATION_REASONS[status.reason] })],
      }),
    ],
  });
}

function statusOnly(status: number): Uint8Array {
  return new Uint8Array(
    new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) }).toSchema().toBER(),
  );
}
