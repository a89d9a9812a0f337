import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { sha256AlgorithmIdentifier, signatureAlgorithmIdentifier } from '../algorithms.ts';
import { isSelfIssued, parseCertificate, wholeSeconds } from '../certificateFields.ts';
import { randomSerialNumber } from '../issue.ts';
import type { SealingIdentity } from '../signer.ts';
import { PkiFailure, PkiStatus, TSP_OID } from './tsp.ts';

/*
 * Signet's built-in time-stamping authority (RFC 3161), for development and for installations
 * that name no external TSA. Tokens follow RFC 5816 / ETSI EN 319 422: SHA-256 imprints only,
 * ESS signing-certificate-v2 as a signed attribute, no signing-time attribute (genTime is the
 * time), a random 128-bit serial number.
 */

/**
 * The dev TSA's policy (TSTInfo.policy, RFC 3161 §2.4.2). Signet's private OID arc is the UUID
 * OID 2.25.121976768450177053882281100737692893257 (ITU-T X.667 §6.3, no registration needed);
 * `.1` under it names "Signet development time-stamping policy, version 1".
 */
export const SIGNET_TSA_POLICY_OID = '2.25.121976768450177053882281100737692893257.1';

export interface DevTsaOptions {
  identity: SealingIdentity;
  now?: () => Date;
}

export interface TimeStampAuthority {
  /** DER TimeStampReq in, DER TimeStampResp out; a bad request is answered with a rejection, never thrown. */
  respond(request: Uint8Array): Promise<Uint8Array>;
}

export function createDevTsa(options: DevTsaOptions): TimeStampAuthority {
  const certificate = parseCertificate(options.identity.certificate);
  const chain = options.identity.chain.map(parseCertificate).filter((c) => !isSelfIssued(c));
  const signingCertificateV2 = signingCertificateV2Attribute(options.identity.certificate, certificate);
  const now = options.now ?? (() => new Date());

  return {
    async respond(requestDer) {
      let request: pkijs.TimeStampReq;
      try {
        request = pkijs.TimeStampReq.fromBER(requestDer);
      } catch {
        return rejection(PkiFailure.badDataFormat, 'not a DER TimeStampReq');
      }
      const imprint = request.messageImprint;
      // RFC 5816 / ETSI TS 119 312: SHA-1 imprints are no longer acceptable; we take SHA-256 only.
      if (imprint.hashAlgorithm.algorithmId !== TSP_OID.sha256) {
        return rejection(PkiFailure.badAlg, 'only SHA-256 message imprints are accepted');
      }
      if (imprint.hashedMessage.valueBlock.valueHexView.byteLength !== 32) {
        return rejection(PkiFailure.badDataFormat, 'a SHA-256 imprint is 32 octets');
      }
      if (request.reqPolicy && request.reqPolicy !== SIGNET_TSA_POLICY_OID) {
        return rejection(
          PkiFailure.unacceptedPolicy,
          `this TSA signs under policy ${SIGNET_TSA_POLICY_OID} only`,
        );
      }
      if (request.extensions && request.extensions.length > 0) {
        return rejection(PkiFailure.unacceptedExtension, 'no request extensions are supported');
      }
      const tstInfo = new pkijs.TSTInfo({
        version: 1,
        policy: SIGNET_TSA_POLICY_OID,
        messageImprint: new pkijs.MessageImprint({
          hashAlgorithm: sha256AlgorithmIdentifier(),
          hashedMessage: new asn1js.OctetString({ valueHex: imprint.hashedMessage.valueBlock.valueHexView }),
        }),
        serialNumber: new asn1js.Integer({ valueHex: randomSerialNumber() }),
        genTime: wholeSeconds(now()),
        // Accuracy ±1 s: genTime is truncated to the second.
        accuracy: new pkijs.Accuracy({ seconds: 1 }),
        ...(request.nonce ? { nonce: request.nonce } : {}),
      });
      const token = await signToken(tstInfo, options.identity, signingCertificateV2, [
        ...(request.certReq ? [certificate, ...chain] : []),
      ]);
      return new Uint8Array(
        new pkijs.TimeStampResp({
          status: new pkijs.PKIStatusInfo({ status: PkiStatus.granted }),
          timeStampToken: token,
        })
          .toSchema()
          .toBER(),
      );
    },
  };
}

