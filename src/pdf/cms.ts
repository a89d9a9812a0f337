import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SignetError } from '../errors.ts';
import { sha256AlgorithmIdentifier, signatureAlgorithmIdentifier } from '../pki/algorithms.ts';
import type { SealingIdentity } from '../pki/signer.ts';

/*
 * The CMS SignedData that goes into a PAdES signature's /Contents: detached (the PDF bytes
 * named by /ByteRange are the content) with a single SignerInfo.
 *
 * PAdES baseline B-B (ETSI EN 319 142-1 §5.2 and the B-B rows of §6.3, Table 1) takes its
 * CMS from CAdES (EN 319 122-1): signed attributes content-type and message-digest (RFC 5652
 * §11.1, §11.2) and signing-certificate-v2 (RFC 5035), and NO signing-time (PKCS#9
 * 1.2.840.113549.1.9.5) — the claimed signing time of a PAdES signature is the signature
 * dictionary's /M, and a second, possibly different, time inside the CMS is forbidden.
 */

export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
} as const;

/** An attribute as raw DER values, so callers need no pkijs types (e.g. a time-stamp token). */
export interface CmsAttribute {
  type: string;
  /** DER of each AttributeValue. */
  values: Uint8Array[];
}

/**
 * Produces unsigned attributes once the signature value is known. PAdES B-T plugs in here:
 * the signature-time-stamp attribute is a TSA token over the SignerInfo's signature value
 * (EN 319 122-1 §5.3, RFC 3161 Appendix A).
 */
export type UnsignedAttributesProvider = (signatureValue: Uint8Array) => Promise<CmsAttribute[]>;

export interface PadesCmsOptions {
  unsignedAttributes?: UnsignedAttributesProvider;
}

const SHA256_LENGTH = 32;

/**
 * Builds a DER ContentInfo holding the SignedData.
 * @param messageDigest SHA-256 of the signed content (the concatenated /ByteRange ranges).
 */
export async function createPadesCms(
  messageDigest: Uint8Array,
  identity: SealingIdentity,
  options: PadesCmsOptions = {},
): Promise<Uint8Array> {
  if (messageDigest.length !== SHA256_LENGTH) {
    throw new SignetError(
      'CMS_DIGEST_INVALID',
      500,
      `expected a SHA-256 digest, got ${messageDigest.length} bytes`,
    );
  }
  const signer = signerMaterialOf(identity);
  const signedAttributes = derSortedAttributes([
    contentTypeAttribute(),
    messageDigestAttribute(messageDigest),
    signer.signingCertificateV2,
  ]);
  const signature = await identity.sign(signedAttributesToBeSigned(signedAttributes));

  const signerInfo = new pkijs.SignerInfo({
    version: 1, // RFC 5652 §5.3: 1 when sid is issuerAndSerialNumber
    sid: new pkijs.IssuerAndSerialNumber({
      issuer: signer.certificate.issuer,
      serialNumber: signer.certificate.serialNumber,
    }),
    digestAlgorithm: sha256AlgorithmIdentifier(),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: signedAttributes }),
    signatureAlgorithm: signatureAlgorithmIdentifier(identity.signatureAlgorithm),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  const unsigned = options.unsignedAttributes ? await options.unsignedAttributes(signature) : [];
  if (unsigned.length > 0) {
    signerInfo.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
      type: 1,
      attributes: unsigned.map(toPkijsAttribute),
    });
  }

  const signedData = new pkijs.SignedData({
    version: 1, // RFC 5652 §5.1: id-data content, v1 SignerInfos, X.509 certificates only
    digestAlgorithms: [sha256AlgorithmIdentifier()],
    // Detached (RFC 5652 §5.2): eContent absent, the PDF byte ranges are the content.
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: CMS_OID.data }),
    certificates: signer.certificatesToEmbed,
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: CMS_OID.signedData,
    content: signedData.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER());
}

/** What CMS needs from an identity's certificates, parsed once: pkijs takes ~2 ms per certificate. */
interface SignerMaterial {
  certificate: pkijs.Certificate;
  certificatesToEmbed: pkijs.Certificate[];
  signingCertificateV2: pkijs.Attribute;
}

const signerMaterialCache = new WeakMap<SealingIdentity, SignerMaterial>();

