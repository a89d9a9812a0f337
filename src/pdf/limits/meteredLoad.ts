import { AsyncLocalStorage } from 'node:async_hooks';
import { isMainThread } from 'node:worker_threads';
import {
  ParseSpeeds,
  PDFDocument,
  PDFName,
  PDFNumber,
  type PDFObject,
  PDFObjectParser,
  PDFObjectStreamParser,
  PDFParser,
  PDFRawStream,
  PDFXRefStreamParser,
} from 'pdf-lib';
import { SignetError } from '../../errors.ts';
import { MAX_NESTING_DEPTH, type PdfBudget } from './pdfBudget.ts';
import { decodeStreamWithin } from './streamDecoding.ts';

/*
 * pdf-lib's loader, metered by a PdfBudget. Every PDF Signet reads with pdf-lib (uploads,
 * verification, composition at sealing) is loaded here.
 *
 * Why patch pdf-lib instead of wrapping it: its parser decodes every object stream and
 * cross-reference stream with its own unbounded JavaScript decoders and builds every object
 * with no count, and none of that is reachable through an option. pdf-lib 1.17.1 is the final
 * release (the project has been dormant since 2021, so these internals will not move under
 * us; package.json pins it). The patches are installed once, and do nothing unless a budget is
 * active for the current async context, so pdf-lib behaves as before for documents Signet
 * builds itself.
 *
 * 1. `PDFObjectParser#parseObject` — which every object of the file and of its object streams
 *    goes through, nested ones included — charges one object and bounds the nesting depth.
 * 2. `PDFObjectStreamParser.forStream` / `PDFXRefStreamParser.forStream` get the stream decoded
 *    by streamDecoding.ts within the budget (each stream once per budget, however many times
 *    the file is parsed), as an unfiltered copy that pdf-lib's decoder passes through as is.
 * 3. `ByteStream#slice` returns a view instead of a copy, so a stream's contents share the
 *    file's memory rather than doubling it on every parse (pdf-lib never writes into them).
 */

interface ActiveLoad {
  budget: PdfBudget;
  depth: number;
}

const active = new AsyncLocalStorage<ActiveLoad>();

/** The budget charged by pdf-lib loads in this async context, if any. */
function activePdfBudget(): PdfBudget | undefined {
  return active.getStore()?.budget;
}

/** Runs `work` with every pdf-lib parse inside it charged to `budget`. */
function withPdfBudget<T>(budget: PdfBudget, work: () => Promise<T>): Promise<T> {
  installMetering();
  return active.run({ budget, depth: 0 }, work);
}

/**
 * Loads a complete PDF with pdf-lib under `budget`. Off the main thread it parses without
 * yielding (nothing else waits on a worker); on the main thread it yields every 100 objects,
 * pdf-lib's default, so requests keep being answered.
 */
export async function loadPdfDocument(bytes: Uint8Array, budget: PdfBudget): Promise<PDFDocument> {
  try {
    return await withPdfBudget(budget, () =>
      PDFDocument.load(bytes, {
        updateMetadata: false,
        parseSpeed: isMainThread ? ParseSpeeds.Slow : ParseSpeeds.Fastest,
      }),
    );
  } finally {
    // pdf-lib turns an object it cannot parse into an invalid object and reads on; a limit
    // passed inside one must still end the load.
    budget.assertWithinLimits();
  }
}

let installed = false;

function installMetering(): void {
  if (installed) return;
  installed = true;
  meterObjects();
  stopAtTheFirstLimit();
  decodeStructuralStreamsWithinBudget();
  sliceWithoutCopying();
}

type ParseObject = (this: PDFObjectParser) => PDFObject;

