import { createHash } from 'node:crypto';
import type * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { ParsedCertificate } from './certificates.ts';
import { type CmsVerification, DIGEST_ALGORITHMS, verifyCms } from './cmsSignedData.ts';
import { type Finding, finding } from './report.ts';

/*
 * RFC 3161 time-stamp tokens: a SignedData whose content is a TSTInfo (§2.4.2). Used twice in
 * PAdES: as the signature-time-stamp unsigned attribute over a SignerInfo's signature value
 * (EN 319 122-1 §5.3, RFC 3161 Appendix A) and as a document time-stamp over a revision's
 * ByteRange content (ISO 32000-2 §12.8.5, SubFilter ETSI.RFC3161).
 */

export const ID_CT_TSTINFO = '1.2.840.113549.1.9.16.1.4';

export interface TimestampToken {
  genTime: Date;
  tsaName: string;
  /** The hash of the message imprint (`sha256`…), or its OID when unknown. */
  imprintAlgorithm: string;
  imprintMatches: boolean;
  /** The TSA's CMS signature and its signed attributes verify. */
  signatureValid: boolean;
  tsaCertificate?: ParsedCertificate;
  cms: CmsVerification;
  findings: Finding[];
}

/**
 * Parses and checks a token against the data its imprint should cover. The TSA's certificate
 * path is left to the caller (it needs the trust anchors and the DSS).
 */
export function checkTimestampToken(
  tokenDer: Uint8Array,
  imprinted: Uint8Array,
): TimestampToken | { malformed: Finding } {
  const cms = verifyCms(tokenDer);
  if ('malformed' in cms) {
    return {
      malformed: finding('TIMESTAMP_MALFORMED', 'error', 'the time-stamp token is not a CMS SignedData'),
    };
  }
  if (cms.eContentType !== ID_CT_TSTINFO || !cms.eContent) {
    return {
      malformed: finding('TIMESTAMP_MALFORMED', 'error', 'the time-stamp token does not hold a TSTInfo'),
    };
  }
  let info: pkijs.TSTInfo;
  try {
    info = pkijs.TSTInfo.fromBER(cms.eContent);
  } catch {
    return { malformed: finding('TIMESTAMP_MALFORMED', 'error', 'the TSTInfo cannot be parsed') };
  }
  const findings = cms.findings.map((f) => ({
    ...f,
    code: `TIMESTAMP_${f.code}`,
    message: `time-stamp: ${f.message}`,
  }));
  const hash = DIGEST_ALGORITHMS[info.messageImprint.hashAlgorithm.algorithmId];
  let imprintMatches = false;
  if (!hash) {
    findings.push(
      finding(
        'TIMESTAMP_IMPRINT_ALGORITHM',
        'error',
        `the time-stamp imprint uses unsupported hash ${info.messageImprint.hashAlgorithm.algorithmId}`,
      ),
    );
  } else {
    const expected = createHash(hash).update(imprinted).digest();
    imprintMatches = expected.equals(Buffer.from(info.messageImprint.hashedMessage.valueBlock.valueHexView));
    if (!imprintMatches) {
      findings.push(
        finding(
          'TIMESTAMP_IMPRINT_MISMATCH',
          'error',
          'the time-stamp imprint does not match the data it should cover',
        ),
      );
    }
  }
  const tsaCertificate = cms.signerCertificate;
  return {
    genTime: info.genTime,
    imprintAlgorithm: hash ?? info.messageImprint.hashAlgorithm.algorithmId,
    tsaName: tsaNameOf(info) ?? tsaCertificate?.displayName ?? 'unknown TSA',
    imprintMatches,
    signatureValid: cms.signatureValid && cms.digestMatches,
    ...(tsaCertificate ? { tsaCertificate } : {}),
    cms,
    findings,
  };
}

/** TSTInfo `tsa` [0] GeneralName, when it is a directoryName or a URI. */
function tsaNameOf(info: pkijs.TSTInfo): string | undefined {
  const name = info.tsa;
  if (!name) return undefined;
  if (name.type === 4 && name.value instanceof pkijs.RelativeDistinguishedNames) {
    const cn = name.value.typesAndValues.find((tv) => tv.type === '2.5.4.3');
    const value = (cn?.value as asn1js.Utf8String | undefined)?.valueBlock?.value;
    if (typeof value === 'string') return value;
    return name.value.typesAndValues
      .map((tv) => (tv.value as asn1js.Utf8String).valueBlock?.value)
      .filter((v): v is string => typeof v === 'string')
      .join(', ');
  }
  if (name.type === 6 || name.type === 2) return String(name.value);
  return undefined;
}
