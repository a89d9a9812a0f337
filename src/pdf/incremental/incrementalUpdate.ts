import { PDFArray, PDFDict, PDFInvalidObject, PDFNumber, type PDFObject, PDFRef, PDFStream } from 'pdf-lib';
import type { PdfBuffer } from './pdfBuffer.ts';
import type { PdfFile } from './pdfFile.ts';
import { pdfName } from './pdfName.ts';

/*
 * An incremental update (ISO 32000-1 §7.5.6): the original bytes, untouched, followed by the
 * new and changed objects, a cross-reference section listing only them, and a trailer whose
 * /Prev points at the previous section. Nothing before the original %%EOF changes, so every
 * earlier signature keeps verifying.
 *
 * Written by hand because neither pdf-lib (always rewrites the whole file) nor @libpdf/core
 * (always adds a CMS signing-time, and parses the whole file first) fits; see pdfFile.ts.
 */

/** Raw bytes of an object body (between "n g obj" and "endobj"), for callers that need byte positions. */
export interface RawObject {
  readonly raw: Uint8Array;
}

export interface WrittenUpdate {
  /** The whole file: the original bytes, then the update. */
  bytes: Uint8Array;
  /** Where each written object's body starts in `bytes`. */
  bodyOffsets: Map<number, number>;
}

export class IncrementalUpdate {
  readonly file: PdfFile;
  readonly #objects = new Map<number, PDFObject | RawObject>();
  #nextNumber: number;

  constructor(file: PdfFile) {
    this.file = file;
    this.#nextNumber = file.size;
  }

