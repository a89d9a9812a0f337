import { createHash, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signatureAlgorithmIdentifier } from './algorithms.ts';
import type { EncodedName } from './distinguishedName.ts';
import type { SigningKey } from './signer.ts';

/*
 * X.509 certificate issuance (RFC 5280), built with pkijs and signed through `SigningKey`
 * so the issuing key can later live in an HSM. (@peculiar/x509 would be shorter, but it needs
 * a global Reflect-metadata polyfill that the project does not ship.)
 */

export const X509_OID = {
  commonName: '2.5.4.3',
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  qtUserNotice: '1.3.6.1.5.5.7.2.2',
} as const;
const OID = X509_OID;

/** Extended key usage purposes (RFC 5280 §4.2.1.12) that Signet's certificates carry. */
export const KeyPurpose = {
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  /** id-kp-documentSigning (RFC 9336 §3.1): signing human-readable documents. */
  documentSigning: '1.3.6.1.5.5.7.3.36',
} as const;
export type KeyPurposeOid = (typeof KeyPurpose)[keyof typeof KeyPurpose];

/** Key usage bits, numbered as in RFC 5280 §4.2.1.3. */
export const KeyUsage = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyCertSign: 5,
  cRLSign: 6,
} as const;
export type KeyUsageBit = (typeof KeyUsage)[keyof typeof KeyUsage];

export interface DistinguishedName {
  commonName: string;
  organization?: string;
  /** ISO 3166-1 alpha-2, upper case (X.520 countryName: a PrintableString of two letters). */
  country?: string;
}

/**
 * One certificatePolicies entry (RFC 5280 §4.2.1.4): the policy the certificate was issued under
 * and, optionally, a userNotice whose explicitText (at most 200 characters) relying parties are
 * shown.
 */
export interface CertificatePolicy {
  oid: string;
  explicitText?: string;
}

/** Where relying parties find revocation status and the issuer's certificate (RFC 5280 §4.2.2.1, §4.2.1.13). */
export interface RevocationPointers {
  /** id-ad-ocsp accessLocation. */
  ocspUrl?: string;
  /** id-ad-caIssuers accessLocation: the issuer's certificate, DER. */
  caIssuersUrl?: string;
  /** The one distributionPoint fullName URI. */
  crlUrl?: string;
}

export interface CertificateProfile {
  /** An EncodedName is used byte for byte: a CA copies the subject a CSR asks for (distinguishedName.ts). */
  subject: DistinguishedName | EncodedName;
  /** DER SubjectPublicKeyInfo of the key being certified. */
  subjectPublicKey: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** `undefined` for an end-entity certificate; otherwise the CA's path length limit (or null for none). */
  ca?: { pathLength: number | null };
  keyUsage: KeyUsageBit[];
  /** Absent: no extendedKeyUsage extension at all (see the sealing profile for why that matters). */
  extendedKeyUsage?: { purposes: KeyPurposeOid[]; critical: boolean };
  /** rfc822Name entries of subjectAltName (RFC 5280 §4.2.1.6). */
  emailAddresses?: string[];
  revocation?: RevocationPointers;
  /** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): for OCSP responder certificates. */
  ocspNoCheck?: boolean;
  /** A non-critical certificatePolicies extension with this one policy. */
  policy?: CertificatePolicy;
}

/** Who signs a certificate: the issuer's certificate (absent when self-signing) and its key. */
export interface CertificateIssuer {
  certificate?: Uint8Array;
  key: SigningKey;
}

/** Issues a DER certificate; a self-signed root when `issuer.certificate` is absent. */
export async function issueCertificate(
  profile: CertificateProfile,
  issuer: CertificateIssuer,
): Promise<Uint8Array> {
  const certificate = new pkijs.Certificate();
  const subjectPublicKeyInfo = parseSubjectPublicKeyInfo(profile.subjectPublicKey);
  const issuerCertificate = issuer.certificate ? parseCertificate(issuer.certificate) : undefined;
  const subjectKeyId = subjectKeyIdentifier(subjectPublicKeyInfo);

  certificate.version = 2; // v3, RFC 5280 §4.1.2.1
  certificate.serialNumber = new asn1js.Integer({ valueHex: randomSerialNumber() });
  certificate.subject = subjectName(profile.subject);
  // The issuer name is copied byte for byte from the issuer's subject: path building compares them.
  certificate.issuer = issuerCertificate ? issuerCertificate.subject : subjectName(profile.subject);
  certificate.notBefore = certificateTime(profile.notBefore);
  certificate.notAfter = certificateTime(profile.notAfter);
  certificate.subjectPublicKeyInfo = subjectPublicKeyInfo;
  certificate.extensions = [
    basicConstraintsExtension(profile.ca),
    keyUsageExtension(profile.keyUsage),
    subjectKeyIdentifierExtension(subjectKeyId),
    authorityKeyIdentifierExtension(
      issuerCertificate ? subjectKeyIdentifierOf(issuerCertificate) : subjectKeyId,
    ),
    ...optionalExtensions(profile),
  ];
  certificate.signature = signatureAlgorithmIdentifier(issuer.key.signatureAlgorithm);
  certificate.signatureAlgorithm = signatureAlgorithmIdentifier(issuer.key.signatureAlgorithm);

  const tbs = new Uint8Array(certificate.encodeTBS().toBER());
  certificate.tbsView = tbs;
  certificate.signatureValue = new asn1js.BitString({ valueHex: await issuer.key.sign(tbs) });
  return new Uint8Array(certificate.toSchema().toBER());
}

