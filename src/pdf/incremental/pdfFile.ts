import { PDFArray, PDFContext, PDFDict, PDFNumber, type PDFObject, PDFRawStream, PDFRef } from 'pdf-lib';
import { SignetError } from '../../errors.ts';
import { PdfBudget, PdfTooComplexError } from '../limits/pdfBudget.ts';
import { decodeStreamWithin } from '../limits/streamDecoding.ts';
import { parsePdfObject } from './objectParser.ts';
import { pdfName } from './pdfName.ts';

/*
 * A lazy, read-only view of a PDF file as it is on disk: the cross-reference chain read from
 * the end of the file (classic tables, cross-reference streams and hybrids, ISO 32000-1
 * §7.5.4, §7.5.8), and objects parsed only when asked for.
 *
 * Why not pdf-lib's loader: it parses every object of the file up front (and ignores the
 * cross-reference data, so it cannot tell which revision an object belongs to), which made a
 * 100-page seal 85 % parsing. An incremental update only needs the trailer, the catalog, the
 * AcroForm and one page. pdf-lib's object model is still used for the objects themselves
 * (parsed by objectParser.ts, which says why not by pdf-lib's parser); only the file structure
 * is read here, because no maintained library exposes it (pdf-lib has no predictor support for
 * xref streams, @libpdf/core parses eagerly).
 */

export type XrefEntry =
  | { kind: 'offset'; offset: number; generation: number }
  | { kind: 'compressed'; streamNumber: number; index: number }
  | { kind: 'free' };

export interface PdfFile {
  readonly bytes: Uint8Array;
  /** pdf-lib context the parsed objects belong to; also used to build new ones. */
  readonly context: PDFContext;
  /** The newest trailer (for an xref stream: its dictionary). */
  readonly trailer: PDFDict;
  /** Byte offset of the newest cross-reference section, for the next update's /Prev. */
  readonly lastXrefOffset: number;
  /** Whether the newest section is a cross-reference stream (an update must then write one too). */
  readonly lastXrefIsStream: boolean;
  /** /Size of the newest trailer: the next free object number. */
  readonly size: number;
  readonly xref: ReadonlyMap<number, XrefEntry>;
  /** What reading this file may cost; whoever decodes one of its streams charges it here. */
  readonly budget: PdfBudget;
  lookup(ref: PDFRef): PDFObject | undefined;
  /** Follows a reference (or returns a direct object as is). */
  resolve(object: PDFObject | undefined): PDFObject | undefined;
  catalogRef(): PDFRef;
  catalog(): PDFDict;
  /** Page object references in document order. */
  pageRefs(): PDFRef[];
  /**
   * The reference of page `index` (0-based), or undefined past the last page. Reads only the
   * page-tree nodes on the way to it, so sealing page 1 of a 3,000-page file parses one page.
   */
  pageRef(index: number): PDFRef | undefined;
}

const TAIL_WINDOW = 2048;

/** ISO 32000-1 §7.5.2 puts the header first; readers accept it within the first 1024 bytes. */
const HEADER_WINDOW = 1024;

/**
 * Opens `bytes` lazily; every stream it decodes (cross-reference and object streams) is charged
 * to `budget`, and the cross-reference chain may be at most twice the revision limit long (a
 * hybrid-reference revision has a table and a stream).
 */
export function openPdfFile(bytes: Uint8Array, budget: PdfBudget = new PdfBudget()): PdfFile {
  // The same codes as the upload gate (inspect.ts), so every entry point refuses alike.
  if (bytes.length === 0) throw new SignetError('PDF_EMPTY', 'the file is empty');
  if (!latin1(bytes, 0, Math.min(bytes.length, HEADER_WINDOW)).includes('%PDF-')) {
    throw new SignetError('PDF_NOT_PDF', 'the file is not a PDF (no %PDF- header)');
  }
  return new LazyPdfFile(bytes, budget);
}

class LazyPdfFile implements PdfFile {
  readonly bytes: Uint8Array;
  readonly context = PDFContext.create();
  readonly trailer: PDFDict;
  readonly lastXrefOffset: number;
  readonly lastXrefIsStream: boolean;
  readonly size: number;
  readonly xref = new Map<number, XrefEntry>();
  readonly #objects = new Map<number, PDFObject | undefined>();
  readonly #objectStreams = new Map<number, { decoded: Uint8Array; offsets: Map<number, number> }>();
  readonly budget: PdfBudget;

