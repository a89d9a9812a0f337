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
 *
 * The DER is put together from pieces, most of them encoded once per identity (signerMaterialOf)
 * or once per process: pkijs re-parses and re-encodes every certificate and attribute on every
 * toSchema(), which cost several times the one RSA signature a seal needs. pkijs still builds
 * each piece the first time, so the encodings are its encodings.
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
      `expected a SHA-256 digest, got ${messageDigest.length} bytes`,
    );
  }
  const signer = signerMaterialOf(identity);
  const signedAttributes = derSorted([
    CONTENT_TYPE_ATTRIBUTE,
    messageDigestAttribute(messageDigest),
    signer.signingCertificateV2,
  ]);
  // RFC 5652 §5.4: the signature covers the DER encoding of the SignedAttributes as an explicit
  // SET OF (tag 0x31), not the [0] IMPLICIT form that sits in the SignerInfo.
  const signature = await identity.sign(derElement(DER_TAG.set, signedAttributes));
  const unsigned = options.unsignedAttributes ? await options.unsignedAttributes(signature) : [];

  // RFC 5652 §5.3
  const signerInfo = derElement(DER_TAG.sequence, [
    SIGNER_INFO_VERSION, // 1: sid is issuerAndSerialNumber
    signer.issuerAndSerialNumber,
    SHA256_ALGORITHM,
    derElement(DER_TAG.context0, signedAttributes), // signedAttrs [0] IMPLICIT
    signer.signatureAlgorithm,
    derElement(DER_TAG.octetString, [signature]),
    ...(unsigned.length > 0 ? [derElement(DER_TAG.context1, unsigned.map(attributeDer))] : []), // unsignedAttrs [1] IMPLICIT
  ]);
  // RFC 5652 §5.1
  const signedData = derElement(DER_TAG.sequence, [
    SIGNED_DATA_VERSION, // 1: id-data content, v1 SignerInfos, X.509 certificates only
    derElement(DER_TAG.set, [SHA256_ALGORITHM]),
    ENCAPSULATED_CONTENT_INFO,
    derElement(DER_TAG.context0, [signer.certificates]), // certificates [0] IMPLICIT CertificateSet
    derElement(DER_TAG.set, [signerInfo]),
  ]);
  // RFC 5652 §3: ContentInfo { id-signedData, [0] EXPLICIT SignedData }
  return derElement(DER_TAG.sequence, [SIGNED_DATA_OID, derElement(DER_TAG.context0, [signedData])]);
}

const DER_TAG = { octetString: 0x04, sequence: 0x30, set: 0x31, context0: 0xa0, context1: 0xa1 } as const;

const der = (block: { toBER(): ArrayBuffer }): Uint8Array => new Uint8Array(block.toBER());

const SIGNED_DATA_OID = der(new asn1js.ObjectIdentifier({ value: CMS_OID.signedData }));
const SIGNED_DATA_VERSION = der(new asn1js.Integer({ value: 1 }));
const SIGNER_INFO_VERSION = der(new asn1js.Integer({ value: 1 }));
const SHA256_ALGORITHM = der(sha256AlgorithmIdentifier().toSchema());
/** Detached (RFC 5652 §5.2): eContent absent, the PDF byte ranges are the content. */
const ENCAPSULATED_CONTENT_INFO = der(
  new pkijs.EncapsulatedContentInfo({ eContentType: CMS_OID.data }).toSchema(),
);

/** What CMS needs from an identity, encoded once: pkijs takes ~2 ms to parse a certificate. */
interface SignerMaterial {
  /** The DER of every certificate to embed, concatenated: the contents of the CertificateSet. */
  certificates: Uint8Array;
  issuerAndSerialNumber: Uint8Array;
  signatureAlgorithm: Uint8Array;
  signingCertificateV2: Uint8Array;
}

const signerMaterialCache = new WeakMap<SealingIdentity, SignerMaterial>();

function signerMaterialOf(identity: SealingIdentity): SignerMaterial {
  const cached = signerMaterialCache.get(identity);
  if (cached) return cached;
  const certificate = pkijs.Certificate.fromBER(identity.certificate);
  const material: SignerMaterial = {
    // The certificates go in as the bytes they were issued as, never re-encoded.
    certificates: Buffer.concat([identity.certificate, ...issuersToEmbed(identity.chain)]),
    issuerAndSerialNumber: der(
      new pkijs.IssuerAndSerialNumber({
        issuer: certificate.issuer,
        serialNumber: certificate.serialNumber,
      }).toSchema(),
    ),
    signatureAlgorithm: der(signatureAlgorithmIdentifier(identity.signatureAlgorithm).toSchema()),
    signingCertificateV2: der(signingCertificateV2Attribute(identity.certificate, certificate).toSchema()),
  };
  signerMaterialCache.set(identity, material);
  return material;
}

/**
 * RFC 5652 §5.3 requires the DER encoding of the signed attributes, and DER orders SET OF
 * members by their encodings (X.690 §11.6). OpenSSL hashes the bytes as received, but a
 * verifier that re-encodes the parsed attributes would compute a different value from an
 * unsorted set.
 */
function derSorted(encodings: Uint8Array[]): Uint8Array[] {
  return [...encodings].sort(Buffer.compare);
}

/** A definite-length DER element (X.690 §8.1, §10.1) around already-encoded contents. */
function derElement(tag: number, contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((sum, part) => sum + part.length, 0);
  return Buffer.concat([Uint8Array.of(tag), derLength(length), ...contents]);
}

/** X.690 §8.1.3: short form below 128, else the long form with the fewest length octets. */
function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** RFC 5652 §11.1: must be present with signed attributes, naming the content type (id-data). */
const CONTENT_TYPE_ATTRIBUTE = der(
  new pkijs.Attribute({
    type: CMS_OID.contentType,
    values: [new asn1js.ObjectIdentifier({ value: CMS_OID.data })],
  }).toSchema(),
);

const MESSAGE_DIGEST_OID = der(new asn1js.ObjectIdentifier({ value: CMS_OID.messageDigest }));

/** RFC 5652 §11.2: the digest of the content, here of the PDF's signed byte ranges. */
function messageDigestAttribute(digest: Uint8Array): Uint8Array {
  // Attribute ::= SEQUENCE { attrType OID, attrValues SET OF OCTET STRING }
  return derElement(DER_TAG.sequence, [
    MESSAGE_DIGEST_OID,
    derElement(DER_TAG.set, [derElement(DER_TAG.octetString, [digest])]),
  ]);
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
function issuersToEmbed(chain: Uint8Array[]): Uint8Array[] {
  return chain.filter((certificate) => !isSelfIssued(pkijs.Certificate.fromBER(certificate)));
}

function isSelfIssued(certificate: pkijs.Certificate): boolean {
  return Buffer.from(certificate.issuer.toSchema().toBER()).equals(
    Buffer.from(certificate.subject.toSchema().toBER()),
  );
}

/** Attribute ::= SEQUENCE { attrType OID, attrValues SET OF AttributeValue }, values as given. */
function attributeDer(attribute: CmsAttribute): Uint8Array {
  for (const value of attribute.values) {
    if (asn1js.fromBER(value).offset === -1) {
      throw new Error(`attribute ${attribute.type} has a malformed value`);
    }
  }
  return derElement(DER_TAG.sequence, [
    der(new asn1js.ObjectIdentifier({ value: attribute.type })),
    derElement(DER_TAG.set, attribute.values),
  ]);
}