/** DER SubjectPublicKeyInfo of a key (public, or the public half of a private one). */
export function subjectPublicKeyOf(key: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
}

function optionalExtensions(profile: CertificateProfile): pkijs.Extension[] {
  const extensions: pkijs.Extension[] = [];
  if (profile.extendedKeyUsage) {
    const { purposes, critical } = profile.extendedKeyUsage;
    const value = new pkijs.ExtKeyUsage({ keyPurposes: [...purposes] }).toSchema();
    extensions.push(extension(OID.extendedKeyUsage, critical, value));
  }
  if (profile.emailAddresses && profile.emailAddresses.length > 0) {
    const altNames = profile.emailAddresses.map((email) => new pkijs.GeneralName({ type: 1, value: email }));
    extensions.push(extension(OID.subjectAltName, false, new pkijs.AltName({ altNames }).toSchema()));
  }
  const pointers = profile.revocation ?? {};
  const accessDescriptions: pkijs.AccessDescription[] = [];
  if (pointers.ocspUrl) accessDescriptions.push(accessDescription(OID.adOcsp, pointers.ocspUrl));
  if (pointers.caIssuersUrl)
    accessDescriptions.push(accessDescription(OID.adCaIssuers, pointers.caIssuersUrl));
  if (accessDescriptions.length > 0) {
    const value = new pkijs.InfoAccess({ accessDescriptions }).toSchema();
    extensions.push(extension(OID.authorityInfoAccess, false, value));
  }
  if (pointers.crlUrl) {
    const distributionPoint = new pkijs.DistributionPoint({
      distributionPoint: [new pkijs.GeneralName({ type: 6, value: pointers.crlUrl })],
    });
    const value = new pkijs.CRLDistributionPoints({ distributionPoints: [distributionPoint] }).toSchema();
    extensions.push(extension(OID.crlDistributionPoints, false, value));
  }
  if (profile.ocspNoCheck) extensions.push(extension(OID.ocspNoCheck, false, new asn1js.Null()));
  if (profile.policy) extensions.push(certificatePoliciesExtension(profile.policy));
  return extensions;
}

/** Upper bound of explicitText (RFC 5280 §4.2.1.4, DisplayText SIZE (1..200)). */
export const MAX_EXPLICIT_TEXT = 200;

/**
 * Non-critical, so a relying party that processes no policies still accepts the certificate
 * (RFC 5280 §4.2.1.4). pkijs has no UserNotice type, so the qualifier is built with asn1js;
 * explicitText is a UTF8String, as §4.2.1.4 asks of conforming CAs.
 */
function certificatePoliciesExtension(policy: CertificatePolicy): pkijs.Extension {
  const qualifiers = policy.explicitText
    ? [
        new pkijs.PolicyQualifierInfo({
          policyQualifierId: OID.qtUserNotice,
          qualifier: new asn1js.Sequence({ value: [new asn1js.Utf8String({ value: policy.explicitText })] }),
        }),
      ]
    : undefined;
  const information = new pkijs.PolicyInformation({
    policyIdentifier: policy.oid,
    ...(qualifiers ? { policyQualifiers: qualifiers } : {}),
  });
  const value = new pkijs.CertificatePolicies({ certificatePolicies: [information] }).toSchema();
  return extension(OID.certificatePolicies, false, value);
}

function accessDescription(accessMethod: string, url: string): pkijs.AccessDescription {
  return new pkijs.AccessDescription({
    accessMethod,
    accessLocation: new pkijs.GeneralName({ type: 6, value: url }), // uniformResourceIdentifier
  });
}

