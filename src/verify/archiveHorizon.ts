import type { PDFDocument } from 'pdf-lib';
import { CMS_OID } from '../pdf/cms.ts';
import { openPdf } from '../pdf/inspect.ts';
import { PdfBudget, type PdfLimits } from '../pdf/limits/pdfBudget.ts';
import { buildPath } from './certificatePath.ts';
import { type ParsedCertificate, parseCertificates } from './certificates.ts';
import { verifyCms } from './cmsSignedData.ts';
import { readDss } from './dss.ts';
import { pathExpiry } from './longTerm.ts';
import type { CertificateSummary } from './report.ts';
import { readSignatureDictionary, readSignedBytes, signatureFieldsOf } from './signatureFields.ts';
import { checkTimestampToken, type TimestampToken } from './timestamps.ts';

/*
 * How long a file stays provable without a new archive time-stamp (ETSI EN 319 102-1 §5.6.3:
 * a time-stamp proves its time only while its TSA's path holds). What an archive renewal job
 * needs to decide whether a file is due: the newest document time-stamp's earliest certificate
 * expiry and the algorithms it rests on. Only reads the file: no verdict, no trust decision.
 */

export interface ArchiveHorizon {
  /**
   * The time-stamp that keeps the file provable: the newest document time-stamp or, in a file
   * without one (B-T, B-LT), the signature time-stamp whose path expires first.
   */
  kind: 'document-timestamp' | 'signature-timestamp';
  fieldName: string;
  /** The token's genTime. */
  time: Date;
  /** The earliest notAfter in the token's TSA path: renew the archive time-stamp before it. */
  expiresAt: Date;
  /** The certificate that expires at `expiresAt`. */
  expiringCertificate: CertificateSummary;
  /** The hash of the token's message imprint, i.e. of the document (`sha256`…). */
  imprintAlgorithm: string;
  /** The TSA's CMS digest and signature algorithms. */
  digestAlgorithm?: string;
  signatureAlgorithm?: string;
  /** The TSA's path, leaf first, as far as the token, the /DSS and the trust anchors build it. */
  path: CertificateSummary[];
}

export interface ArchiveHorizonOptions {
  /** Roots to end the path at; without them it ends at a self-issued certificate in the file. */
  trustAnchors?: Uint8Array[];
  limits?: Partial<PdfLimits>;
}

interface Candidate {
  kind: ArchiveHorizon['kind'];
  fieldName: string;
  token: TimestampToken;
  signedEnd: number;
}

/** Undefined when the file carries no time-stamp at all. */
export async function archiveHorizon(
  pdf: Uint8Array,
  options: ArchiveHorizonOptions = {},
): Promise<ArchiveHorizon | undefined> {
  const budget = new PdfBudget(options.limits);
  const document = await openPdf(pdf, budget);
  const candidates = timestampsOf(document, pdf);
  const pool = parseCertificates(readDss(document, budget)?.certificates ?? []);
  const anchors = parseCertificates(options.trustAnchors ?? []);
  const horizons = candidates.flatMap((c) => {
    const horizon = horizonOf(c, pool, anchors);
    return horizon ? [{ candidate: c, horizon }] : [];
  });
  const archives = horizons
    .filter((h) => h.candidate.kind === 'document-timestamp')
    .sort((a, b) => b.candidate.signedEnd - a.candidate.signedEnd);
  if (archives[0]) return archives[0].horizon;
  return horizons.sort((a, b) => a.horizon.expiresAt.getTime() - b.horizon.expiresAt.getTime())[0]?.horizon;
}

function timestampsOf(document: PDFDocument, pdf: Uint8Array): Candidate[] {
  const candidates: Candidate[] = [];
  for (const field of signatureFieldsOf(document)) {
    const dictionary = readSignatureDictionary(document, field.signature);
    const signed = readSignedBytes(pdf, dictionary);
    if (!signed.ok) continue;
    const { cms, content, signedEnd } = signed.value;
    if (dictionary.kind === 'document-timestamp') {
      const token = checkTimestampToken(cms, content);
      if (!('malformed' in token))
        candidates.push({ kind: 'document-timestamp', fieldName: field.name, token, signedEnd });
      continue;
    }
    const signature = verifyCms(cms);
    if ('malformed' in signature) continue;
    const attribute = signature.unsignedAttributes.get(CMS_OID.signatureTimeStampToken)?.[0];
    if (!attribute) continue;
    const token = checkTimestampToken(new Uint8Array(attribute.toBER()), signature.signatureValue);
    if (!('malformed' in token))
      candidates.push({ kind: 'signature-timestamp', fieldName: field.name, token, signedEnd });
  }
  return candidates;
}

function horizonOf(
  candidate: Candidate,
  dssCertificates: ParsedCertificate[],
  anchors: ParsedCertificate[],
): ArchiveHorizon | undefined {
  const { token } = candidate;
  if (!token.tsaCertificate) return undefined;
  const path = buildPath(token.tsaCertificate, [...token.cms.certificates, ...dssCertificates], anchors);
  const expiry = pathExpiry(path.certificates);
  if (!expiry) return undefined;
  return {
    kind: candidate.kind,
    fieldName: candidate.fieldName,
    time: token.genTime,
    expiresAt: expiry.expiresAt,
    expiringCertificate: expiry.certificate.summary(),
    imprintAlgorithm: token.imprintAlgorithm,
    ...(token.cms.digestAlgorithm ? { digestAlgorithm: token.cms.digestAlgorithm } : {}),
    ...(token.cms.signatureAlgorithm ? { signatureAlgorithm: token.cms.signatureAlgorithm } : {}),
    path: path.certificates.map((c) => c.summary()),
  };
}
