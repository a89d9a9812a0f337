import { createHash, verify as verifySignature } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CMS_OID } from '../pdf/cms.ts';
import { type ParsedCertificate, parseCertificates } from './certificates.ts';
import { type Finding, finding } from './report.ts';

/*
 * Verification of a CMS SignedData (RFC 5652) with one signer: a PAdES signature's /Contents,
 * or an RFC 3161 time-stamp token (whose content is the TSTInfo). Pure: bytes in, facts out.
 */

export const DIGEST_ALGORITHMS: Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512'> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

type KeyKind = 'rsa' | 'ec' | 'rsa-pss';

/** Signature algorithms (RFC 3370, RFC 5754, RFC 5758): key kind and, where the OID fixes it, the hash. */
const SIGNATURE_ALGORITHMS: Record<string, { name: string; key: KeyKind; hash?: string }> = {
  '1.2.840.113549.1.1.1': { name: 'rsaEncryption', key: 'rsa' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', key: 'rsa', hash: 'sha1' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', key: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', key: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', key: 'rsa', hash: 'sha512' },
  '1.2.840.113549.1.1.10': { name: 'RSASSA-PSS', key: 'rsa-pss' },
  '1.2.840.10045.2.1': { name: 'ecdsa', key: 'ec' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', key: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', key: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', key: 'ec', hash: 'sha512' },
};

export const SIGNING_CERTIFICATE_V1 = '1.2.840.113549.1.9.16.2.12';
/** Adobe's revocation archival attribute (ISO 32000-1 §12.8.3.3.2), signed, holding CRLs and OCSP responses. */
export const ADOBE_REVOCATION_INFO_ARCHIVAL = '1.2.840.113583.1.1.8';

export interface CmsVerification {
  /** The certificates carried in the SignedData. */
  certificates: ParsedCertificate[];
  signerCertificate?: ParsedCertificate;
  digestAlgorithm?: string;
  signatureAlgorithm?: string;
  /** message-digest equals the hash of the content (or, without signed attributes, vacuously true). */
  digestMatches: boolean;
  signatureValid: boolean;
  /** The SignerInfo's signature value: what a signature time-stamp's imprint covers. */
  signatureValue: Uint8Array;
  /** Signed attributes by OID, each value as parsed ASN.1. */
  signedAttributes: Map<string, asn1js.AsnType[]>;
  unsignedAttributes: Map<string, asn1js.AsnType[]>;
  eContentType: string;
  /** Encapsulated content (a TSTInfo for time-stamp tokens); absent for detached signatures. */
  eContent?: Uint8Array;
  /** CRLs in the SignedData `crls` field (DER). */
  crls: Uint8Array[];
  findings: Finding[];
}

/**
 * Verifies the single SignerInfo of a SignedData.
 * @param detachedContent the signed content when it is not encapsulated (PDF byte ranges).
 * @param digestOf what the message-digest attribute must equal; defaults to the hash of the content.
 */
export function verifyCms(
  der: Uint8Array,
  detachedContent?: Uint8Array,
): CmsVerification | { malformed: Finding } {
  const parsed = parseSignedData(der);
  if ('malformed' in parsed) return parsed;
  const { signedData } = parsed;
  const findings: Finding[] = [];
  const certificates = parseCertificates(
    (signedData.certificates ?? [])
      .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
      .map((c) => new Uint8Array(c.toSchema().toBER())),
  );
  const crls = (signedData.crls ?? [])
    .filter((c): c is pkijs.CertificateRevocationList => c instanceof pkijs.CertificateRevocationList)
    .map((c) => new Uint8Array(c.toSchema().toBER()));
  const signerInfo = signedData.signerInfos[0];
  const eContentType = signedData.encapContentInfo.eContentType;
  // getValue(), not valueBlock.valueHexView: BER lets eContent be a constructed OCTET STRING
  // (pkijs itself writes it so), whose value is its segments joined; valueHexView is then empty.
  const eContent = signedData.encapContentInfo.eContent?.getValue();
  const base = {
    certificates,
    crls,
    eContentType,
    ...(eContent ? { eContent: new Uint8Array(eContent) } : {}),
  };
  if (!signerInfo) {
    return {
      ...base,
      digestMatches: false,
      signatureValid: false,
      signatureValue: new Uint8Array(),
      signedAttributes: new Map(),
      unsignedAttributes: new Map(),
      findings: [finding('CMS_NO_SIGNER', 'error', 'the CMS holds no SignerInfo')],
    };
  }
  if (signedData.signerInfos.length > 1) {
    findings.push(
      finding(
        'CMS_SEVERAL_SIGNERS',
        'warning',
        'the CMS holds several SignerInfos; only the first is checked',
      ),
    );
  }
  const signedAttributes = attributeMap(signerInfo.signedAttrs);
  const unsignedAttributes = attributeMap(signerInfo.unsignedAttrs);
  const signatureValue = new Uint8Array(signerInfo.signature.valueBlock.valueHexView);
  const signerCertificate = findSignerCertificate(signerInfo, certificates);
  if (!signerCertificate) {
    findings.push(
      finding('SIGNER_CERTIFICATE_MISSING', 'error', 'the CMS does not carry the signer certificate'),
    );
  }

  const digestAlgorithm = DIGEST_ALGORITHMS[signerInfo.digestAlgorithm.algorithmId];
  if (!digestAlgorithm) {
    findings.push(
      finding(
        'DIGEST_ALGORITHM_UNSUPPORTED',
        'error',
        `digest algorithm ${signerInfo.digestAlgorithm.algorithmId} is not supported`,
      ),
    );
  } else if (digestAlgorithm === 'sha1') {
    findings.push(
      finding(
        'DIGEST_ALGORITHM_WEAK',
        'warning',
        'the signature uses SHA-1, which ETSI TS 119 312 no longer accepts for new signatures',
      ),
    );
  }
  const content = detachedContent ?? base.eContent;
  const hasSignedAttributes = signerInfo.signedAttrs !== undefined;

  let digestMatches = false;
  if (digestAlgorithm && content) {
    const computed = createHash(digestAlgorithm).update(content).digest();
    if (hasSignedAttributes) {
      const messageDigest = single(signedAttributes, CMS_OID.messageDigest);
      if (!(messageDigest instanceof asn1js.OctetString)) {
        findings.push(
          finding(
            'MESSAGE_DIGEST_MISSING',
            'error',
            'the signed attributes lack message-digest (RFC 5652 §11.2)',
          ),
        );
      } else {
        digestMatches = computed.equals(Buffer.from(messageDigest.valueBlock.valueHexView));
        if (!digestMatches) {
          findings.push(
            finding(
              'DIGEST_MISMATCH',
              'error',
              'the signed bytes do not hash to the message-digest the signer signed: the document was changed',
            ),
          );
        }
      }
      const contentType = single(signedAttributes, CMS_OID.contentType);
      if (!(contentType instanceof asn1js.ObjectIdentifier)) {
        findings.push(
          finding(
            'CONTENT_TYPE_MISSING',
            'error',
            'the signed attributes lack content-type (RFC 5652 §11.1)',
          ),
        );
      } else if (contentType.valueBlock.toString() !== eContentType) {
        findings.push(
          finding(
            'CONTENT_TYPE_MISMATCH',
            'error',
            'the content-type attribute does not match the encapsulated content type',
          ),
        );
      }
    } else {
      digestMatches = true; // checked by the signature itself, over the content
    }
  } else if (!content) {
    findings.push(
      finding('CONTENT_MISSING', 'error', 'the CMS has no content to check the signature against'),
    );
  }

  const signed = hasSignedAttributes
    ? new Uint8Array(signerInfo.signedAttrs?.encodedValue ?? new ArrayBuffer(0))
    : content;
  const algorithm = SIGNATURE_ALGORITHMS[signerInfo.signatureAlgorithm.algorithmId];
  let signatureValid = false;
  if (!algorithm) {
    findings.push(
      finding(
        'SIGNATURE_ALGORITHM_UNSUPPORTED',
        'error',
        `signature algorithm ${signerInfo.signatureAlgorithm.algorithmId} is not supported`,
      ),
    );
  } else if (signerCertificate && signed && digestAlgorithm) {
    signatureValid = checkSignature(
      signed,
      signatureValue,
      signerCertificate,
      algorithm,
      digestAlgorithm,
      signerInfo.signatureAlgorithm,
    );
    if (!signatureValid) {
      findings.push(
        finding(
          'SIGNATURE_INVALID',
          'error',
          "the CMS signature does not verify with the signer certificate's public key",
        ),
      );
    }
  }
  return {
    ...base,
    ...(signerCertificate ? { signerCertificate } : {}),
    ...(digestAlgorithm ? { digestAlgorithm } : {}),
    ...(algorithm ? { signatureAlgorithm: algorithm.name } : {}),
    digestMatches,
    signatureValid,
    signatureValue,
    signedAttributes,
    unsignedAttributes,
    findings,
  };
}

function parseSignedData(der: Uint8Array): { signedData: pkijs.SignedData } | { malformed: Finding } {
  try {
    const asn1 = asn1js.fromBER(der);
    if (asn1.offset === -1) throw new Error('not BER');
    const contentInfo = new pkijs.ContentInfo({ schema: asn1.result });
    if (contentInfo.contentType !== CMS_OID.signedData) {
      return { malformed: finding('CMS_MALFORMED', 'error', 'the CMS is not a SignedData') };
    }
    return { signedData: new pkijs.SignedData({ schema: contentInfo.content }) };
  } catch {
    return { malformed: finding('CMS_MALFORMED', 'error', 'the CMS SignedData cannot be parsed') };
  }
}

function attributeMap(
  attributes: pkijs.SignedAndUnsignedAttributes | undefined,
): Map<string, asn1js.AsnType[]> {
  const map = new Map<string, asn1js.AsnType[]>();
  for (const attribute of attributes?.attributes ?? []) {
    map.set(attribute.type, [...(map.get(attribute.type) ?? []), ...(attribute.values as asn1js.AsnType[])]);
  }
  return map;
}

export function single(attributes: Map<string, asn1js.AsnType[]>, oid: string): asn1js.AsnType | undefined {
  const values = attributes.get(oid);
  return values?.length === 1 ? values[0] : undefined;
}

/** RFC 5652 §5.3: the signer is named by issuer and serial number, or by subject key identifier. */
function findSignerCertificate(
  signerInfo: pkijs.SignerInfo,
  certificates: ParsedCertificate[],
): ParsedCertificate | undefined {
  const sid = signerInfo.sid;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const issuer = Buffer.from(sid.issuer.toSchema().toBER());
    const serial = Buffer.from(sid.serialNumber.valueBlock.valueHexView);
    return certificates.find(
      (c) =>
        c.issuerDer.equals(issuer) &&
        Buffer.from(c.pkijs.serialNumber.valueBlock.valueHexView).equals(serial),
    );
  }
  if (sid instanceof asn1js.Constructed || sid instanceof asn1js.Primitive) {
    const keyId = Buffer.from((sid as asn1js.Primitive).valueBlock.valueHexView ?? new Uint8Array());
    return certificates.find((c) => {
      const extension = c.pkijs.extensions?.find((e) => e.extnID === '2.5.29.14');
      const parsed = extension?.parsedValue;
      return (
        parsed instanceof asn1js.OctetString && Buffer.from(parsed.valueBlock.valueHexView).equals(keyId)
      );
    });
  }
  return undefined;
}

