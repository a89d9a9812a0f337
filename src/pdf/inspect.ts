import { EncryptedPDFError, PDFArray, type PDFDocument, PDFNumber, type PDFPage } from 'pdf-lib';
import { SignetError } from '../errors.ts';
import { normalizeRect, normalizeRotation, type UserRect, visibleRect } from './composeGeometry.ts';
import { documentDocMdpPermission } from './docMdp.ts';
import { carriesSignature, openPdfFile } from './incremental/pdfFile.ts';
import { loadPdfDocument } from './limits/meteredLoad.ts';
import { PdfBudget, PdfTooComplexError } from './limits/pdfBudget.ts';

/*
 * The gate every PDF passes before Signet works on it: is it a PDF at all (400), and can we
 * process it (422)? Each refusal carries a stable code the UI can explain to the uploader.
 */

export interface PageGeometry {
  /** Width of the visible area (CropBox, else MediaBox) in points, before /Rotate is applied. */
  width: number;
  /** Height of the visible area in points, before /Rotate is applied. */
  height: number;
  /** Clockwise rotation at display time: 0, 90, 180 or 270. */
  rotation: 0 | 90 | 180 | 270;
}

export interface UploadedPdfInfo {
  pageCount: number;
  pages: PageGeometry[];
}

/** ISO 32000-1 §7.5.2 puts the header first; readers (Acrobat included) accept it within the first 1024 bytes. */
const HEADER_WINDOW = 1024;
/** §7.5.5: the file ends with `startxref`, the offset and `%%EOF`; we tolerate trailing junk as readers do. */
const TRAILER_WINDOW = 1024;

export async function inspectUploadedPdf(
  bytes: Uint8Array,
  budget: PdfBudget = new PdfBudget(),
): Promise<UploadedPdfInfo> {
  const document = await openPdf(bytes, budget);
  // A signed upload is later extended in place (compose.ts), which needs its cross-reference
  // data and page tree as written; pdf-lib reads past a broken table, so check them here, or
  // the file would be refused only at sealing, after everyone has signed.
  if (carriesSignature(bytes)) {
    openPdfFile(bytes, budget).pageRefs();
    refuseCertifiedAgainstCompletion(document);
  }
  const pages = document.getPages().map((page, index) => pageGeometry(page, index));
  return { pageCount: pages.length, pages };
}

/**
 * A certified document (DocMDP, ISO 32000-1 §12.8.2.2) at permission 1 allows no change and at
 * 2 no annotation; completing it adds the field values as annotations and attaches the
 * certificate of completion (compose.ts), so its certification would report a disallowed
 * change. Refused at upload, before anyone signs, rather than breaking it at the end.
 */
function refuseCertifiedAgainstCompletion(document: PDFDocument): void {
  const permission = documentDocMdpPermission(document);
  if (permission === 1 || permission === 2) {
    const allows = permission === 1 ? 'no changes at all' : 'only form filling and signatures';
    throw new SignetError(
      'PDF_CERTIFIED',
      `the document is certified (DocMDP level ${permission}) and allows ${allows}; completing it would invalidate that certification. Ask its author for an uncertified copy, or one certified to allow annotations (level 3).`,
    );
  }
}

/**
 * Loads a PDF with pdf-lib after the checks that turn its failure modes into SignetErrors,
 * within `budget` (limits/pdfBudget.ts). Used for uploads, verification and again by compose, so all
 * refuse the same files for the same reasons.
 */
export async function openPdf(bytes: Uint8Array, budget: PdfBudget = new PdfBudget()): Promise<PDFDocument> {
  if (bytes.length === 0) throw new SignetError('PDF_EMPTY', 'the file is empty');
  const text = latin1(bytes);
  if (!text.slice(0, HEADER_WINDOW).includes('%PDF-')) {
    throw new SignetError('PDF_NOT_PDF', 'the file is not a PDF (no %PDF- header)');
  }
  if (!/startxref\s+\d+\s+%%EOF/.test(text.slice(-TRAILER_WINDOW))) {
    throw damaged('the file is truncated: it does not end with startxref and %%EOF');
  }
  if (isEncrypted(text)) throw encrypted();
  budget.checkRevisions(countRevisionEnds(text));
  const document = await loadWithPdfLib(bytes, budget);
  if (countPages(document) === 0) throw damaged('the document has no pages');
  return document;
}