  constructor(bytes: Uint8Array, budget: PdfBudget) {
    this.bytes = bytes;
    this.budget = budget;
    this.lastXrefOffset = findStartXref(bytes);
    const sections = this.#readXrefChain(this.lastXrefOffset);
    const newest = sections[0];
    if (!newest) throw damaged('no cross-reference section');
    this.trailer = newest.trailer;
    this.lastXrefIsStream = newest.isStream;
    if (this.trailer.get(pdfName('Encrypt'))) {
      throw new SignetError('PDF_ENCRYPTED', 'the document is encrypted; remove the password first');
    }
    const size = this.trailer.get(pdfName('Size'));
    if (!(size instanceof PDFNumber)) throw damaged('the trailer has no /Size');
    this.size = size.asNumber();
  }

  lookup(ref: PDFRef): PDFObject | undefined {
    if (this.#objects.has(ref.objectNumber)) return this.#objects.get(ref.objectNumber);
    const entry = this.xref.get(ref.objectNumber);
    let object: PDFObject | undefined;
    if (entry?.kind === 'offset') object = this.#parseIndirectAt(entry.offset, ref.objectNumber);
    if (entry?.kind === 'compressed') object = this.#parseCompressed(entry.streamNumber, entry.index, ref);
    this.#objects.set(ref.objectNumber, object);
    return object;
  }

  resolve(object: PDFObject | undefined): PDFObject | undefined {
    return object instanceof PDFRef ? this.lookup(object) : object;
  }

  catalogRef(): PDFRef {
    const root = this.trailer.get(pdfName('Root'));
    if (!(root instanceof PDFRef)) throw damaged('the trailer has no /Root');
    return root;
  }

  catalog(): PDFDict {
    const catalog = this.lookup(this.catalogRef());
    if (!(catalog instanceof PDFDict)) throw damaged('the document catalog is missing');
    return catalog;
  }

  pageRefs(): PDFRef[] {
    const pages: PDFRef[] = [];
    const root = this.catalog().get(pdfName('Pages'));
    const visited = new Set<number>();
    const walk = (node: PDFObject | undefined) => {
      if (!(node instanceof PDFRef) || visited.has(node.objectNumber)) return;
      visited.add(node.objectNumber);
      const dict = this.lookup(node);
      if (!(dict instanceof PDFDict)) return;
      const kids = this.resolve(dict.get(pdfName('Kids')));
      if (kids instanceof PDFArray) {
        for (const kid of kids.asArray()) walk(kid);
      } else {
        pages.push(node);
      }
    };
    walk(root);
    if (pages.length === 0) throw damaged('the document has no pages');
    return pages;
  }

  pageRef(index: number): PDFRef | undefined {
    if (!Number.isInteger(index) || index < 0) return undefined;
    const visited = new Set<number>();
    let node = this.catalog().get(pdfName('Pages'));
    let remaining = index;
    // ISO 32000-1 §7.7.3.2: an intermediate node's /Count is the number of leaves below it.
    // A node whose /Count equals its number of kids has only leaves (or one-leaf subtrees) as
    // kids, so the wanted kid is found by position without parsing its siblings; otherwise the
    // siblings before it are read for their /Count. Any inconsistency falls back to a full walk.
    while (node instanceof PDFRef && !visited.has(node.objectNumber)) {
      visited.add(node.objectNumber);
      const dict = this.lookup(node);
      if (!(dict instanceof PDFDict)) return undefined;
      const kids = this.resolve(dict.get(pdfName('Kids')));
      if (!(kids instanceof PDFArray)) return remaining === 0 ? node : undefined;
      const count = numbers(this.resolve(dict.get(pdfName('Count'))))[0];
      if (count === kids.size()) {
        const candidate = kids.get(remaining);
        const candidateDict = candidate instanceof PDFRef ? this.lookup(candidate) : undefined;
        if (candidateDict instanceof PDFDict && !candidateDict.get(pdfName('Kids')))
          return candidate as PDFRef;
      }
      let next: PDFObject | undefined;
      for (const kid of kids.asArray()) {
        const kidDict = kid instanceof PDFRef ? this.lookup(kid) : undefined;
        if (!(kidDict instanceof PDFDict)) continue;
        const below = kidDict.get(pdfName('Kids'))
          ? (numbers(this.resolve(kidDict.get(pdfName('Count'))))[0] ?? Number.NaN)
          : 1;
        if (!Number.isInteger(below) || below < 0) return this.pageRefs()[index];
        if (remaining < below) {
          next = kid;
          break;
        }
        remaining -= below;
      }
      if (next === undefined) return undefined;
      node = next;
    }
    return undefined;
  }

  /** Newest section first. Entries already seen (from a newer section) win. */
  #readXrefChain(start: number): { trailer: PDFDict; isStream: boolean }[] {
    const sections: { trailer: PDFDict; isStream: boolean }[] = [];
    const visited = new Set<number>();
    let offset: number | undefined = start;
    while (offset !== undefined) {
      if (visited.has(offset)) throw damaged('the cross-reference chain loops');
      visited.add(offset);
      this.budget.checkRevisions(Math.ceil(visited.size / 2));
      const section = this.#readXrefSection(offset);
      sections.push(section);
      const previous = section.trailer.get(pdfName('Prev'));
      offset = previous instanceof PDFNumber ? previous.asNumber() : undefined;
    }
    return sections;
  }

