import {
  decodePDFRawStream,
  PDFArray,
  PDFDict,
  type PDFDocument,
  PDFName,
  type PDFObject,
  PDFRawStream,
  PDFStream,
} from 'pdf-lib';

/*
 * The Document Security Store (ETSI EN 319 142-1 §5.4.2, ISO 32000-2 §12.8.4.3): catalog /DSS
 * with arrays of streams — /Certs (DER certificates), /OCSPs (DER OCSPResponse), /CRLs (DER
 * CRLs) — and /VRI, per-signature subsets keyed by the SHA-1 of the signature's /Contents.
 */

export interface DocumentSecurityStore {
  certificates: Uint8Array[];
  ocspResponses: Uint8Array[];
  crls: Uint8Array[];
}

/** Streams above this size are skipped: no certificate, OCSP response or sane CRL is that large. */
const MAX_DSS_STREAM_BYTES = 16 * 1024 * 1024;

export function readDss(document: PDFDocument): DocumentSecurityStore | undefined {
  const dss = document.catalog.lookupMaybe(PDFName.of('DSS'), PDFDict);
  if (!dss) return undefined;
  return {
    certificates: streamsOf(document, dss, 'Certs'),
    ocspResponses: streamsOf(document, dss, 'OCSPs'),
    crls: streamsOf(document, dss, 'CRLs'),
  };
}

function streamsOf(document: PDFDocument, dss: PDFDict, key: string): Uint8Array[] {
  const array = dss.lookupMaybe(PDFName.of(key), PDFArray);
  const contents: Uint8Array[] = [];
  for (const item of array?.asArray() ?? []) {
    const bytes = streamBytes(document.context.lookup(item));
    if (bytes) contents.push(bytes);
  }
  return contents;
}

function streamBytes(object: PDFObject | undefined): Uint8Array | undefined {
  if (!(object instanceof PDFStream)) return undefined;
  try {
    const bytes = object instanceof PDFRawStream ? decodePDFRawStream(object).decode() : object.getContents();
    return bytes.length <= MAX_DSS_STREAM_BYTES ? bytes : undefined;
  } catch {
    return undefined;
  }
}