/**
 * An upper bound on the revisions (ISO 32000-1 §7.5.6): every update ends in `startxref N %%EOF`.
 * Counted as text before any parsing, so a file of ten thousand updates costs one scan.
 */
function countRevisionEnds(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(/startxref\s+\d+\s+%%EOF/g)) count += 1;
  return count;
}

async function loadWithPdfLib(bytes: Uint8Array, budget: PdfBudget): Promise<PDFDocument> {
  try {
    return await loadPdfDocument(bytes, budget);
  } catch (error) {
    if (error instanceof PdfTooComplexError) throw error;
    if (error instanceof EncryptedPDFError) throw encrypted();
    // The parser's own message names library internals; it says nothing useful to an uploader.
    throw damaged('the PDF structure cannot be read');
  }
}

function countPages(document: PDFDocument): number {
  try {
    return document.getPageCount();
  } catch {
    throw damaged('the page tree cannot be read');
  }
}

/**
 * Looks for /Encrypt in every trailer dictionary and every cross-reference stream dictionary
 * (ISO 32000-1 §7.5.4, §7.5.8.2) by scanning the raw bytes. pdf-lib cannot be asked: with
 * object streams the encrypted streams make it fail before it reports `isEncrypted`.
 */
function isEncrypted(text: string): boolean {
  return trailerDictionaries(text).some((dictionary) => /\/Encrypt(?![A-Za-z0-9])/.test(dictionary));
}

function trailerDictionaries(text: string): string[] {
  const dictionaries: string[] = [];
  for (const match of text.matchAll(/trailer([\s\S]*?)startxref/g)) dictionaries.push(match[1] ?? '');
  for (const match of text.matchAll(/\/Type\s*\/XRef(?![A-Za-z0-9])/g)) {
    // The dictionary of an XRef stream object lies between its `obj` keyword and `stream`.
    const objStart = text.lastIndexOf('obj', match.index);
    const streamStart = text.indexOf('stream', match.index);
    if (objStart !== -1 && streamStart !== -1) dictionaries.push(text.slice(objStart, streamStart));
  }
  return dictionaries;
}

function pageGeometry(page: PDFPage, index: number): PageGeometry {
  const mediaBox = rectangle(readOrUndefined(() => page.node.MediaBox()));
  if (!mediaBox) throw damaged(`page ${index + 1} has no valid MediaBox`);
  const cropBox = rectangle(readOrUndefined(() => page.node.CropBox()));
  // The same rules compose.ts places fields by, so a field accepted now is placeable at sealing.
  const visible = visibleRect(mediaBox, cropBox);
  return {
    width: visible.width,
    height: visible.height,
    rotation: normalizeRotation(readOrUndefined(() => page.node.Rotate())?.asNumber() ?? 0),
  };
}

/** pdf-lib throws when an entry has the wrong type; for a page attribute that means "not usable". */
function readOrUndefined<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** §7.9.5: any two diagonally opposite corners, in either order. */
function rectangle(array: PDFArray | undefined): UserRect | undefined {
  if (!(array instanceof PDFArray) || array.size() !== 4) return undefined;
  const values = array.asArray().map((_, i) => array.lookupMaybe(i, PDFNumber)?.asNumber());
  const [x1, y1, x2, y2] = values;
  if (x1 === undefined || y1 === undefined || x2 === undefined || y2 === undefined) return undefined;
  const box = normalizeRect({ x: x1, y: y1, width: x2 - x1, height: y2 - y1 });
  return box.width > 0 && box.height > 0 ? box : undefined;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function damaged(detail: string): SignetError {
  return new SignetError('PDF_DAMAGED', detail);
}

function encrypted(): SignetError {
  return new SignetError(
    'PDF_ENCRYPTED',
    'the PDF is encrypted or password-protected; upload it unprotected',
  );
}