function parseCertificate(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(der);
}

function parseSubjectPublicKeyInfo(der: Uint8Array): pkijs.PublicKeyInfo {
  return pkijs.PublicKeyInfo.fromBER(der);
}

/** 16 random bytes, positive and without a leading zero octet (RFC 5280 §4.1.2.2, CA/B BR §7.1). */
export function randomSerialNumber(): Uint8Array {
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  return serial;
}

function subjectName(subject: DistinguishedName | EncodedName): pkijs.RelativeDistinguishedNames {
  return 'der' in subject
    ? pkijs.RelativeDistinguishedNames.fromBER(subject.der)
    : distinguishedName(subject);
}

/**
 * One attribute per RDN, most significant first (C, O, then CN). pkijs would put every
 * attribute into a single multi-valued RDN ("O=… + CN=…"), which readers display oddly, so the
 * Name is encoded here and handed to pkijs already in DER.
 */
export function distinguishedName(name: DistinguishedName): pkijs.RelativeDistinguishedNames {
  const attributes: [string, asn1js.Utf8String | asn1js.PrintableString][] = [];
  const text = (value: string) => new asn1js.Utf8String({ value });
  // X.520 (RFC 5280 Appendix A.1): countryName is a PrintableString, never a UTF8String.
  if (name.country) attributes.push([OID.countryName, new asn1js.PrintableString({ value: name.country })]);
  if (name.organization) attributes.push([OID.organizationName, text(name.organization)]);
  attributes.push([OID.commonName, text(name.commonName)]);
  const rdnSequence = new asn1js.Sequence({
    value: attributes.map(
      ([type, value]) =>
        new asn1js.Set({
          value: [new pkijs.AttributeTypeAndValue({ type, value }).toSchema()],
        }),
    ),
  });
  return pkijs.RelativeDistinguishedNames.fromBER(rdnSequence.toBER());
}

/**
 * RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, both without fractional
 * seconds (which pkijs would otherwise emit for a Date with milliseconds).
 */
export function certificateTime(date: Date): pkijs.Time {
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  const type = whole.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime;
  return new pkijs.Time({ type, value: whole });
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
function subjectKeyIdentifier(publicKeyInfo: pkijs.PublicKeyInfo): Uint8Array {
  const publicKeyBits = publicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  return new Uint8Array(createHash('sha1').update(publicKeyBits).digest());
}

export function subjectKeyIdentifierOf(certificate: pkijs.Certificate): Uint8Array {
  const extension = certificate.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  if (!extension) return subjectKeyIdentifier(certificate.subjectPublicKeyInfo);
  const keyId = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result;
  if (!(keyId instanceof asn1js.OctetString)) throw new Error('malformed subjectKeyIdentifier extension');
  return keyId.valueBlock.valueHexView;
}

/** RFC 5280 §4.2.1.9: critical; CA certificates carry cA TRUE, end entities an empty sequence. */
function basicConstraintsExtension(ca: CertificateProfile['ca']): pkijs.Extension {
  const constraints = ca
    ? new pkijs.BasicConstraints({
        cA: true,
        ...(ca.pathLength === null ? {} : { pathLenConstraint: ca.pathLength }),
      })
    : new pkijs.BasicConstraints({});
  return extension(OID.basicConstraints, true, constraints.toSchema());
}

/** RFC 5280 §4.2.1.3: a critical named BIT STRING, DER-encoded without trailing zero bits (X.690 §11.2.2). */
function keyUsageExtension(bits: KeyUsageBit[]): pkijs.Extension {
  const highestBit = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highestBit / 8) + 1);
  for (const bit of bits) {
    const index = Math.floor(bit / 8);
    bytes[index] = (bytes[index] ?? 0) | (0x80 >> (bit % 8));
  }
  const unusedBits = 7 - (highestBit % 8);
  return extension(OID.keyUsage, true, new asn1js.BitString({ valueHex: bytes, unusedBits }));
}

function subjectKeyIdentifierExtension(keyId: Uint8Array): pkijs.Extension {
  return extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId }));
}

/** RFC 5280 §4.2.1.1: the keyIdentifier form only, matching the issuer's subjectKeyIdentifier. */
export function authorityKeyIdentifierExtension(issuerKeyId: Uint8Array): pkijs.Extension {
  const keyIdentifier = new asn1js.OctetString({ valueHex: issuerKeyId });
  return extension(
    OID.authorityKeyIdentifier,
    false,
    new pkijs.AuthorityKeyIdentifier({ keyIdentifier }).toSchema(),
  );
}

export function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER() });
}
