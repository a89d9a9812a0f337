import {
  PDFArray,
  PDFBool,
  PDFCatalog,
  type PDFContext,
  PDFDict,
  PDFHexString,
  PDFName,
  PDFNull,
  PDFNumber,
  type PDFObject,
  PDFPageLeaf,
  PDFPageTree,
  PDFRawStream,
  PDFRef,
  PDFString,
} from 'pdf-lib';
import { SignetError } from '../../errors.ts';
import { MAX_NESTING_DEPTH, type PdfBudget } from '../limits/pdfBudget.ts';
import { pdfName } from './pdfName.ts';

/*
 * Parses one PDF object (ISO 32000-1 §7.3) from a byte offset into pdf-lib's object model.
 *
 * Why not pdf-lib's PDFObjectParser, which this replaces on the sealing path: it reads a byte
 * at a time through method calls and builds every number and name by string concatenation, and
 * it was 20 % of a 1-page seal — the page dictionaries pdf-lib itself writes carry one /Font
 * entry per drawText call, and real-world pages carry big /Resources. This reads by index into
 * the bytes and makes strings only for names and string contents. The objects it returns are
 * the ones pdf-lib's parser returns (the differential test in objectParser.test.ts compares
 * them on every object of the real-world fixtures), so the rest of the code cannot tell.
 *
 * Differences, all on input that is not valid PDF: keywords must end at a delimiter, the
 * nesting depth is bounded, an unterminated string, array or dictionary is an error instead of
 * whatever was read until the end, and a stream whose /Length is wrong ends at the first
 * `endstream` rather than a count of nested `stream` keywords.
 */

export class PdfSyntaxError extends Error {
  readonly position: number;
  constructor(position: number, detail: string) {
    super(`${detail} at byte ${position}`);
    this.position = position;
  }
}

const CHAR = {
  lf: 0x0a,
  cr: 0x0d,
  space: 0x20,
  percent: 0x25,
  leftParen: 0x28,
  rightParen: 0x29,
  plus: 0x2b,
  minus: 0x2d,
  period: 0x2e,
  slash: 0x2f,
  zero: 0x30,
  nine: 0x39,
  lessThan: 0x3c,
  greaterThan: 0x3e,
  R: 0x52,
  leftBracket: 0x5b,
  backslash: 0x5c,
  rightBracket: 0x5d,
  f: 0x66,
  n: 0x6e,
  t: 0x74,
} as const;

