import { SignetError } from '../errors.ts';
import { appendDss, embeddedSignatures } from './incremental/dss.ts';
import { PdfBuffer } from './incremental/pdfBuffer.ts';
import { appendSignatureRevision } from './incremental/signatureRevision.ts';
import {
  ARCHIVE_TIMESTAMP_FIELD,
  TIMESTAMP_CONTENTS_BYTES,
  type TimestampAuthority,
  tokenCertificates,
  type ValidationDataSource,
} from './pades.ts';

/*
 * Archive renewal (ETSI EN 319 142-1 §5.5, EN 319 102-1 §5.6.3; issue #13): a document
 * time-stamp proves the file's content only while its TSA's certificates hold. Before the newest
 * one's expire, the validation data of that time-stamp's chain — good now — goes into the /DSS,
 * and a new document time-stamp is made over everything, from a TSA whose certificates last
 * longer. Both are incremental updates: nothing before them changes, every earlier signature and
 * time-stamp keeps verifying, and the chain of proof grows by one link.
 */

export interface RenewalServices {
  tsa: TimestampAuthority;
  validationData: ValidationDataSource;
}

/** The file with fresh validation data and a new document time-stamp appended. */
export async function renewArchiveTimestamp(pdf: Uint8Array, services: RenewalServices): Promise<Uint8Array> {
  const timestamps = embeddedSignatures(pdf).filter((s) => s.kind === 'document-timestamp');
  const newest = timestamps.at(-1);
  if (!newest) {
    throw new SignetError(
      'ARCHIVE_NOT_RENEWABLE',
      'The file has no document time-stamp to renew: only PAdES B-LTA files are renewed',
    );
  }
  const target = PdfBuffer.copyOf(pdf);
  const material = await services.validationData.collect(tokenCertificates(newest.contents));
  appendDss(target, [{ ...material, signatureContents: newest.contents }]);
  return appendSignatureRevision(
    target,
    {
      kind: 'document-timestamp',
      fieldName: `${ARCHIVE_TIMESTAMP_FIELD} ${timestamps.length + 1}`,
      contentsBytes: TIMESTAMP_CONTENTS_BYTES,
    },
    (digest) => services.tsa.timestamp(digest),
  );
}