function checkSignature(
  data: Uint8Array,
  signature: Uint8Array,
  certificate: ParsedCertificate,
  algorithm: { key: KeyKind; hash?: string },
  digestAlgorithm: string,
  identifier: pkijs.AlgorithmIdentifier,
): boolean {
  const key = certificate.publicKey;
  const keyType = key.asymmetricKeyType;
  try {
    if (algorithm.key === 'ec') {
      if (keyType !== 'ec') return false;
      return verifySignature(algorithm.hash ?? digestAlgorithm, data, { key, dsaEncoding: 'der' }, signature);
    }
    if (algorithm.key === 'rsa-pss') {
      const params = pssParameters(identifier);
      return verifySignature(
        params.hash,
        data,
        { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: params.saltLength },
        signature,
      );
    }
    if (keyType !== 'rsa') return false;
    return verifySignature(algorithm.hash ?? digestAlgorithm, data, key, signature);
  } catch {
    return false;
  }
}

/**
 * Verifies a signature made with the algorithm an AlgorithmIdentifier names (OCSP responses,
 * CRLs): the OID must fix the hash, except for RSASSA-PSS whose parameters do.
 */
export function verifyWithCertificate(
  data: Uint8Array,
  signature: Uint8Array,
  certificate: ParsedCertificate,
  identifier: pkijs.AlgorithmIdentifier,
): boolean {
  const algorithm = SIGNATURE_ALGORITHMS[identifier.algorithmId];
  if (!algorithm || (!algorithm.hash && algorithm.key !== 'rsa-pss')) return false;
  return checkSignature(data, signature, certificate, algorithm, algorithm.hash ?? 'sha256', identifier);
}