/** §7.2.2 Table 1 (white-space) and Table 2 (delimiters). */
const WHITESPACE = new Uint8Array(256);
for (const code of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WHITESPACE[code] = 1;
const DELIMITER = new Uint8Array(256);
for (const character of '()<>[]{}/%') DELIMITER[character.charCodeAt(0)] = 1;

const KEYWORD = {
  true: bytesOf('true'),
  false: bytesOf('false'),
  null: bytesOf('null'),
  stream: bytesOf('stream'),
  endstream: bytesOf('endstream'),
} as const;

const NAME = {
  Type: PDFName.of('Type'),
  Catalog: PDFName.of('Catalog'),
  Pages: PDFName.of('Pages'),
  Page: PDFName.of('Page'),
  Length: PDFName.of('Length'),
} as const;

/**
 * Parses the object that starts at (or after white-space and comments from) `position`; every
 * object built, nested ones included (also those of a deferred dictionary, when it is read), is
 * charged to `budget`.
 */
export function parsePdfObject(
  bytes: Uint8Array,
  position: number,
  context: PDFContext,
  budget?: PdfBudget,
): PDFObject {
  return new ObjectReader(bytes, position, context, budget).object(0);
}

class ObjectReader {
  readonly #bytes: Uint8Array;
  /** The same bytes as a Buffer, whose latin1 slice is the cheapest way to a JS string. */
  readonly #text: Buffer;
  readonly #context: PDFContext;
  readonly #budget: PdfBudget | undefined;
  position: number;

  constructor(bytes: Uint8Array, position: number, context: PDFContext, budget: PdfBudget | undefined) {
    this.#bytes = bytes;
    this.#text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = position;
    this.#context = context;
    this.#budget = budget;
  }

  #latin1(start: number, end: number): string {
    return this.#text.toString('latin1', start, end);
  }

  object(depth: number): PDFObject {
    if (depth > MAX_NESTING_DEPTH) throw new PdfSyntaxError(this.position, 'objects nested too deeply');
    this.#budget?.chargeObjects(1);
    this.#skipWhitespaceAndComments();
    const bytes = this.#bytes;
    const byte = bytes[this.position];
    if (byte === undefined) throw new PdfSyntaxError(this.position, 'unexpected end of data');
    if (byte === CHAR.lessThan) {
      if (bytes[this.position + 1] !== CHAR.lessThan) return this.#hexString();
      return depth === 0 ? this.#dictOrStream(depth) : this.#nestedDict(depth);
    }
    if (byte === CHAR.leftParen) return this.#literalString();
    if (byte === CHAR.slash) return this.#name();
    if (byte === CHAR.leftBracket) return this.#array(depth);
    if (isNumberStart(byte)) return this.#numberOrRef();
    if (byte === CHAR.t && this.#keyword(KEYWORD.true)) return PDFBool.True;
    if (byte === CHAR.f && this.#keyword(KEYWORD.false)) return PDFBool.False;
    if (byte === CHAR.n && this.#keyword(KEYWORD.null)) return PDFNull;
    throw new PdfSyntaxError(this.position, `unexpected character 0x${byte.toString(16).padStart(2, '0')}`);
  }

  #skipWhitespaceAndComments(): void {
    const bytes = this.#bytes;
    let position = this.position;
    for (;;) {
      while (position < bytes.length && WHITESPACE[bytes[position] as number]) position++;
      if (bytes[position] !== CHAR.percent) break;
      position = this.#endOfComment(position);
    }
    this.position = position;
  }

  /** §7.2.4: a comment runs to the end of its line; the offset of that EOL (or the end). */
  #endOfComment(start: number): number {
    const bytes = this.#bytes;
    let position = start;
    while (position < bytes.length && bytes[position] !== CHAR.lf && bytes[position] !== CHAR.cr) position++;
    return position;
  }

  /** Consumes `keyword` if it is next and ends at a delimiter, white-space or the end. */
  #keyword(keyword: Uint8Array): boolean {
    const bytes = this.#bytes;
    const start = this.position;
    for (let i = 0; i < keyword.length; i++) if (bytes[start + i] !== keyword[i]) return false;
    const after = bytes[start + keyword.length];
    if (after !== undefined && !WHITESPACE[after] && !DELIMITER[after]) return false;
    this.position = start + keyword.length;
    return true;
  }

  /** §7.3.3, with pdf-lib's reading: sign and digits up to one period, then digits. */
  #rawNumber(): { value: number; integer: boolean } {
    const bytes = this.#bytes;
    const start = this.position;
    let position = start;
    let integer = true;
    let value = 0;
    while (position < bytes.length) {
      const byte = bytes[position] as number;
      if (byte >= CHAR.zero && byte <= CHAR.nine) {
        value = value * 10 + (byte - CHAR.zero);
      } else if (byte === CHAR.period || byte === CHAR.plus || byte === CHAR.minus) {
        integer = false;
        if (byte === CHAR.period) {
          position++;
          break;
        }
      } else {
        break;
      }
      position++;
    }
    while (!integer && position < bytes.length && isDigit(bytes[position] as number)) position++;
    this.position = position;
    if (integer && position > start && Number.isFinite(value)) return { value, integer };
    const parsed = Number(this.#latin1(start, position));
    if (position === start || !Number.isFinite(parsed)) {
      throw new PdfSyntaxError(start, `malformed number "${this.#latin1(start, position)}"`);
    }
    return { value: parsed, integer: false };
  }

  /** A number, or an indirect reference "objectNumber generation R" (§7.3.10). */
  #numberOrRef(): PDFObject {
    const first = this.#rawNumber();
    if (!first.integer) return PDFNumber.of(first.value);
    const afterFirst = this.position;
    this.#skipWhitespaceAndComments();
    if (isDigit(this.#bytes[this.position] ?? 0)) {
      const second = this.#rawNumber();
      this.#skipWhitespaceAndComments();
      if (second.integer && this.#bytes[this.position] === CHAR.R) {
        this.position++;
        return refOf(first.value, second.value);
      }
    }
    this.position = afterFirst;
    return PDFNumber.of(first.value);
  }

  /** §7.3.4.2: kept as written (escapes and all), as pdf-lib's PDFString holds it. */
  #literalString(): PDFString {
    const start = this.position;
    this.position = this.#endOfLiteralString(start);
    return PDFString.of(this.#latin1(start + 1, this.position - 1));
  }

  /** The offset just past the `)` that closes the string opening at `start`. */
  #endOfLiteralString(start: number): number {
    const bytes = this.#bytes;
    let depth = 0;
    let position = start;
    while (position < bytes.length) {
      const byte = bytes[position];
      if (byte === CHAR.backslash) {
        position += 2;
        continue;
      }
      if (byte === CHAR.leftParen) depth++;
      else if (byte === CHAR.rightParen && --depth === 0) return position + 1;
      position++;
    }
    throw new PdfSyntaxError(start, 'unterminated string');
  }

  /** §7.3.4.3: the hex digits as written; PDFHexString decodes them when asked. */
  #hexString(): PDFHexString {
    const start = this.position;
    this.position = this.#endOfHexString(start);
    return PDFHexString.of(this.#latin1(start + 1, this.position - 1));
  }

  /** The offset just past the `>` that closes the hex string opening at `start`. */
  #endOfHexString(start: number): number {
    const end = this.#bytes.indexOf(CHAR.greaterThan, start + 1);
    if (end < 0) throw new PdfSyntaxError(start, 'unterminated hex string');
    return end + 1;
  }

  /** §7.3.5: PDFName.of decodes #xx escapes and returns the one shared instance per name. */
  #name(): PDFName {
    const bytes = this.#bytes;
    const start = this.position + 1;
    let position = start;
    while (position < bytes.length) {
      const byte = bytes[position] as number;
      if (WHITESPACE[byte] || DELIMITER[byte]) break;
      position++;
    }
    this.position = position;
    return pdfName(this.#latin1(start, position));
  }

  #array(depth: number): PDFArray {
    const start = this.position;
    this.position++;
    const array = PDFArray.withContext(this.#context);
    for (;;) {
      this.#skipWhitespaceAndComments();
      const byte = this.#bytes[this.position];
      if (byte === undefined) throw new PdfSyntaxError(start, 'unterminated array');
      if (byte === CHAR.rightBracket) {
        this.position++;
        return array;
      }
      array.push(this.object(depth + 1));
    }
  }

  /**
   * A dictionary inside another object. A big one is only stepped over and parsed when first
   * read (DeferredDict): a page's /Resources is most of the page and nothing on the sealing
   * path reads it, it is only written back as it was.
   */
  #nestedDict(depth: number): PDFDict {
    const start = this.position;
    const end = this.#endOfDictionary(start, depth);
    if (end - start < DEFER_FROM_BYTES) return this.#dictOrStream(depth) as PDFDict;
    this.position = end;
    return new DeferredDict(this.#text, start, end, depth, this.#context, this.#budget);
  }

  /**
   * The offset just past the `>>` that closes the dictionary opening at `start`, found without
   * building it: only strings, hex strings and comments can hold a `<<` or `>>` that is not one.
   */
  #endOfDictionary(start: number, depth: number): number {
    const bytes = this.#bytes;
    let level = 0;
    let position = start;
    while (position < bytes.length) {
      const byte = bytes[position];
      if (byte === CHAR.leftParen) {
        position = this.#endOfLiteralString(position);
      } else if (byte === CHAR.percent) {
        position = this.#endOfComment(position);
      } else if (byte === CHAR.lessThan && bytes[position + 1] === CHAR.lessThan) {
        if (depth + ++level > MAX_NESTING_DEPTH)
          throw new PdfSyntaxError(position, 'objects nested too deeply');
        position += 2;
      } else if (byte === CHAR.lessThan) {
        position = this.#endOfHexString(position);
      } else if (byte === CHAR.greaterThan && bytes[position + 1] === CHAR.greaterThan) {
        position += 2;
        if (--level === 0) return position;
      } else {
        position++;
      }
    }
    throw new PdfSyntaxError(start, 'unterminated dictionary');
  }

  /** §7.3.7: the entries of the dictionary at the current position, which must open with `<<`. */
  dictionaryEntries(depth: number): Map<PDFName, PDFObject> {
    const bytes = this.#bytes;
    const start = this.position;
    this.position += 2;
    const entries = new Map<PDFName, PDFObject>();
    for (;;) {
      this.#skipWhitespaceAndComments();
      const byte = bytes[this.position];
      if (byte === undefined) throw new PdfSyntaxError(start, 'unterminated dictionary');
      if (byte === CHAR.greaterThan && bytes[this.position + 1] === CHAR.greaterThan) {
        this.position += 2;
        return entries;
      }
      if (byte !== CHAR.slash) throw new PdfSyntaxError(this.position, 'a dictionary key is not a name');
      const key = this.#name();
      entries.set(key, this.object(depth + 1));
    }
  }

  /** §7.3.7 and §7.3.8: a dictionary, and the stream it heads if `stream` follows. */
  #dictOrStream(depth: number): PDFDict | PDFRawStream {
    const start = this.position;
    const dict = this.#typedDict(this.dictionaryEntries(depth));
    const afterDict = this.position;
    this.#skipWhitespaceAndComments();
    if (!this.#keyword(KEYWORD.stream)) {
      this.position = afterDict;
      return dict;
    }
    return this.#streamBody(dict, start);
  }

  /** pdf-lib's parser makes these three /Types its structure classes; so does this one. */
  #typedDict(entries: Map<PDFName, PDFObject>): PDFDict {
    const type = entries.get(NAME.Type);
    if (type === NAME.Catalog) return PDFCatalog.fromMapWithContext(entries, this.#context);
    if (type === NAME.Pages) return PDFPageTree.fromMapWithContext(entries, this.#context);
    if (type === NAME.Page) return PDFPageLeaf.fromMapWithContext(entries, this.#context);
    return PDFDict.fromMapWithContext(entries, this.#context);
  }

  /**
   * §7.3.8.1: `stream` is followed by CRLF or LF (a lone CR or a space before the EOL is
   * accepted, as readers do), then /Length bytes, then an optional EOL and `endstream`. A
   * missing or wrong direct /Length falls back to the first `endstream`.
   */
  #streamBody(dict: PDFDict, dictStart: number): PDFRawStream {
    const bytes = this.#bytes;
    let start = this.position;
    if (bytes[start] === CHAR.space) start++;
    if (bytes[start] === CHAR.cr) start++;
    if (bytes[start] === CHAR.lf) start++;
    const length = dict.get(NAME.Length);
    if (length instanceof PDFNumber) {
      const end = start + length.asNumber();
      if (Number.isInteger(end) && end >= start && end <= bytes.length) {
        this.position = end;
        this.#skipWhitespaceAndComments();
        if (this.#keyword(KEYWORD.endstream)) return PDFRawStream.of(dict, bytes.subarray(start, end));
      }
    }
    const endstream = this.#text.indexOf(KEYWORD.endstream, start);
    if (endstream < 0) throw new PdfSyntaxError(dictStart, 'stream without endstream');
    let end = endstream;
    if (end > start && bytes[end - 1] === CHAR.lf) end--;
    if (end > start && bytes[end - 1] === CHAR.cr) end--;
    this.position = endstream + KEYWORD.endstream.length;
    return PDFRawStream.of(dict, bytes.subarray(start, end));
  }
}

/** Below this, a nested dictionary is parsed at once: reading it later would save less than it costs. */
const DEFER_FROM_BYTES = 256;

/**
 * A nested dictionary read only when something asks for its entries (any PDFDict method) and
 * written back, until then, as the bytes it was read from: the same object in the same syntax
 * (objectParser.test.ts reads what is written back with pdf-lib and compares). An error in
 * bytes that were stepped over surfaces when they are first read, as PDF_DAMAGED.
 */
class DeferredDict extends PDFDict {
  #source:
    | { bytes: Buffer; start: number; end: number; depth: number; budget: PdfBudget | undefined }
    | undefined;

  constructor(
    bytes: Buffer,
    start: number,
    end: number,
    depth: number,
    context: PDFContext,
    budget: PdfBudget | undefined,
  ) {
    super(new Map(), context);
    this.#source = { bytes, start, end, depth, budget };
  }

  #read(): void {
    const source = this.#source;
    if (!source) return;
    this.#source = undefined;
    let entries: Map<PDFName, PDFObject>;
    try {
      entries = new ObjectReader(source.bytes, source.start, this.context, source.budget).dictionaryEntries(
        source.depth,
      );
    } catch (error) {
      if (!(error instanceof PdfSyntaxError)) throw error;
      throw new SignetError('PDF_DAMAGED', `the PDF is damaged: ${error.message} of a dictionary`);
    }
    for (const [key, value] of entries) super.set(key, value);
  }

  override keys(): PDFName[] {
    this.#read();
    return super.keys();
  }
  override values(): PDFObject[] {
    this.#read();
    return super.values();
  }
  override entries(): [PDFName, PDFObject][] {
    this.#read();
    return super.entries();
  }
  override set(key: PDFName, value: PDFObject): void {
    this.#read();
    super.set(key, value);
  }
  override get(key: PDFName, preservePDFNull?: boolean): PDFObject | undefined {
    this.#read();
    return super.get(key, preservePDFNull);
  }
  override has(key: PDFName): boolean {
    this.#read();
    return super.has(key);
  }
  override delete(key: PDFName): boolean {
    this.#read();
    return super.delete(key);
  }
  override asMap(): Map<PDFName, PDFObject> {
    this.#read();
    return super.asMap();
  }
  override toString(): string {
    const source = this.#source;
    if (!source) return super.toString();
    return source.bytes.toString('latin1', source.start, source.end);
  }
  override sizeInBytes(): number {
    const source = this.#source;
    return source ? source.end - source.start : super.sizeInBytes();
  }
  override copyBytesInto(buffer: Uint8Array, offset: number): number {
    const source = this.#source;
    if (!source) return super.copyBytesInto(buffer, offset);
    buffer.set(source.bytes.subarray(source.start, source.end), offset);
    return source.end - source.start;
  }
}

/** PDFRef.of builds a "n g R" string to find its pooled instance; generation 0 is looked up by number. */
const REF_CACHE_LIMIT = 65_536;
const generationZeroRefs: (PDFRef | undefined)[] = [];

function refOf(objectNumber: number, generation: number): PDFRef {
  if (generation !== 0 || objectNumber >= REF_CACHE_LIMIT) return PDFRef.of(objectNumber, generation);
  let ref = generationZeroRefs[objectNumber];
  if (ref === undefined) {
    ref = PDFRef.of(objectNumber, 0);
    generationZeroRefs[objectNumber] = ref;
  }
  return ref;
}

function isDigit(byte: number): boolean {
  return byte >= CHAR.zero && byte <= CHAR.nine;
}

function isNumberStart(byte: number): boolean {
  return isDigit(byte) || byte === CHAR.plus || byte === CHAR.minus || byte === CHAR.period;
}

function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}
