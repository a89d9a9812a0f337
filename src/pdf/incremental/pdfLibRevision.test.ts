import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PDFDict, PDFName, type PDFString, rgb, StandardFonts } from 'pdf-lib';
import { requireTools, runQpdfCheck } from '../../../test/peers/pdfValidators.ts';
import { makePdf } from '../../../test/support/pdfFixtures.ts';
import { SignetError } from '../../errors.ts';
import { openPdfFile } from './pdfFile.ts';
import { saveIncrementally } from './pdfLibRevision.ts';

const run = promisify(execFile);
let workDir = '';

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'signet-pdflib-revision-'));
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Object numbers written in the bytes after `from` ("n g obj" headers). */
function objectsWrittenAfter(pdf: Uint8Array, from: number): number[] {
  const text = Buffer.from(pdf.subarray(from)).toString('latin1');
  return [...text.matchAll(/(?:^|\n)(\d+) \d+ obj\b/g)].map((match) => Number(match[1]));
}

async function qpdf(args: string[], input: Uint8Array): Promise<Uint8Array> {
  const inPath = join(workDir, `in-${Math.random().toString(36).slice(2)}.pdf`);
  const outPath = `${inPath}.out.pdf`;
  await writeFile(inPath, input);
  await run('qpdf', [...args, inPath, outPath]);
  return new Uint8Array(await readFile(outPath));
}

async function checked(pdf: Uint8Array): Promise<number> {
  const path = join(workDir, `check-${Math.random().toString(36).slice(2)}.pdf`);
  await writeFile(path, pdf);
  return runQpdfCheck(path);
}

describe('saveIncrementally', () => {
  it('keeps the original bytes and appends only the objects the edit changed or made', async (t) => {
    if (!requireTools(t, ['qpdf'])) return;
    const original = await makePdf({ pages: 3 });
    const before = openPdfFile(original);
    const [, secondPage] = before.pageRefs();
    assert.ok(secondPage);
    const updated = await saveIncrementally(original, async (document) => {
      const font = await document.embedFont(StandardFonts.Helvetica);
      document.getPage(1).drawText('Stamped', { x: 50, y: 50, size: 12, font, color: rgb(0, 0, 0) });
    });

    assert.ok(Buffer.from(updated.subarray(0, original.length)).equals(Buffer.from(original)));
    const written = objectsWrittenAfter(updated, original.length);
    assert.ok(written.includes(secondPage.objectNumber), 'the stamped page');
    for (const [index, page] of before.pageRefs().entries()) {
      if (index !== 1) assert.ok(!written.includes(page.objectNumber), `page ${index + 1} is untouched`);
    }
    assert.ok(!written.includes(before.catalogRef().objectNumber), 'the catalog is untouched');
    const newObjects = written.filter((number) => !before.xref.has(number));
    assert.ok(newObjects.length > 0, 'the new content stream and font');
    assert.ok(newObjects.every((number) => number >= before.size));
    const after = openPdfFile(updated);
    assert.equal(after.catalogRef().objectNumber, before.catalogRef().objectNumber, '/Root stays');
    assert.equal(await checked(updated), 0);
  });

  it('numbers new objects past /Size when a cross-reference stream holds the last number', async (t) => {
    if (!requireTools(t, ['qpdf'])) return;
    // qpdf gives the xref stream (and the object streams) numbers pdf-lib never registers.
    const original = await qpdf(['--object-streams=generate'], await makePdf({ pages: 2 }));
    const before = openPdfFile(original);
    assert.ok(before.lastXrefIsStream);
    const updated = await saveIncrementally(original, async (document) => {
      document.getPage(0).drawRectangle({ x: 10, y: 10, width: 20, height: 20, color: rgb(1, 0, 0) });
    });
    const after = openPdfFile(updated);
    assert.ok(after.lastXrefIsStream, 'an xref stream follows an xref stream (§7.5.8)');
    const newObjects = objectsWrittenAfter(updated, original.length).filter((n) => !before.xref.has(n));
    assert.ok(newObjects.length > 0);
    assert.ok(
      newObjects.every((number) => number >= before.size),
      `${newObjects} ≥ ${before.size}`,
    );
    assert.ok(after.size > Math.max(...newObjects), 'the new /Size covers every new object');
    assert.equal(await checked(updated), 0);
  });

  it('changes an object that lived in an object stream by writing it uncompressed', async (t) => {
    if (!requireTools(t, ['qpdf'])) return;
    const original = await qpdf(['--object-streams=generate'], await makePdf({ pages: 1 }));
    const updated = await saveIncrementally(original, async (document) => {
      document.setTitle('Changed title');
    });
    const info = openPdfFile(updated).trailer.get(PDFName.of('Info'));
    const infoDict = info ? openPdfFile(updated).resolve(info) : undefined;
    assert.ok(infoDict instanceof PDFDict);
    assert.equal((infoDict.get(PDFName.of('Title')) as PDFString | undefined)?.decodeText(), 'Changed title');
    assert.equal(await checked(updated), 0);
  });

  it('returns the original untouched when the edit changes nothing', async () => {
    const original = await makePdf({ pages: 1 });
    const updated = await saveIncrementally(original, async (document) => {
      document.getPages(); // reading is not changing
    });
    assert.equal(updated, original);
  });

  it('refuses an encrypted file with PDF_ENCRYPTED', async (t) => {
    if (!requireTools(t, ['qpdf'])) return;
    const encrypted = await qpdf(['--encrypt', 'u', 'o', '256', '--'], await makePdf({ pages: 1 }));
    await assert.rejects(
      saveIncrementally(encrypted, async () => {}),
      isSignetError('PDF_ENCRYPTED'),
    );
  });

  it('refuses a file whose cross-reference data is damaged with PDF_DAMAGED', async () => {
    const original = await makePdf({ pages: 1 });
    const truncated = original.subarray(0, Math.floor(original.length * 0.6));
    await assert.rejects(
      saveIncrementally(truncated, async () => {}),
      isSignetError('PDF_DAMAGED'),
    );
  });
});

function isSignetError(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof SignetError, String(error));
    assert.equal(error.code, code);
    return true;
  };
}
