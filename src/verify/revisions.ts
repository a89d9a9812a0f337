import type { PDFDocument } from 'pdf-lib';
import { loadPdfDocument } from '../pdf/limits/meteredLoad.ts';
import { type PdfBudget, PdfTooComplexError } from '../pdf/limits/pdfBudget.ts';

/*
 * A PDF grows by incremental updates (ISO 32000-1 §7.5.6): each update appends objects, a
 * cross-reference section and a trailer ending in `startxref <offset> %%EOF`. Every such end
 * closes a revision, and the file up to it is a complete PDF: the document as it was then.
 * A signature signs one revision (its ByteRange ends at that revision's end); what the
 * revisions after it changed is what diff analysis judges.
 */

export interface RevisionBoundary {
  /** Offset just after `%%EOF`. */
  eofEnd: number;
  /** Offset after `%%EOF` and the end-of-line that may follow it. */
  end: number;
}

/**
 * Every `startxref N %%EOF` whose offset N points at a cross-reference table (`xref`) or a
 * cross-reference stream object (`n g obj`) inside the prefix — so a `%%EOF` that merely occurs
 * inside a stream (an embedded PDF, say) does not count as a revision end.
 */
export function findRevisionBoundaries(pdf: Uint8Array): RevisionBoundary[] {
  const text = latin1(pdf);
  const boundaries: RevisionBoundary[] = [];
  for (const match of text.matchAll(/startxref\s+(\d{1,15})\s+%%EOF/g)) {
    const eofEnd = (match.index ?? 0) + match[0].length;
    const offset = Number(match[1]);
    if (!pointsAtCrossReference(text, offset, eofEnd)) continue;
    boundaries.push({ eofEnd, end: eofEnd + endOfLineLength(text, eofEnd) });
  }
  return boundaries;
}

function pointsAtCrossReference(text: string, offset: number, limit: number): boolean {
  if (offset >= limit) return false;
  const head = text.slice(offset, offset + 32);
  return /^\s*xref/.test(head) || /^\s*\d+\s+\d+\s+obj/.test(head);
}

function endOfLineLength(text: string, at: number): number {
  if (text.startsWith('\r\n', at)) return 2;
  if (text[at] === '\n' || text[at] === '\r') return 1;
  return 0;
}

/**
 * The 0-based index of the revision a signed range ending at `signedEnd` covers, when it ends
 * exactly at a revision's end (with or without the end-of-line after `%%EOF`).
 */
export function revisionEndingAt(boundaries: RevisionBoundary[], signedEnd: number): number | undefined {
  const index = boundaries.findIndex((b) => signedEnd >= b.eofEnd && signedEnd <= b.end);
  return index === -1 ? undefined : index;
}

/**
 * Parses every revision as the complete PDF it was. pdf-lib reads all objects in file order,
 * object streams included, and a later definition replaces an earlier one — exactly the
 * incremental-update semantics. Returns undefined for a revision that cannot be parsed. Every
 * parse is charged to `budget`: a file is read once per revision, so the limits bound the sum.
 */
export async function loadRevisions(
  pdf: Uint8Array,
  boundaries: RevisionBoundary[],
  budget: PdfBudget,
): Promise<(PDFDocument | undefined)[]> {
  const documents: (PDFDocument | undefined)[] = [];
  for (const boundary of boundaries) {
    documents.push(await loadPrefix(pdf.subarray(0, boundary.end), budget));
  }
  return documents;
}

async function loadPrefix(prefix: Uint8Array, budget: PdfBudget): Promise<PDFDocument | undefined> {
  try {
    return await loadPdfDocument(prefix, budget);
  } catch (error) {
    if (error instanceof PdfTooComplexError) throw error;
    return undefined;
  }
}

export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