  #readXrefSection(offset: number): { trailer: PDFDict; isStream: boolean } {
    if (offset < 0 || offset >= this.bytes.length)
      throw damaged(`startxref points outside the file (${offset})`);
    const head = latin1(this.bytes, offset, Math.min(this.bytes.length, offset + 32));
    const leading = head.length - head.trimStart().length;
    if (head.trimStart().startsWith('xref')) return this.#readXrefTable(offset + leading + 4);
    const stream = this.#parseIndirectAt(offset, undefined);
    if (!(stream instanceof PDFRawStream) || stream.dict.get(pdfName('Type')) !== pdfName('XRef')) {
      throw damaged(`no cross-reference section at offset ${offset}`);
    }
    this.#addXrefStreamEntries(stream);
    return { trailer: stream.dict, isStream: true };
  }

  /** ISO 32000-1 §7.5.4: subsections of "first count" followed by 20-byte entries, then the trailer. */
  #readXrefTable(position: number): { trailer: PDFDict; isStream: boolean } {
    const trailerAt = indexOf(this.bytes, 'trailer', position);
    if (trailerAt < 0) throw damaged('the cross-reference table has no trailer');
    const table = latin1(this.bytes, position, trailerAt);
    const tokens = table.split(/\s+/).filter((token) => token.length > 0);
    let index = 0;
    while (index < tokens.length) {
      const first = Number(tokens[index]);
      const count = Number(tokens[index + 1]);
      if (!Number.isInteger(first) || !Number.isInteger(count))
        throw damaged('malformed cross-reference table');
      index += 2;
      for (let i = 0; i < count; i++, index += 3) {
        const type = tokens[index + 2];
        const objectNumber = first + i;
        if (this.xref.has(objectNumber)) continue;
        if (type === 'n') {
          const offset = Number(tokens[index]);
          const generation = Number(tokens[index + 1]);
          // §7.5.4: ten and five decimal digits; anything else is not a table a writer made.
          if (!Number.isInteger(offset) || !Number.isInteger(generation) || offset < 0) {
            throw damaged('malformed cross-reference entry');
          }
          this.xref.set(objectNumber, { kind: 'offset', offset, generation });
        } else if (type === 'f') {
          this.xref.set(objectNumber, { kind: 'free' });
        } else {
          throw damaged('malformed cross-reference entry');
        }
      }
    }
    const trailer = this.#parseObjectAt(trailerAt + 'trailer'.length);
    if (!(trailer instanceof PDFDict)) throw damaged('the trailer is not a dictionary');
    // Hybrid-reference files (§7.5.8.4): objects in object streams are listed in /XRefStm.
    const hybrid = trailer.get(pdfName('XRefStm'));
    if (hybrid instanceof PDFNumber) {
      const stream = this.#parseIndirectAt(hybrid.asNumber(), undefined);
      if (stream instanceof PDFRawStream) this.#addXrefStreamEntries(stream);
    }
    return { trailer, isStream: false };
  }

  /** ISO 32000-1 §7.5.8.2–3: /W field widths, /Index subsections, type 0 free, 1 offset, 2 compressed. */
  #addXrefStreamEntries(stream: PDFRawStream): void {
    const widths = numbers(stream.dict.get(pdfName('W')));
    if (widths.length !== 3) throw damaged('cross-reference stream without a valid /W');
    const size = stream.dict.get(pdfName('Size'));
    const index = numbers(stream.dict.get(pdfName('Index')));
    const ranges = index.length > 0 ? index : [0, size instanceof PDFNumber ? size.asNumber() : 0];
    const data = decodeStreamWithin(stream, this.budget);
    const [typeWidth = 0, fieldWidth = 0, thirdWidth = 0] = widths;
    const rowLength = typeWidth + fieldWidth + thirdWidth;
    let position = 0;
    for (let r = 0; r + 1 < ranges.length; r += 2) {
      const first = ranges[r] ?? 0;
      const count = ranges[r + 1] ?? 0;
      for (let i = 0; i < count; i++) {
        if (position + rowLength > data.length)
          throw damaged('cross-reference stream is shorter than its /Index');
        const type = typeWidth === 0 ? 1 : readNumber(data, position, typeWidth);
        const second = readNumber(data, position + typeWidth, fieldWidth);
        const third = readNumber(data, position + typeWidth + fieldWidth, thirdWidth);
        position += rowLength;
        const objectNumber = first + i;
        if (this.xref.has(objectNumber)) continue;
        if (type === 1) this.xref.set(objectNumber, { kind: 'offset', offset: second, generation: third });
        else if (type === 2)
          this.xref.set(objectNumber, { kind: 'compressed', streamNumber: second, index: third });
        else this.xref.set(objectNumber, { kind: 'free' });
      }
    }
  }

  #parseIndirectAt(offset: number, expectedNumber: number | undefined): PDFObject {
    const header = latin1(this.bytes, offset, Math.min(this.bytes.length, offset + 64));
    const match = /^\s*(\d+)\s+(\d+)\s+obj/.exec(header);
    if (!match?.[1]) throw damaged(`no object at offset ${offset}`);
    if (expectedNumber !== undefined && Number(match[1]) !== expectedNumber) {
      throw damaged(`object ${expectedNumber} is not where the cross-reference table says`);
    }
    return this.#parseObjectAt(offset + match[0].length);
  }

  #parseObjectAt(position: number): PDFObject {
    try {
      return parsePdfObject(this.bytes, position, this.context, this.budget);
    } catch (error) {
      if (error instanceof PdfTooComplexError) throw error;
      throw damaged(`unreadable object at offset ${position}`);
    }
  }

  /** ISO 32000-1 §7.5.7: an object stream holds N pairs "number offset", then the objects from /First. */
  #parseCompressed(streamNumber: number, index: number, ref: PDFRef): PDFObject | undefined {
    let objectStream = this.#objectStreams.get(streamNumber);
    if (!objectStream) {
      const stream = this.lookup(PDFRef.of(streamNumber));
      if (!(stream instanceof PDFRawStream)) throw damaged(`object stream ${streamNumber} is missing`);
      const decoded = decodeStreamWithin(stream, this.budget);
      const count = numbers(stream.dict.get(pdfName('N')))[0] ?? 0;
      const first = numbers(stream.dict.get(pdfName('First')))[0] ?? 0;
      const header = latin1(decoded, 0, first)
        .split(/\s+/)
        .filter((t) => t.length > 0)
        .map(Number);
      const offsets = new Map<number, number>();
      // /N is the file's claim; the header it points into is what can be read.
      const pairs = Math.min(count, Math.floor(header.length / 2));
      for (let i = 0; i < pairs; i++) offsets.set(header[2 * i] ?? -1, first + (header[2 * i + 1] ?? 0));
      objectStream = { decoded, offsets };
      this.#objectStreams.set(streamNumber, objectStream);
    }
    void index; // the header, not the index, is authoritative for where an object sits
    const at = objectStream.offsets.get(ref.objectNumber);
    if (at === undefined) return undefined;
    try {
      return parsePdfObject(objectStream.decoded, at, this.context, this.budget);
    } catch (error) {
      if (error instanceof PdfTooComplexError) throw error;
      throw damaged(`unreadable object ${ref.objectNumber} in object stream ${streamNumber}`);
    }
  }
}

