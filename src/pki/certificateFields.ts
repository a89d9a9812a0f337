import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { X509_OID } from './issue.ts';

/*
 * Reading the extensions that revocation checking and time-stamp verification rely on, from
 * any certificate (ours or a foreign CA's).
 */

export interface CertificatePointers {
  ocspUrls: string[];
  caIssuersUrls: string[];
  crlUrls: string[];
}

export function parseCertificate(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(der);
}

function extensionValue(certificate: pkijs.Certificate, oid: string): asn1js.AsnType | undefined {
  const found = certificate.extensions?.find((e) => e.extnID === oid);
  if (!found) return undefined;
  const parsed = asn1js.fromBER(found.extnValue.valueBlock.valueHexView);
  return parsed.offset === -1 ? undefined : parsed.result;
}

/** AIA (RFC 5280 §4.2.2.1) and CRLDistributionPoints (§4.2.1.13) URIs; other name forms are ignored. */
export function pointersOf(certificate: pkijs.Certificate): CertificatePointers {
  const pointers: CertificatePointers = { ocspUrls: [], caIssuersUrls: [], crlUrls: [] };
  const aia = extensionValue(certificate, X509_OID.authorityInfoAccess);
  if (aia) {
    for (const description of new pkijs.InfoAccess({ schema: aia }).accessDescriptions) {
      const uri = uriOf(description.accessLocation);
      if (!uri) continue;
      if (description.accessMethod === X509_OID.adOcsp) pointers.ocspUrls.push(uri);
      if (description.accessMethod === X509_OID.adCaIssuers) pointers.caIssuersUrls.push(uri);
    }
  }
  const cdp = extensionValue(certificate, X509_OID.crlDistributionPoints);
  if (cdp) {
    for (const point of new pkijs.CRLDistributionPoints({ schema: cdp }).distributionPoints) {
      const names = Array.isArray(point.distributionPoint) ? point.distributionPoint : [];
      for (const name of names) {
        const uri = uriOf(name);
        if (uri) pointers.crlUrls.push(uri);
      }
    }
  }
  return pointers;
}

function uriOf(name: pkijs.GeneralName): string | undefined {
  return name.type === 6 && typeof name.value === 'string' ? name.value : undefined;
}

export function extendedKeyUsageOf(
  certificate: pkijs.Certificate,
): { purposes: string[]; critical: boolean } | undefined {
  const found = certificate.extensions?.find((e) => e.extnID === X509_OID.extendedKeyUsage);
  const value = extensionValue(certificate, X509_OID.extendedKeyUsage);
  if (!found || !value) return undefined;
  return { purposes: new pkijs.ExtKeyUsage({ schema: value }).keyPurposes, critical: found.critical };
}

/**
 * certificatePolicies (RFC 5280 §4.2.1.4): each policy OID with the explicitText of its
 * userNotice, if any. Read here rather than through pkijs' CertificatePolicies, whose OIDs come
 * from asn1js and lose arcs beyond 2^53 (UUID OIDs under 2.25, like Signet's own).
 */
export function policiesOf(certificate: pkijs.Certificate): { oid: string; explicitText?: string }[] {
  const value = extensionValue(certificate, X509_OID.certificatePolicies);
  if (!(value instanceof asn1js.Sequence)) return [];
  return value.valueBlock.value.flatMap((information) => {
    if (!(information instanceof asn1js.Sequence)) return [];
    const [identifier, qualifiers] = information.valueBlock.value;
    if (!(identifier instanceof asn1js.ObjectIdentifier)) return [];
    const explicitText = qualifiers instanceof asn1js.Sequence ? userNoticeTextOf(qualifiers) : undefined;
    return [{ oid: dottedOid(identifier), ...(explicitText === undefined ? {} : { explicitText }) }];
  });
}

/** The explicitText of the first userNotice among PolicyQualifierInfos. */
function userNoticeTextOf(qualifiers: asn1js.Sequence): string | undefined {
  for (const qualifier of qualifiers.valueBlock.value) {
    if (!(qualifier instanceof asn1js.Sequence)) continue;
    const [id, notice] = qualifier.valueBlock.value;
    if (!(id instanceof asn1js.ObjectIdentifier) || dottedOid(id) !== X509_OID.qtUserNotice) continue;
    if (!(notice instanceof asn1js.Sequence)) continue;
    // UserNotice ::= SEQUENCE { noticeRef SEQUENCE OPTIONAL, explicitText DisplayText OPTIONAL },
    // DisplayText being a CHOICE of four string types.
    const text = notice.valueBlock.value.find((part) => part instanceof asn1js.BaseStringBlock);
    if (text instanceof asn1js.BaseStringBlock) return text.getValue();
  }
  return undefined;
}

/** Dotted text of an OBJECT IDENTIFIER from its content octets (X.690 §8.19), exact for any arc size. */
export function dottedOid(identifier: asn1js.ObjectIdentifier): string {
  const arcs: bigint[] = [];
  let arc = 0n;
  for (const byte of contentOctets(identifier)) {
    arc = (arc << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(arc);
      arc = 0n;
    }
  }
  const [first = 0n, ...rest] = arcs;
  // §8.19.4: the first subidentifier packs the first two arcs as 40·X + Y.
  const top = first < 40n ? 0n : first < 80n ? 1n : 2n;
  return [top, first - top * 40n, ...rest].join('.');
}

/** The value octets of a one-byte-tag TLV (as decoded, or encoded afresh when built in memory). */
function contentOctets(block: asn1js.BaseBlock): Uint8Array {
  const decoded = block.valueBeforeDecodeView;
  const tlv = decoded.length > 0 ? decoded : new Uint8Array(block.toBER());
  const lengthByte = tlv[1] ?? 0;
  const header = 2 + (lengthByte < 0x80 ? 0 : lengthByte & 0x7f);
  return tlv.subarray(header);
}

export function hasOcspNoCheck(certificate: pkijs.Certificate): boolean {
  return certificate.extensions?.some((e) => e.extnID === X509_OID.ocspNoCheck) ?? false;
}

export function derOf(value: { toSchema(): asn1js.AsnType }): Uint8Array {
  return new Uint8Array(value.toSchema().toBER());
}

export function sameBytes(a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean {
  return Buffer.from(a instanceof Uint8Array ? a : new Uint8Array(a)).equals(
    Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)),
  );
}

/** Issuer name equals subject name, byte for byte (RFC 5280 §6.1: self-issued). */
export function isSelfIssued(certificate: pkijs.Certificate): boolean {
  return sameBytes(derOf(certificate.issuer), derOf(certificate.subject));
}

/** Whole seconds: DER GeneralizedTime and UTCTime in certificates, CRLs, OCSP and TSTInfo carry no fraction here. */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
