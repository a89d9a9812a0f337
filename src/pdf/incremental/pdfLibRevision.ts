import { createHash } from 'node:crypto';
import type { PDFDocument, PDFObject } from 'pdf-lib';
import { SignetError } from '../../errors.ts';
import { loadPdfDocument } from '../limits/meteredLoad.ts';
import { PdfBudget, PdfTooComplexError } from '../limits/pdfBudget.ts';
import { IncrementalUpdate, serialize } from './incrementalUpdate.ts';
import { openPdfFile } from './pdfFile.ts';

/*
 * Edits made with pdf-lib's document API, saved as one incremental update (ISO 32000-1 §7.5.6)
 * instead of a rewritten file, so signatures already in the file keep verifying.
 *
 * Hand-written because pdf-lib cannot save incrementally: `PDFDocument.save()` always writes
 * the whole file anew (new offsets, new cross-reference table, objects re-serialised), which
 * changes the bytes every earlier /ByteRange covers. pdf-lib does keep the object numbers of the
 * objects it loaded, though, so the edit can be expressed as "these objects changed, these are
 * new": every object's serialisation is hashed before the edit and compared after it, and only
 * the differing and the new ones go into the update. Unchanged objects are never written again,
 * the trailer keeps /Root, /Info and /ID, and /Prev chains to the original's last section.
 *
 * Objects the edit deletes from pdf-lib's context are left in the file, unreferenced: a free
 * entry would say the same thing at more risk, and nothing reads an object no one refers to.
 */

/** Loads `original`, runs `edit` on it, and appends what the edit changed as an incremental update. */
export async function saveIncrementally(
  original: Uint8Array,
  edit: (document: PDFDocument) => Promise<void>,
  budget: PdfBudget = new PdfBudget(),
): Promise<Uint8Array> {
  // The lazy reader checks the structure the update must chain to (PDF_DAMAGED, PDF_ENCRYPTED).
  const file = openPdfFile(original, budget);
  const document = await loadForEditing(original, budget);
  // pdf-lib numbers new objects after the largest number it parsed, but it never registers
  // object streams, cross-reference streams or objects it skipped: one of those may hold the
  // last number below /Size. New objects must lie at or past /Size (ISO 32000-1 §7.5.6).
  document.context.largestObjectNumber = Math.max(document.context.largestObjectNumber, file.size - 1);
  const before = snapshot(document);

  await edit(document);
  // Fonts, images and embedded pages are written into the context only when flushed.
  await document.flush();

  const update = new IncrementalUpdate(file);
  let changes = 0;
  for (const [ref, object] of document.context.enumerateIndirectObjects()) {
    const previous = before.get(ref.objectNumber);
    if (previous === undefined && ref.objectNumber < file.size) {
      // Only possible if pdf-lib reused a number the file already has: writing it would
      // silently replace an object some earlier revision (or signature) relies on.
      throw new Error(`pdf-lib allocated object ${ref.objectNumber}, below the file's /Size ${file.size}`);
    }
    if (previous !== undefined && previous === digest(object)) continue;
    update.set(ref, object);
    changes += 1;
  }
  if (changes === 0) return original;
  return update.write().bytes;
}

async function loadForEditing(original: Uint8Array, budget: PdfBudget): Promise<PDFDocument> {
  try {
    return await loadPdfDocument(original, budget);
  } catch (error) {
    if (error instanceof PdfTooComplexError) throw error;
    // The lazy reader accepted the structure, so this is an object pdf-lib cannot parse; its own
    // message names library internals and tells the uploader nothing.
    throw new SignetError('PDF_DAMAGED', 'the PDF is damaged: its objects cannot be read');
  }
}

function snapshot(document: PDFDocument): Map<number, string> {
  const digests = new Map<number, string>();
  for (const [ref, object] of document.context.enumerateIndirectObjects()) {
    digests.set(ref.objectNumber, digest(object));
  }
  return digests;
}

function digest(object: PDFObject): string {
  return createHash('sha256').update(serialize(object)).digest('base64');
}