function meterObjects(): void {
  const prototype = PDFObjectParser.prototype as unknown as { parseObject: ParseObject };
  const parseObject = prototype.parseObject;
  prototype.parseObject = function meteredParseObject(this: PDFObjectParser): PDFObject {
    const load = active.getStore();
    if (!load) return parseObject.call(this);
    load.budget.chargeObjects(1);
    if (++load.depth > MAX_NESTING_DEPTH) {
      load.depth = 0;
      throw load.budget.exceed('objects', `objects are nested more than ${MAX_NESTING_DEPTH} levels deep`);
    }
    try {
      return parseObject.call(this);
    } finally {
      load.depth = Math.max(0, load.depth - 1);
    }
  };
}

/**
 * pdf-lib recovers from an object that fails to parse by skipping to its `endobj`; once a limit
 * is passed, that recovery rethrows instead, so the rest of the file is not read.
 */
function stopAtTheFirstLimit(): void {
  const prototype = PDFParser.prototype as unknown as { tryToParseInvalidIndirectObject(): unknown };
  const recover = prototype.tryToParseInvalidIndirectObject;
  prototype.tryToParseInvalidIndirectObject = function recoverWithinBudget(this: PDFParser) {
    activePdfBudget()?.assertWithinLimits();
    return recover.call(this);
  };
}

function decodeStructuralStreamsWithinBudget(): void {
  const objectStreams = PDFObjectStreamParser as unknown as {
    forStream(raw: PDFRawStream, shouldWaitForTick?: () => boolean): PDFObjectStreamParser;
  };
  const forObjectStream = objectStreams.forStream.bind(PDFObjectStreamParser);
  objectStreams.forStream = (raw, shouldWaitForTick) => {
    const budget = activePdfBudget();
    if (!budget) return forObjectStream(raw, shouldWaitForTick);
    const decoded = decodedCopy(raw, budget);
    assertObjectStreamHeader(decoded);
    return forObjectStream(decoded, shouldWaitForTick);
  };

  const xrefStreams = PDFXRefStreamParser as unknown as {
    forStream(raw: PDFRawStream): PDFXRefStreamParser;
  };
  const forXrefStream = xrefStreams.forStream.bind(PDFXRefStreamParser);
  xrefStreams.forStream = (raw) => {
    const budget = activePdfBudget();
    return forXrefStream(budget ? decodedCopy(raw, budget) : raw);
  };
}

/** The stream decoded within the budget, as a stream with no filter. */
function decodedCopy(raw: PDFRawStream, budget: PdfBudget): PDFRawStream {
  const decoded = decodeStreamWithin(raw, budget);
  const dict = raw.dict.clone(raw.dict.context);
  dict.delete(PDFName.of('Filter'));
  dict.delete(PDFName.of('DecodeParms'));
  dict.set(PDFName.of('Length'), PDFNumber.of(decoded.length));
  return PDFRawStream.of(dict, decoded);
}

/**
 * §7.5.7: /N pairs of integers, then the objects from /First. pdf-lib reads /N pairs whatever
 * the stream holds; a count the decoded bytes cannot hold is refused before that loop runs.
 */
function assertObjectStreamHeader(stream: PDFRawStream): void {
  const count = stream.dict.lookup(PDFName.of('N'));
  const first = stream.dict.lookup(PDFName.of('First'));
  const length = stream.contents.length;
  const valid =
    count instanceof PDFNumber &&
    first instanceof PDFNumber &&
    Number.isSafeInteger(count.asNumber()) &&
    count.asNumber() >= 0 &&
    // Each pair is at least "n o " (four bytes).
    count.asNumber() * 4 <= length &&
    first.asNumber() >= 0 &&
    first.asNumber() <= length;
  if (!valid) {
    throw new SignetError('PDF_DAMAGED', 'the PDF is damaged: an object stream header is invalid');
  }
}

function sliceWithoutCopying(): void {
  const probe = PDFParser.forBytesWithOptions(new Uint8Array(0)) as unknown as {
    bytes: object;
  };
  const byteStream = Object.getPrototypeOf(probe.bytes) as {
    slice(this: { bytes: Uint8Array }, start: number, end: number): Uint8Array;
  };
  byteStream.slice = function sliceView(this: { bytes: Uint8Array }, start: number, end: number) {
    return this.bytes.subarray(start, end);
  };
}
