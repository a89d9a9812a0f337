import { constants, inflateSync } from 'node:zlib';
import {
  decodePDFRawStream,
  PDFArray,
  PDFDict,
  PDFName,
  PDFNumber,
  type PDFObject,
  PDFRawStream,
} from 'pdf-lib';
import { SignetError } from '../../errors.ts';
import type { PdfBudget } from './pdfBudget.ts';

/*
 * Decodes the streams Signet itself must read — object streams, cross-reference streams, the
 * DSS's certificates, OCSP responses and CRLs — within a PdfBudget (ISO 32000-1 §7.4).
 *
 * FlateDecode goes through Node's zlib with `maxOutputLength`, so inflation stops at the first
 * byte over the allowance instead of finishing a bomb and measuring it afterwards. The other
 * filters pdf-lib decodes (its own JavaScript, which cannot be stopped midway) are used only
 * when their worst-case expansion of the input provably fits what is left, which no legitimate
 * structural stream comes near. Image filters (DCT, JPX, CCITT, JBIG2) never hold structure.
 */

type FilterName = 'FlateDecode' | 'LZWDecode' | 'ASCIIHexDecode' | 'ASCII85Decode' | 'RunLengthDecode';

/** The most each non-Flate filter can produce from `n` input bytes. */
const WORST_CASE_OUTPUT: Record<Exclude<FilterName, 'FlateDecode'>, (n: number) => number> = {
  // Two hex digits per byte.
  ASCIIHexDecode: (n) => Math.ceil(n / 2),
  // `z` stands for four zero bytes; every other group of five characters for four bytes.
  ASCII85Decode: (n) => 4 * n,
  // A two-byte run (length byte 129–255, one data byte) repeats that byte up to 128 times.
  RunLengthDecode: (n) => 64 * n + 128,
  // At least 9 bits a code, and no table entry is longer than its 4,096 slots (§7.4.4.2).
  LZWDecode: (n) => Math.ceil((n * 8) / 9) * 4096,
};

const FILTER_NAMES = new Set<string>([
  'FlateDecode',
  'LZWDecode',
  'ASCIIHexDecode',
  'ASCII85Decode',
  'RunLengthDecode',
]);

/**
 * Decodes `stream` through its whole filter chain, charging every inflated byte to `budget` —
 * once per budget for a stream of the file, however often it is asked for.
 */
export function decodeStreamWithin(stream: PDFRawStream, budget: PdfBudget): Uint8Array {
  return budget.decodedOnce(stream.contents, () => decodeChain(stream, budget));
}

function decodeChain(stream: PDFRawStream, budget: PdfBudget): Uint8Array {
  const filters = asList(stream, 'Filter');
  const parameters = asList(stream, 'DecodeParms');
  let data: Uint8Array = stream.contents;
  filters.forEach((filter, index) => {
    const name = filter instanceof PDFName ? filter.decodeText() : '';
    if (!FILTER_NAMES.has(name)) {
      throw damaged(
        `a structural stream uses the filter ${name || '(not a name)'}, which cannot hold structure`,
      );
    }
    const parms = parameters[index];
    data = decodeOne(name as FilterName, data, parms instanceof PDFDict ? parms : undefined, stream, budget);
  });
  return data;
}

function decodeOne(
  filter: FilterName,
  input: Uint8Array,
  parms: PDFDict | undefined,
  stream: PDFRawStream,
  budget: PdfBudget,
) {
  const allowance = budget.streamAllowance();
  let output: Uint8Array;
  if (filter === 'FlateDecode') {
    output = inflateWithin(input, allowance, budget);
  } else {
    if (WORST_CASE_OUTPUT[filter](input.length) > allowance) throw budget.streamOverflow();
    output = decodeWithPdfLib(filter, input, parms, stream);
  }
  budget.chargeInflated(output.length);
  return filter === 'FlateDecode' || filter === 'LZWDecode' ? undoPredictor(output, parms) : output;
}

function inflateWithin(input: Uint8Array, allowance: number, budget: PdfBudget): Uint8Array {
  if (allowance === 0) throw budget.streamOverflow();
  try {
    // Z_SYNC_FLUSH: a stream cut short yields what it holds, as readers (and pdf-lib) accept.
    return inflateSync(input, { maxOutputLength: allowance, finishFlush: constants.Z_SYNC_FLUSH });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw budget.streamOverflow();
    throw damaged('a compressed stream does not inflate');
  }
}

