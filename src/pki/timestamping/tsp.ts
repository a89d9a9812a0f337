import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { derOf, extendedKeyUsageOf, sameBytes } from '../certificateFields.ts';
import { KeyPurpose } from '../issue.ts';

/*
 * RFC 3161 pieces shared by the dev TSA (which builds tokens) and the TSA client (which checks
 * every token before accepting it, whoever made it).
 */

export const TSP_OID = {
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/** PKIStatus, RFC 3161 §2.4.2. */
export const PkiStatus = { granted: 0, grantedWithMods: 1, rejection: 2, waiting: 3 } as const;

/** PKIFailureInfo bit numbers, RFC 3161 §2.4.2. */
export const PkiFailure = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;

export const DIGESTS: Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512'> = {
  [TSP_OID.sha1]: 'sha1',
  [TSP_OID.sha256]: 'sha256',
  [TSP_OID.sha384]: 'sha384',
  [TSP_OID.sha512]: 'sha512',
};

export class TimeStampRejected extends Error {}

export interface VerifiedTimeStamp {
  /** DER ContentInfo (the TimeStampToken), exactly as the TSA sent it. */
  token: Uint8Array;
  genTime: Date;
  tstInfo: pkijs.TSTInfo;
  signerCertificate: pkijs.Certificate;
}

/**
 * Checks a TimeStampResp against the request that asked for it (RFC 3161 §2.4.2): status
 * granted, the imprint and nonce we sent, a CMS signature that verifies with the embedded
 * signer certificate over the signed attributes, messageDigest over the TSTInfo, an ESS
 * signing-certificate(-v2) naming that certificate, and a certificate fit for time-stamping
 * (§2.3). Trust in the TSA's chain is the validator's business, not this function's.
 */
export function verifyTimeStampResponse(
  responseDer: Uint8Array,
  expected: { imprint: Uint8Array; nonce: bigint },
): VerifiedTimeStamp {
  const response = parse(() => pkijs.TimeStampResp.fromBER(responseDer), 'not a TimeStampResp');
  const status = response.status.status;
  if (status !== PkiStatus.granted && status !== PkiStatus.grantedWithMods) {
    const text = response.status.statusStrings?.map((s) => s.valueBlock.value).join('; ');
    throw new TimeStampRejected(`TSA answered status ${status}${text ? ` (${text})` : ''}`);
  }
  const contentInfo = response.timeStampToken;
  if (!contentInfo || contentInfo.contentType !== TSP_OID.signedData) {
    throw new TimeStampRejected('granted response without a SignedData time-stamp token');
  }
  const signedData = parse(
    () => new pkijs.SignedData({ schema: contentInfo.content }),
    'malformed SignedData',
  );
  const eContent = signedData.encapContentInfo.eContent;
  if (signedData.encapContentInfo.eContentType !== TSP_OID.tstInfo || !eContent) {
    throw new TimeStampRejected('the token does not encapsulate a TSTInfo');
  }
  const tstInfoDer = new Uint8Array(eContent.getValue());
  const tstInfo = parse(() => pkijs.TSTInfo.fromBER(tstInfoDer), 'malformed TSTInfo');
  const imprint = tstInfo.messageImprint;
  if (imprint.hashAlgorithm.algorithmId !== TSP_OID.sha256) {
    throw new TimeStampRejected(`the token's imprint uses ${imprint.hashAlgorithm.algorithmId}, not SHA-256`);
  }
  if (!sameBytes(imprint.hashedMessage.valueBlock.valueHexView, expected.imprint)) {
    throw new TimeStampRejected('the token time-stamps a different imprint than the one sent');
  }
  if (!tstInfo.nonce || tstInfo.nonce.toBigInt() !== expected.nonce) {
    throw new TimeStampRejected('the token does not carry the nonce sent');
  }
  const [signerInfo, ...more] = signedData.signerInfos;
  if (!signerInfo || more.length > 0)
    throw new TimeStampRejected('a time-stamp token has exactly one signer');
  const signerCertificate = findSignerCertificate(signedData, signerInfo);
  verifySignerInfo(signerInfo, tstInfoDer, signerCertificate);
  assertTimeStampingCertificate(signerCertificate);
  return {
    token: new Uint8Array(contentInfo.toSchema().toBER()),
    genTime: tstInfo.genTime,
    tstInfo,
    signerCertificate,
  };
}