  /** A new object number, past everything in the file and in this update. */
  allocate(): PDFRef {
    const ref = PDFRef.of(this.#nextNumber);
    this.#nextNumber += 1;
    return ref;
  }

  /** Adds a new object or replaces an existing one (same number, generation 0 or as it was). */
  set(ref: PDFRef, object: PDFObject | RawObject): void {
    this.#objects.set(ref.objectNumber, object);
    // A number chosen elsewhere (pdf-lib's context) still raises /Size and the next allocation,
    // or the trailer would understate the file and an xref stream would take a used number.
    this.#nextNumber = Math.max(this.#nextNumber, ref.objectNumber + 1);
  }

  /** A new indirect object. */
  add(object: PDFObject | RawObject): PDFRef {
    const ref = this.allocate();
    this.set(ref, object);
    return ref;
  }

  /** The object as this update will leave it: the changed copy if there is one, else the file's. */
  current(ref: PDFRef): PDFObject | undefined {
    const changed = this.#objects.get(ref.objectNumber);
    if (changed && !isRaw(changed)) return changed;
    return this.file.lookup(ref);
  }

  /** A copy of a dictionary that can be changed and then `set` back. */
  editableDict(ref: PDFRef): PDFDict | undefined {
    const object = this.current(ref);
    return object instanceof PDFDict ? object.clone(this.file.context) : undefined;
  }

  /** The update after a copy of the file, in a new array sized for both (one copy of the file). */
  write(): WrittenUpdate {
    const { chunks, bodyOffsets } = this.#render();
    return { bytes: concat([this.file.bytes, ...chunks]), bodyOffsets };
  }

  /**
   * The update appended to `target` in place (see PdfBuffer: no copy of the file while its
   * headroom lasts). `target` must hold exactly the bytes this update's file was opened on.
   */
  appendTo(target: PdfBuffer): WrittenUpdate {
    if (target.length !== this.file.bytes.length) {
      throw new Error('the incremental update was built on other bytes than the ones it is appended to');
    }
    const { chunks, bodyOffsets } = this.#render();
    return { bytes: target.append(chunks), bodyOffsets };
  }

  /** The update's bytes, as chunks to follow the file's, and where each object's body starts. */
  #render(): { chunks: Uint8Array[]; bodyOffsets: Map<number, number> } {
    const original = this.file.bytes;
    const chunks: Uint8Array[] = [];
    let length = original.length;
    const push = (chunk: Uint8Array) => {
      chunks.push(chunk);
      length += chunk.length;
    };
    // The original may end without an end-of-line after %%EOF (§7.5.5 allows it).
    const last = original[original.length - 1];
    if (last !== 0x0a && last !== 0x0d) push(ascii('\n'));

    const offsets = new Map<number, number>();
    const bodyOffsets = new Map<number, number>();
    const numbers = [...this.#objects.keys()].sort((a, b) => a - b);
    for (const number of numbers) {
      const object = this.#objects.get(number);
      if (!object) continue;
      const generation = this.#generationOf(number);
      offsets.set(number, length);
      const header = ascii(`${number} ${generation} obj\n`);
      push(header);
      bodyOffsets.set(number, length);
      push(isRaw(object) ? object.raw : serialize(object));
      push(ascii('\nendobj\n'));
    }

    const size = Math.max(this.#nextNumber, this.file.size);
    const xrefOffset = length;
    if (this.file.lastXrefIsStream) {
      // §7.5.8: a file whose newest section is an xref stream gets an xref stream again, so
      // readers that follow one kind of section only are not misled.
      const streamNumber = size;
      offsets.set(streamNumber, xrefOffset);
      push(this.#xrefStream(streamNumber, offsets, size + 1));
    } else {
      push(this.#xrefTable(offsets, size));
    }
    push(ascii(`startxref\n${xrefOffset}\n%%EOF\n`));
    return { chunks, bodyOffsets };
  }

  #generationOf(number: number): number {
    const entry = this.file.xref.get(number);
    return entry?.kind === 'offset' ? entry.generation : 0;
  }

  #trailerEntries(size: number): PDFDict {
    const trailer = PDFDict.withContext(this.file.context);
    trailer.set(pdfName('Size'), PDFNumber.of(size));
    for (const key of ['Root', 'Info', 'ID']) {
      const value = this.file.trailer.get(pdfName(key));
      if (value) trailer.set(pdfName(key), value);
    }
    trailer.set(pdfName('Prev'), PDFNumber.of(this.file.lastXrefOffset));
    return trailer;
  }

  /** §7.5.4: one subsection per run of consecutive numbers, 20-byte entries. */
  #xrefTable(offsets: Map<number, number>, size: number): Uint8Array {
    let text = 'xref\n';
    for (const run of consecutiveRuns([...offsets.keys()].sort((a, b) => a - b))) {
      text += `${run[0]} ${run.length}\n`;
      for (const number of run) {
        text += `${String(offsets.get(number)).padStart(10, '0')} ${String(this.#generationOf(number)).padStart(5, '0')} n\r\n`;
      }
    }
    text += 'trailer\n';
    return concat([ascii(text), serialize(this.#trailerEntries(size)), ascii('\n')]);
  }

  /** §7.5.8: an uncompressed xref stream with /W [1 4 2] — small, and needs no predictor. */
  #xrefStream(streamNumber: number, offsets: Map<number, number>, size: number): Uint8Array {
    const sorted = [...offsets.keys()].sort((a, b) => a - b);
    const runs = consecutiveRuns(sorted);
    const data = Buffer.alloc(sorted.length * 7);
    let position = 0;
    for (const number of sorted) {
      data.writeUInt8(1, position);
      data.writeUInt32BE(offsets.get(number) ?? 0, position + 1);
      data.writeUInt16BE(number === streamNumber ? 0 : this.#generationOf(number), position + 5);
      position += 7;
    }
    const dict = this.#trailerEntries(size);
    dict.set(pdfName('Type'), pdfName('XRef'));
    dict.set(pdfName('W'), numberArray(this.file, [1, 4, 2]));
    dict.set(
      pdfName('Index'),
      numberArray(
        this.file,
        runs.flatMap((run) => [run[0] ?? 0, run.length]),
      ),
    );
    dict.set(pdfName('Length'), PDFNumber.of(data.length));
    return concat([
      ascii(`${streamNumber} 0 obj\n`),
      serialize(dict),
      ascii('\nstream\n'),
      data,
      ascii('\nendstream\nendobj\n'),
    ]);
  }
}

function isRaw(object: PDFObject | RawObject): object is RawObject {
  return 'raw' in object && object.raw instanceof Uint8Array;
}

/**
 * An object's bytes. pdf-lib's objects also write themselves as their PDF syntax through
 * toString, in one pass and by string concatenation: a third of the time sizeInBytes followed
 * by copyBytesInto takes for a page's dictionary. A stream's binary contents would be widened
 * to a string a byte at a time, and an object pdf-lib could not parse (PDFInvalidObject) names
 * itself in toString instead of giving its bytes, so those two keep copyBytesInto.
 */
export function serialize(object: PDFObject): Uint8Array {
  if (!(object instanceof PDFStream) && !(object instanceof PDFInvalidObject)) {
    return Buffer.from(object.toString(), 'latin1');
  }
  const buffer = new Uint8Array(object.sizeInBytes());
  object.copyBytesInto(buffer, 0);
  return buffer;
}

function numberArray(file: PdfFile, values: number[]): PDFArray {
  const array = PDFArray.withContext(file.context);
  for (const value of values) array.push(PDFNumber.of(value));
  return array;
}

function consecutiveRuns(sorted: number[]): number[][] {
  const runs: number[][] = [];
  for (const number of sorted) {
    const run = runs.at(-1);
    if (run && run.at(-1) === number - 1) run.push(number);
    else runs.push([number]);
  }
  return runs;
}

export function ascii(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks);
}
