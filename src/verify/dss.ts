import {
  PDFArray,
  PDFDict,
  type PDFDocument,
  PDFName,
  type PDFObject,
  PDFRawStream,
  PDFStream,
} from 'pdf-lib';
import { type PdfBudget, PdfTooComplexError } from '../pdf/limits/pdfBudget.ts';
import { decodeStreamWithin } from '../pdf/limits/streamDecoding.ts';

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

/**
 * The DSS's entries, each decoded within `budget` (a stream that would pass its limits refuses
 * the file); an entry that cannot be decoded is left out, and whatever needed it is reported
 * as missing.
 */
export function readDss(document: PDFDocument, budget: PdfBudget): DocumentSecurityStore | undefined {
  const dss = document.catalog.lookupMaybe(PDFName.of('DSS'), PDFDict);
  if (!dss) return undefined;
  return {
    certificates: streamsOf(document, dss, 'Certs', budget),
    ocspResponses: streamsOf(document, dss, 'OCSPs', budget),
    crls: streamsOf(document, dss, 'CRLs', budget),
  };
}

function streamsOf(document: PDFDocument, dss: PDFDict, key: string, budget: PdfBudget): Uint8Array[] {
  const array = dss.lookupMaybe(PDFName.of(key), PDFArray);
  const contents: Uint8Array[] = [];
  for (const item of array?.asArray() ?? []) {
    const bytes = streamBytes(document.context.lookup(item), budget);
    if (bytes) contents.push(bytes);
  }
  return contents;
}

function streamBytes(object: PDFObject | undefined, budget: PdfBudget): Uint8Array | undefined {
  if (!(object instanceof PDFStream)) return undefined;
  try {
    return object instanceof PDFRawStream ? decodeStreamWithin(object, budget) : object.getContents();
  } catch (error) {
    if (error instanceof PdfTooComplexError) throw error;
    return undefined;
  }
}