function findSignerCertificate(
  signedData: pkijs.SignedData,
  signerInfo: pkijs.SignerInfo,
): pkijs.Certificate {
  const certificates = (signedData.certificates ?? []).filter(
    (c): c is pkijs.Certificate => c instanceof pkijs.Certificate,
  );
  const sid = signerInfo.sid;
  const match = certificates.find((certificate) => {
    if (sid instanceof pkijs.IssuerAndSerialNumber) {
      return (
        sameBytes(derOf(certificate.issuer), derOf(sid.issuer)) &&
        sameBytes(certificate.serialNumber.toBER(), sid.serialNumber.toBER())
      );
    }
    // subjectKeyIdentifier [0]: compare with the certificate's SKI extension.
    const ski = certificate.extensions?.find((e) => e.extnID === '2.5.29.14');
    const keyId = ski ? asn1js.fromBER(ski.extnValue.valueBlock.valueHexView).result : undefined;
    return (
      keyId instanceof asn1js.OctetString &&
      sid instanceof asn1js.BaseBlock &&
      sameBytes(keyId.valueBlock.valueHexView, (sid as asn1js.Primitive).valueBlock.valueHexView)
    );
  });
  if (!match) throw new TimeStampRejected('the token does not embed its signer certificate');
  return match;
}

function verifySignerInfo(
  signerInfo: pkijs.SignerInfo,
  content: Uint8Array,
  certificate: pkijs.Certificate,
): void {
  const digestName = DIGESTS[signerInfo.digestAlgorithm.algorithmId];
  if (!digestName || digestName === 'sha1') {
    throw new TimeStampRejected(`unsupported signer digest ${signerInfo.digestAlgorithm.algorithmId}`);
  }
  const attributes = signerInfo.signedAttrs;
  if (!attributes)
    throw new TimeStampRejected('the token has no signed attributes (RFC 3161 §2.4.2 needs them)');
  const attribute = (type: string) => attributes.attributes.find((a) => a.type === type)?.values[0];
  const contentType = attribute(TSP_OID.contentType);
  if (
    !(contentType instanceof asn1js.ObjectIdentifier) ||
    contentType.valueBlock.toString() !== TSP_OID.tstInfo
  ) {
    throw new TimeStampRejected('the content-type attribute is not id-ct-TSTInfo');
  }
  const messageDigest = attribute(TSP_OID.messageDigest);
  const digest = createHash(digestName).update(content).digest();
  if (
    !(messageDigest instanceof asn1js.OctetString) ||
    !sameBytes(messageDigest.valueBlock.valueHexView, digest)
  ) {
    throw new TimeStampRejected('the message-digest attribute does not match the TSTInfo');
  }
  assertSigningCertificateAttribute(attribute, certificate);

  // RFC 5652 §5.4: the signature is over the DER SET OF attributes (tag 0x31), as received.
  const signed = new Uint8Array(attributes.encodedValue);
  signed[0] = 0x31;
  const publicKey = createPublicKey({
    key: Buffer.from(derOf(certificate.subjectPublicKeyInfo)),
    format: 'der',
    type: 'spki',
  });
  const signature = signerInfo.signature.valueBlock.valueHexView;
  if (!verifySignature(digestName, signed, publicKey, signature)) {
    throw new TimeStampRejected('the token signature does not verify with its signer certificate');
  }
}

/** RFC 3161 §2.4.1 / RFC 5816: ESSCertID(v2) binds the signer certificate; the first entry must name it. */
function assertSigningCertificateAttribute(
  attribute: (type: string) => asn1js.AsnType | undefined,
  certificate: pkijs.Certificate,
): void {
  const v2 = attribute(TSP_OID.signingCertificateV2);
  const v1 = attribute(TSP_OID.signingCertificate);
  const value = v2 ?? v1;
  if (!(value instanceof asn1js.Sequence))
    throw new TimeStampRejected('no ESS signing-certificate attribute');
  const certs = value.valueBlock.value[0];
  const first = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence))
    throw new TimeStampRejected('malformed ESS signing-certificate attribute');
  const fields = first.valueBlock.value;
  let hashName: 'sha1' | 'sha256' | 'sha384' | 'sha512' = v2 ? 'sha256' : 'sha1';
  let hashField = fields[0];
  if (v2 && fields[0] instanceof asn1js.Sequence) {
    const algorithm = new pkijs.AlgorithmIdentifier({ schema: fields[0] });
    const named = DIGESTS[algorithm.algorithmId];
    if (!named) throw new TimeStampRejected(`unsupported ESSCertIDv2 hash ${algorithm.algorithmId}`);
    hashName = named;
    hashField = fields[1];
  }
  const expected = createHash(hashName).update(derOf(certificate)).digest();
  if (!(hashField instanceof asn1js.OctetString) || !sameBytes(hashField.valueBlock.valueHexView, expected)) {
    throw new TimeStampRejected('the ESS signing-certificate attribute names another certificate');
  }
}

/** RFC 3161 §2.3: exactly one extendedKeyUsage, id-kp-timeStamping, marked critical. */
function assertTimeStampingCertificate(certificate: pkijs.Certificate): void {
  const eku = extendedKeyUsageOf(certificate);
  if (!eku?.critical || eku.purposes.length !== 1 || eku.purposes[0] !== KeyPurpose.timeStamping) {
    throw new TimeStampRejected(
      'the signer certificate lacks the critical id-kp-timeStamping extended key usage',
    );
  }
}

function parse<T>(work: () => T, what: string): T {
  try {
    return work();
  } catch {
    throw new TimeStampRejected(what);
  }
}