function signerMaterialOf(identity: SealingIdentity): SignerMaterial {
  const cached = signerMaterialCache.get(identity);
  if (cached) return cached;
  const certificate = pkijs.Certificate.fromBER(identity.certificate);
  const material: SignerMaterial = {
    certificate,
    certificatesToEmbed: [certificate, ...issuersToEmbed(identity.chain)],
    signingCertificateV2: signingCertificateV2Attribute(identity.certificate, certificate),
  };
  signerMaterialCache.set(identity, material);
  return material;
}

/**
 * RFC 5652 §5.4: the signature covers the DER encoding of the SignedAttributes as an explicit
 * SET OF (tag 0x31), not the [0] IMPLICIT form that sits in the SignerInfo.
 */
function signedAttributesToBeSigned(attributes: pkijs.Attribute[]): Uint8Array {
  return new Uint8Array(new asn1js.Set({ value: attributes.map((a) => a.toSchema()) }).toBER());
}

/**
 * RFC 5652 §5.3 requires the DER encoding of the signed attributes, and DER orders SET OF
 * members by their encodings (X.690 §11.6). OpenSSL hashes the bytes as received, but a
 * verifier that re-encodes the parsed attributes would compute a different value from an
 * unsorted set.
 */
function derSortedAttributes(attributes: pkijs.Attribute[]): pkijs.Attribute[] {
  return attributes
    .map((attribute) => ({ attribute, der: Buffer.from(attribute.toSchema().toBER()) }))
    .sort((a, b) => Buffer.compare(a.der, b.der))
    .map(({ attribute }) => attribute);
}

/** RFC 5652 §11.1: must be present with signed attributes, naming the content type (id-data). */
function contentTypeAttribute(): pkijs.Attribute {
  return new pkijs.Attribute({
    type: CMS_OID.contentType,
    values: [new asn1js.ObjectIdentifier({ value: CMS_OID.data })],
  });
}

/** RFC 5652 §11.2: the digest of the content, here of the PDF's signed byte ranges. */
function messageDigestAttribute(digest: Uint8Array): pkijs.Attribute {
  return new pkijs.Attribute({
    type: CMS_OID.messageDigest,
    values: [new asn1js.OctetString({ valueHex: digest })],
  });
}

/**
 * RFC 5035 §3 (required by EN 319 122-1 §5.2.2.3): binds the signing certificate into what is
 * signed, so it cannot be swapped for another certificate with the same key.
 *
 *   SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
 *   ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT id-sha256, certHash OCTET STRING,
 *                              issuerSerial IssuerSerial OPTIONAL }
 *
 * hashAlgorithm is left out: DER omits a field equal to its DEFAULT (X.690 §11.5).
 */
function signingCertificateV2Attribute(
  certificateDer: Uint8Array,
  certificate: pkijs.Certificate,
): pkijs.Attribute {
  const certHash = createHash('sha256').update(certificateDer).digest();
  const issuerSerial = new pkijs.IssuerSerial({
    issuer: new pkijs.GeneralNames({
      names: [new pkijs.GeneralName({ type: 4, value: certificate.issuer })], // directoryName
    }),
    serialNumber: certificate.serialNumber,
  });
  const essCertIdV2 = new asn1js.Sequence({
    value: [new asn1js.OctetString({ valueHex: certHash }), issuerSerial.toSchema()],
  });
  const signingCertificateV2 = new asn1js.Sequence({
    value: [new asn1js.Sequence({ value: [essCertIdV2] })],
  });
  return new pkijs.Attribute({ type: CMS_OID.signingCertificateV2, values: [signingCertificateV2] });
}

/**
 * The signer's issuers without a self-signed root: a validator must already trust the root,
 * so shipping it adds bytes and no assurance.
 */
function issuersToEmbed(chain: Uint8Array[]): pkijs.Certificate[] {
  return chain
    .map((der) => pkijs.Certificate.fromBER(der))
    .filter((certificate) => !isSelfIssued(certificate));
}

function isSelfIssued(certificate: pkijs.Certificate): boolean {
  return Buffer.from(certificate.issuer.toSchema().toBER()).equals(
    Buffer.from(certificate.subject.toSchema().toBER()),
  );
}

function toPkijsAttribute(attribute: CmsAttribute): pkijs.Attribute {
  return new pkijs.Attribute({
    type: attribute.type,
    values: attribute.values.map((der) => {
      const parsed = asn1js.fromBER(der);
      if (parsed.offset === -1) throw new Error(`attribute ${attribute.type} has a malformed value`);
      return parsed.result;
    }),
  });
}
