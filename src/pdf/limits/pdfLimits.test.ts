import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { PDFContext, PDFName, PDFRawStream } from 'pdf-lib';
import {
  dssBomb,
  manyRevisions,
  nestingBomb,
  objectStreamArrayBomb,
  objectStreamInflationBomb,
} from '../../../test/support/pdfBombs.ts';
import { makePdf } from '../../../test/support/pdfFixtures.ts';
import { verifyPdf } from '../../verify/verifyPdf.ts';
import { openPdfFile } from '../incremental/pdfFile.ts';
import { openPdf } from '../inspect.ts';
import { loadPdfDocument } from './meteredLoad.ts';
import { PdfBudget, PdfTooComplexError } from './pdfBudget.ts';
import { decodeStreamWithin } from './streamDecoding.ts';

const MiB = 1024 * 1024;

function stream(filter: string | undefined, contents: Uint8Array, extra: Record<string, number> = {}) {
  const context = PDFContext.create();
  const dict = context.obj({ ...(filter ? { Filter: filter } : {}), ...extra });
  return PDFRawStream.of(dict, contents);
}

async function refusal(work: () => Promise<unknown> | unknown): Promise<PdfTooComplexError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof PdfTooComplexError) return error;
    throw error;
  }
  assert.fail('expected PDF_TOO_COMPLEX');
}

describe('decoding a stream within the PDF limits', () => {
  it('stops inflating at the per-stream limit and charges nothing past it', async () => {
    const budget = new PdfBudget({ maxStreamBytes: 1 * MiB });
    const bomb = stream('FlateDecode', deflateSync(Buffer.alloc(64 * MiB)));
    const error = await refusal(() => decodeStreamWithin(bomb, budget));
    assert.equal(error.code, 'PDF_TOO_COMPLEX');
    assert.equal(error.status, 422);
    assert.equal(error.limit, 'stream');
    assert.match(error.detail, /a compressed stream inflates to more than 1 MB/);
    assert.equal(budget.inflatedBytes, 0, 'the refused stream was never counted as decoded');
  });

  it('counts every stream against the total, and refuses the one that would pass it', async () => {
    const budget = new PdfBudget({ maxStreamBytes: 4 * MiB, maxInflatedBytes: 5 * MiB });
    const threeMiB = () => stream('FlateDecode', deflateSync(Buffer.alloc(3 * MiB)));
    assert.equal(decodeStreamWithin(threeMiB(), budget).length, 3 * MiB);
    const error = await refusal(() => decodeStreamWithin(threeMiB(), budget));
    assert.equal(error.limit, 'inflated');
    assert.equal(budget.inflatedBytes, 3 * MiB);
  });

  it('decodes a filter chain, and a stream cut short as far as it goes', () => {
    const budget = new PdfBudget();
    const text = Buffer.from('1 0 obj << >> endobj', 'latin1');
    const chained = stream('FlateDecode', deflateSync(text));
    assert.equal(
      Buffer.from(decodeStreamWithin(chained, budget)).toString('latin1'),
      text.toString('latin1'),
    );
    const truncated = deflateSync(Buffer.alloc(10_000, 0x41)).subarray(0, 20);
    assert.ok(decodeStreamWithin(stream('FlateDecode', truncated), budget).length > 0);
  });

  it('uses a filter it cannot interrupt only when its worst case fits what is left', async () => {
    const budget = new PdfBudget({ maxStreamBytes: 1000 });
    // RunLength: 2 bytes (257 - 128 = 129 → repeat the next byte 128 times) → 128 bytes.
    const runs = new Uint8Array(40).fill(0).map((_, i) => (i % 2 === 0 ? 129 : 0x41));
    const error = await refusal(() => decodeStreamWithin(stream('RunLengthDecode', runs), budget));
    assert.equal(error.limit, 'stream');
    const hex = stream('ASCIIHexDecode', Buffer.from('48656c6c6f>', 'latin1'));
    assert.equal(Buffer.from(decodeStreamWithin(hex, budget)).toString('latin1'), 'Hello');
  });

  it('refuses image filters in a structural stream as damage, not as a crash', () => {
    assert.throws(() => decodeStreamWithin(stream('DCTDecode', new Uint8Array(10)), new PdfBudget()), {
      code: 'PDF_DAMAGED',
    });
  });

  it('undoes the PNG Up predictor that cross-reference streams use', () => {
    const rows = Buffer.from([2, 1, 2, 3, 2, 1, 1, 1]); // filter type 2 (Up), 3 columns, 2 rows
    const predicted = stream('FlateDecode', deflateSync(rows));
    predicted.dict.set(PDFName.of('DecodeParms'), predicted.dict.context.obj({ Predictor: 12, Columns: 3 }));
    assert.deepEqual([...decodeStreamWithin(predicted, new PdfBudget())], [1, 2, 3, 2, 3, 4]);
  });
});

describe('loading a PDF within the PDF limits', () => {
  it('loads an ordinary document and counts its objects', async () => {
    const budget = new PdfBudget();
    const document = await openPdf(await makePdf({ pages: 3 }), budget);
    assert.equal(document.getPageCount(), 3);
    assert.ok(budget.objects > 10 && budget.objects < 1000, `${budget.objects} objects`);
  });

  it('refuses an object stream that inflates to 20 MB of numbers at the object limit', async () => {
    const bomb = objectStreamArrayBomb(20);
    assert.ok(bomb.length < 40_000, `the bomb is ${bomb.length} bytes`);
    const budget = new PdfBudget({ maxObjects: 100_000 });
    const error = await refusal(() => openPdf(bomb, budget));
    assert.equal(error.limit, 'objects');
    assert.match(error.detail, /more than 100,000 objects/);
    assert.ok(budget.objects <= 100_001, 'parsing stopped at the limit');
  });

  it('refuses an object stream whose inflation alone passes the stream limit', async () => {
    const error = await refusal(() =>
      openPdf(objectStreamInflationBomb(8), new PdfBudget({ maxStreamBytes: 4 * MiB })),
    );
    assert.equal(error.limit, 'stream');
  });

  it('refuses nesting deeper than 500 levels instead of overflowing the stack', async () => {
    const error = await refusal(() => openPdf(nestingBomb(100_000)));
    assert.match(error.detail, /nested more than 500 levels/);
    await openPdf(nestingBomb(400));
  });

  it('refuses more revisions than the limit before parsing any', async () => {
    const error = await refusal(() => openPdf(manyRevisions(70), new PdfBudget({ maxRevisions: 64 })));
    assert.equal(error.limit, 'revisions');
    await openPdf(manyRevisions(10));
    assert.equal((await refusal(() => openPdfFile(manyRevisions(200)).pageRefs())).limit, 'revisions');
  });

  it('decodes each object stream once per budget, however many times the file is parsed', async () => {
    const budget = new PdfBudget();
    const pdf = objectStreamInflationBomb(1);
    await loadPdfDocument(pdf, budget);
    const afterFirst = budget.inflatedBytes;
    await loadPdfDocument(pdf, budget);
    assert.equal(budget.inflatedBytes, afterFirst);
    assert.ok(afterFirst >= MiB);
  });

  it('lets verification refuse a bomb in the Document Security Store', async () => {
    const error = await refusal(() =>
      verifyPdf(dssBomb(64), { trustAnchors: [], limits: { maxStreamBytes: 8 * MiB } }),
    );
    assert.equal(error.limit, 'stream');
  });
});