/** RFC 3161 §2.4.2: a SignedData over the DER TSTInfo, eContentType id-ct-TSTInfo. */
async function signToken(
  tstInfo: pkijs.TSTInfo,
  identity: SealingIdentity,
  signingCertificateV2: pkijs.Attribute,
  certificates: pkijs.Certificate[],
): Promise<pkijs.ContentInfo> {
  const tstInfoDer = new Uint8Array(tstInfo.toSchema().toBER());
  const certificate = parseCertificate(identity.certificate);
  const attributes = derSorted([
    new pkijs.Attribute({
      type: TSP_OID.contentType,
      values: [new asn1js.ObjectIdentifier({ value: TSP_OID.tstInfo })],
    }),
    new pkijs.Attribute({
      type: TSP_OID.messageDigest,
      values: [new asn1js.OctetString({ valueHex: createHash('sha256').update(tstInfoDer).digest() })],
    }),
    signingCertificateV2,
  ]);
  // RFC 5652 §5.4: the signature covers the attributes as a DER SET OF (tag 0x31).
  const toBeSigned = new Uint8Array(new asn1js.Set({ value: attributes.map((a) => a.toSchema()) }).toBER());
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({
      issuer: certificate.issuer,
      serialNumber: certificate.serialNumber,
    }),
    digestAlgorithm: sha256AlgorithmIdentifier(),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }),
    signatureAlgorithm: signatureAlgorithmIdentifier(identity.signatureAlgorithm),
    signature: new asn1js.OctetString({ valueHex: await identity.sign(toBeSigned) }),
  });
  const encapContentInfo = new pkijs.EncapsulatedContentInfo({
    eContentType: TSP_OID.tstInfo,
    eContent: new asn1js.OctetString({ valueHex: tstInfoDer }),
  });
  // pkijs's constructor turns eContent into a constructed (BER) OCTET STRING; put the plain
  // DER one back, as OpenSSL's and commercial TSAs write it, so strict DER parsers read it too.
  encapContentInfo.eContent = new asn1js.OctetString({ valueHex: tstInfoDer });
  const signedData = new pkijs.SignedData({
    version: 3, // RFC 5652 §5.1: eContentType other than id-data
    digestAlgorithms: [sha256AlgorithmIdentifier()],
    encapContentInfo,
    ...(certificates.length > 0 ? { certificates } : {}),
    signerInfos: [signerInfo],
  });
  return new pkijs.ContentInfo({ contentType: TSP_OID.signedData, content: signedData.toSchema(true) });
}

/**
 * RFC 5035 §5.4.1 (required for TSA tokens by RFC 5816 §2.2.1): ESSCertIDv2 with the SHA-256
 * hash (the DEFAULT, so hashAlgorithm is omitted, X.690 §11.5) and issuerSerial.
 */
function signingCertificateV2Attribute(der: Uint8Array, certificate: pkijs.Certificate): pkijs.Attribute {
  const issuerSerial = new pkijs.IssuerSerial({
    issuer: new pkijs.GeneralNames({
      names: [new pkijs.GeneralName({ type: 4, value: certificate.issuer })],
    }),
    serialNumber: certificate.serialNumber,
  });
  const essCertIdV2 = new asn1js.Sequence({
    value: [
      new asn1js.OctetString({ valueHex: createHash('sha256').update(der).digest() }),
      issuerSerial.toSchema(),
    ],
  });
  return new pkijs.Attribute({
    type: TSP_OID.signingCertificateV2,
    values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] })],
  });
}

/** X.690 §11.6: DER orders SET OF members by their encodings. */
function derSorted(attributes: pkijs.Attribute[]): pkijs.Attribute[] {
  return attributes
    .map((attribute) => ({ attribute, der: Buffer.from(attribute.toSchema().toBER()) }))
    .sort((a, b) => Buffer.compare(a.der, b.der))
    .map(({ attribute }) => attribute);
}

function rejection(failure: number, text: string): Uint8Array {
  return new Uint8Array(
    new pkijs.TimeStampResp({
      status: new pkijs.PKIStatusInfo({
        status: PkiStatus.rejection,
        statusStrings: [new asn1js.Utf8String({ value: text })],
        failInfo: namedBit(failure),
      }),
    })
      .toSchema()
      .toBER(),
  );
}

/** A DER named BIT STRING with one bit set (X.690 §11.2.2: no trailing zero bits). */
function namedBit(bit: number): asn1js.BitString {
  const bytes = new Uint8Array(Math.floor(bit / 8) + 1);
  bytes[bytes.length - 1] = 0x80 >> (bit % 8);
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (bit % 8) });
}