/** RFC 4055 §3.1: RSASSA-PSS-params, defaults SHA-1 and salt length 20. */
function pssParameters(identifier: pkijs.AlgorithmIdentifier): { hash: string; saltLength: number } {
  const params = new pkijs.RSASSAPSSParams({ schema: identifier.algorithmParams });
  return {
    hash: DIGEST_ALGORITHMS[params.hashAlgorithm.algorithmId] ?? 'sha1',
    saltLength: params.saltLength,
  };
}

export type SigningCertificateCheck = 'v2-matches' | 'v1-matches' | 'mismatch' | 'absent';

/**
 * ESS signing-certificate(-v2) (RFC 2634 §5.4, RFC 5035 §3): the first ESSCertID must be the
 * hash of the signer certificate, binding it into what was signed.
 */
export function checkSigningCertificateAttribute(
  signedAttributes: Map<string, asn1js.AsnType[]>,
  certificate: ParsedCertificate,
): SigningCertificateCheck {
  const v2 = single(signedAttributes, CMS_OID.signingCertificateV2);
  if (v2) return firstCertIdMatches(v2, certificate, 'sha256') ? 'v2-matches' : 'mismatch';
  const v1 = single(signedAttributes, SIGNING_CERTIFICATE_V1);
  if (v1) return firstCertIdMatches(v1, certificate, 'sha1') ? 'v1-matches' : 'mismatch';
  return 'absent';
}

function firstCertIdMatches(
  value: asn1js.AsnType,
  certificate: ParsedCertificate,
  defaultHash: string,
): boolean {
  const certs = sequenceItems(value)[0];
  const first = certs ? sequenceItems(certs)[0] : undefined;
  if (!first) return false;
  const items = sequenceItems(first);
  let hash = defaultHash;
  let index = 0;
  if (items[0] instanceof asn1js.Sequence) {
    const oid = sequenceItems(items[0])[0];
    hash = oid instanceof asn1js.ObjectIdentifier ? (DIGEST_ALGORITHMS[oid.valueBlock.toString()] ?? '') : '';
    index = 1;
  }
  const certHash = items[index];
  if (!hash || !(certHash instanceof asn1js.OctetString)) return false;
  return createHash(hash)
    .update(certificate.der)
    .digest()
    .equals(Buffer.from(certHash.valueBlock.valueHexView));
}

export function sequenceItems(value: asn1js.AsnType | undefined): asn1js.AsnType[] {
  return value instanceof asn1js.Sequence ? (value.valueBlock.value as asn1js.AsnType[]) : [];
}
