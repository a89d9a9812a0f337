import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { CertificateSummary } from './report.ts';

/*
 * A certificate parsed once, from untrusted DER: OpenSSL (through node:crypto) for signature
 * checks and dates, pkijs for the extensions OpenSSL does not expose (RFC 5280 §4.2).
 */

const OID = {
  commonName: '2.5.4.3',
  email: '1.2.840.113549.1.9.1',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocsp: '1.3.6.1.5.5.7.48.1',
  subjectKeyIdentifier: '2.5.29.14',
} as const;

export const EXTENDED_KEY_USAGE = {
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

/** Key usage bits, RFC 5280 §4.2.1.3. */
export const KEY_USAGE_BIT = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

export class ParsedCertificate {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  readonly pkijs: pkijs.Certificate;
  readonly sha256: string;

  private constructor(der: Uint8Array, x509: X509Certificate, parsed: pkijs.Certificate) {
    this.der = der;
    this.x509 = x509;
    this.pkijs = parsed;
    this.sha256 = createHash('sha256').update(der).digest('hex');
  }

  /** Undefined when either parser refuses the bytes. */
  static parse(der: Uint8Array): ParsedCertificate | undefined {
    try {
      const bytes = new Uint8Array(der);
      return new ParsedCertificate(bytes, new X509Certificate(bytes), pkijs.Certificate.fromBER(bytes));
    } catch {
      return undefined;
    }
  }

  get publicKey(): KeyObject {
    return this.x509.publicKey;
  }

  get notBefore(): Date {
    return new Date(this.x509.validFrom);
  }

  get notAfter(): Date {
    return new Date(this.x509.validTo);
  }

  get subjectDer(): Buffer {
    return Buffer.from(this.pkijs.subject.toSchema().toBER());
  }

  get issuerDer(): Buffer {
    return Buffer.from(this.pkijs.issuer.toSchema().toBER());
  }

  get serialHex(): string {
    return this.x509.serialNumber.toUpperCase();
  }

  get isSelfIssued(): boolean {
    return this.subjectDer.equals(this.issuerDer);
  }

  get commonName(): string | undefined {
    return attributeOf(this.pkijs.subject, OID.commonName);
  }

  get displayName(): string {
    return this.commonName ?? oneLine(this.x509.subject);
  }

  summary(): CertificateSummary {
    const email =
      attributeOf(this.pkijs.subject, OID.email) ?? this.x509.subjectAltName?.match(/email:([^,\s]+)/)?.[1];
    const commonName = this.commonName;
    return {
      subject: oneLine(this.x509.subject),
      ...(commonName ? { commonName } : {}),
      ...(email ? { email } : {}),
      issuer: oneLine(this.x509.issuer),
      serialNumber: this.serialHex,
      notBefore: this.notBefore.toISOString(),
      notAfter: this.notAfter.toISOString(),
      sha256: this.sha256,
    };
  }

  /** Set key usage bits, or undefined when the extension is absent (RFC 5280 §4.2.1.3). */
  keyUsage(): Set<number> | undefined {
    const value = this.extensionValue(OID.keyUsage);
    if (!(value instanceof asn1js.BitString)) return undefined;
    const bytes = value.valueBlock.valueHexView;
    const bits = new Set<number>();
    for (let i = 0; i < bytes.length * 8; i++) {
      if (((bytes[i >> 3] ?? 0) & (0x80 >> (i % 8))) !== 0) bits.add(i);
    }
    return bits;
  }

  /** RFC 5280 §4.2.1.9. */
  basicConstraints(): { ca: boolean; pathLength?: number } {
    const extension = this.pkijs.extensions?.find((e) => e.extnID === OID.basicConstraints);
    const parsed = extension?.parsedValue;
    if (!(parsed instanceof pkijs.BasicConstraints)) return { ca: false };
    const pathLength =
      typeof parsed.pathLenConstraint === 'number'
        ? parsed.pathLenConstraint
        : parsed.pathLenConstraint instanceof asn1js.Integer
          ? parsed.pathLenConstraint.valueBlock.valueDec
          : undefined;
    return { ca: parsed.cA === true, ...(pathLength !== undefined ? { pathLength } : {}) };
  }

  /** Extended key usage OIDs, or undefined when the extension is absent (RFC 5280 §4.2.1.12). */
  extendedKeyUsage(): string[] | undefined {
    const extension = this.pkijs.extensions?.find((e) => e.extnID === OID.extKeyUsage);
    const parsed = extension?.parsedValue;
    return parsed instanceof pkijs.ExtKeyUsage ? parsed.keyPurposes : undefined;
  }

  /** RFC 5280 §4.2.2.1 id-ad-ocsp access locations that are HTTP URLs. */
  ocspUrls(): string[] {
    const extension = this.pkijs.extensions?.find((e) => e.extnID === OID.authorityInfoAccess);
    const parsed = extension?.parsedValue;
    if (!(parsed instanceof pkijs.InfoAccess)) return [];
    return parsed.accessDescriptions
      .filter((d) => d.accessMethod === OID.ocsp && d.accessLocation.type === 6)
      .map((d) => String(d.accessLocation.value))
      .filter(isHttpUrl);
  }

  /** RFC 5280 §4.2.1.13 full-name distribution points that are HTTP URLs. */
  crlUrls(): string[] {
    const extension = this.pkijs.extensions?.find((e) => e.extnID === OID.crlDistributionPoints);
    const parsed = extension?.parsedValue;
    if (!(parsed instanceof pkijs.CRLDistributionPoints)) return [];
    const urls: string[] = [];
    for (const point of parsed.distributionPoints) {
      const names = Array.isArray(point.distributionPoint) ? point.distributionPoint : [];
      for (const name of names) {
        if (name instanceof pkijs.GeneralName && name.type === 6) urls.push(String(name.value));
      }
    }
    return urls.filter(isHttpUrl);
  }

  /** Whether `issuer`'s key signed this certificate and the names chain. */
  isIssuedBy(issuer: ParsedCertificate): boolean {
    if (!this.issuerDer.equals(issuer.subjectDer)) return false;
    try {
      return this.x509.verify(issuer.publicKey);
    } catch {
      return false;
    }
  }

  private extensionValue(oid: string): asn1js.AsnType | undefined {
    const extension = this.pkijs.extensions?.find((e) => e.extnID === oid);
    if (!extension) return undefined;
    const parsed = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView);
    return parsed.offset === -1 ? undefined : parsed.result;
  }
}

function attributeOf(name: pkijs.RelativeDistinguishedNames, oid: string): string | undefined {
  const value = name.typesAndValues.find((tv) => tv.type === oid)?.value;
  const text = (value as { valueBlock?: { value?: unknown } } | undefined)?.valueBlock?.value;
  return typeof text === 'string' ? text : undefined;
}

/** Node prints names one attribute per line; reports want `CN=…, O=…`. */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).reverse().join(', ');
}

function isHttpUrl(value: string): boolean {
  return /^http:\/\//i.test(value) || /^https:\/\//i.test(value);
}

/** Parses each DER certificate, dropping what does not parse and duplicates. */
export function parseCertificates(ders: Iterable<Uint8Array>): ParsedCertificate[] {
  const byHash = new Map<string, ParsedCertificate>();
  for (const der of ders) {
    const parsed = ParsedCertificate.parse(der);
    if (parsed && !byHash.has(parsed.sha256)) byHash.set(parsed.sha256, parsed);
  }
  return [...byHash.values()];
}