/**
 * Whether the file holds a signature: a signature dictionary's /ByteRange (ISO 32000-1 §12.8.1)
 * in the raw bytes. The hole it leaves for /Contents is measured in the file's own bytes, so a
 * signature dictionary cannot sit inside a compressed object stream and a plain search finds
 * every one; a stray match elsewhere only makes a caller treat the file as signed.
 */
export function carriesSignature(pdf: Uint8Array): boolean {
  return Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).indexOf('/ByteRange', 0, 'latin1') >= 0;
}

/** ISO 32000-1 §7.5.5: the last `startxref` gives the offset of the newest cross-reference section. */
function findStartXref(bytes: Uint8Array): number {
  const tailStart = Math.max(0, bytes.length - TAIL_WINDOW);
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset + tailStart, bytes.length - tailStart);
  const at = tail.lastIndexOf('startxref', tail.length, 'latin1');
  const match = at >= 0 ? /^startxref\s+(\d+)/.exec(latin1(tail, at, Math.min(tail.length, at + 64))) : null;
  if (!match?.[1]) throw damaged('the file does not end with startxref');
  return Number(match[1]);
}

function readNumber(data: Uint8Array, position: number, width: number): number {
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + (data[position + i] ?? 0);
  return value;
}

function numbers(object: PDFObject | undefined): number[] {
  if (object instanceof PDFNumber) return [object.asNumber()];
  if (!(object instanceof PDFArray)) return [];
  return object.asArray().map((item) => (item instanceof PDFNumber ? item.asNumber() : Number.NaN));
}

export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.max(0, end - start)).toString('latin1');
}

function indexOf(bytes: Uint8Array, needle: string, from: number): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle, from, 'latin1');
}

function damaged(detail: string): SignetError {
  return new SignetError('PDF_DAMAGED', `the PDF is damaged: ${detail}`);
}