function decodeWithPdfLib(
  filter: FilterName,
  input: Uint8Array,
  parms: PDFDict | undefined,
  stream: PDFRawStream,
): Uint8Array {
  const dict = PDFDict.withContext(stream.dict.context);
  dict.set(PDFName.of('Filter'), PDFName.of(filter));
  if (parms) dict.set(PDFName.of('DecodeParms'), parms);
  try {
    return decodePDFRawStream(PDFRawStream.of(dict, input)).decode();
  } catch {
    throw damaged(`a ${filter} stream cannot be decoded`);
  }
}

/** §7.4.4.4: PNG predictors (10–15) row by row; TIFF predictor 2 for 8-bit components. */
function undoPredictor(data: Uint8Array, parms: PDFDict | undefined): Uint8Array {
  if (!parms) return data;
  const predictor = numberIn(parms, 'Predictor') ?? 1;
  if (predictor === 1) return data;
  const colors = numberIn(parms, 'Colors') ?? 1;
  const bitsPerComponent = numberIn(parms, 'BitsPerComponent') ?? 8;
  const columns = numberIn(parms, 'Columns') ?? 1;
  const bytesPerPixel = Math.max(1, Math.ceil((colors * bitsPerComponent) / 8));
  const rowLength = Math.ceil((colors * bitsPerComponent * columns) / 8);
  if (!(rowLength > 0) || !Number.isSafeInteger(rowLength)) throw damaged('invalid predictor parameters');
  if (predictor === 2)
    return bitsPerComponent === 8 ? undoTiffPredictor(data, rowLength, bytesPerPixel) : data;
  if (predictor >= 10) return undoPngPredictor(data, rowLength, bytesPerPixel);
  throw damaged(`unknown predictor ${predictor}`);
}

function undoPngPredictor(data: Uint8Array, rowLength: number, bytesPerPixel: number): Uint8Array {
  const rows = Math.floor(data.length / (rowLength + 1));
  const out = new Uint8Array(rows * rowLength);
  for (let r = 0; r < rows; r++) {
    const filterType = data[r * (rowLength + 1)] ?? 0;
    const source = r * (rowLength + 1) + 1;
    const row = r * rowLength;
    for (let c = 0; c < rowLength; c++) {
      const raw = data[source + c] ?? 0;
      const left = c >= bytesPerPixel ? (out[row + c - bytesPerPixel] ?? 0) : 0;
      const up = r > 0 ? (out[row - rowLength + c] ?? 0) : 0;
      const upLeft = r > 0 && c >= bytesPerPixel ? (out[row - rowLength + c - bytesPerPixel] ?? 0) : 0;
      out[row + c] = (raw + pngPredict(filterType, left, up, upLeft)) & 0xff;
    }
  }
  return out;
}

function pngPredict(filterType: number, left: number, up: number, upLeft: number): number {
  switch (filterType) {
    case 1:
      return left;
    case 2:
      return up;
    case 3:
      return Math.floor((left + up) / 2);
    case 4: {
      const p = left + up - upLeft;
      const pa = Math.abs(p - left);
      const pb = Math.abs(p - up);
      const pc = Math.abs(p - upLeft);
      if (pa <= pb && pa <= pc) return left;
      return pb <= pc ? up : upLeft;
    }
    default:
      return 0;
  }
}

function undoTiffPredictor(data: Uint8Array, rowLength: number, bytesPerPixel: number): Uint8Array {
  const out = Uint8Array.from(data);
  for (let row = 0; row + rowLength <= out.length; row += rowLength) {
    for (let c = bytesPerPixel; c < rowLength; c++) {
      out[row + c] = ((out[row + c] ?? 0) + (out[row + c - bytesPerPixel] ?? 0)) & 0xff;
    }
  }
  return out;
}

function numberIn(dict: PDFDict, key: string): number | undefined {
  const value = dict.lookup(PDFName.of(key));
  return value instanceof PDFNumber ? value.asNumber() : undefined;
}

/** /Filter and /DecodeParms are one value or an array of them, each possibly indirect. */
function asList(stream: PDFRawStream, key: string): (PDFObject | undefined)[] {
  const context = stream.dict.context;
  const object = stream.dict.lookup(PDFName.of(key));
  if (object === undefined) return [];
  if (object instanceof PDFArray) return object.asArray().map((item) => context.lookup(item));
  return [object];
}

function damaged(detail: string): SignetError {
  return new SignetError('PDF_DAMAGED', `the PDF is damaged: ${detail}`);
}
