import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { degrees, PDFDocument, PDFName, PDFNumber } from 'pdf-lib';
import { requireTools, runTool } from '../../test/peers/pdfValidators.ts';
import { SignetError } from '../errors.ts';
import { inspectUploadedPdf } from './inspect.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-inspect-'));
});
after(() => rm(work, { recursive: true, force: true }));

const latin1 = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

async function onePagePdf(options: { useObjectStreams?: boolean } = {}): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  document.addPage([612, 792]).drawText('Upload me');
  return document.save(options);
}

async function rejection(bytes: Uint8Array): Promise<SignetError> {
  try {
    await inspectUploadedPdf(bytes);
  } catch (error) {
    assert.ok(error instanceof SignetError, `expected a SignetError, got ${String(error)}`);
    return error;
  }
  assert.fail('the PDF was accepted');
}

async function assertRejected(bytes: Uint8Array, code: string, status: number): Promise<void> {
  const error = await rejection(bytes);
  assert.equal(error.code, code, error.detail);
  assert.equal(error.status, status);
}

/** `qpdf --encrypt` (the peer a user's tools would use) with or without cross-reference streams. */
async function qpdfEncrypted(objectStreams: boolean, userPassword: string): Promise<Uint8Array> {
  const plain = join(work, 'plain.pdf');
  const encrypted = join(work, `encrypted-${objectStreams}-${userPassword.length}.pdf`);
  await writeFile(plain, await onePagePdf());
  const args = objectStreams ? ['--object-streams=generate'] : [];
  const result = await runTool('qpdf', [
    ...args,
    '--encrypt',
    userPassword,
    'owner',
    '256',
    '--',
    plain,
    encrypted,
  ]);
  assert.equal(result.exitCode, 0, result.stderr);
  return readFile(encrypted);
}

describe('inspectUploadedPdf', () => {
  describe('refuses what it cannot process, with a stable code', () => {
    it('PDF_EMPTY (400) for a zero-byte upload', async () => {
      await assertRejected(new Uint8Array(), 'PDF_EMPTY', 400);
    });

    it('PDF_NOT_PDF (400) for an HTML page', async () => {
      await assertRejected(latin1('<!doctype html><html><body>not a pdf</body></html>'), 'PDF_NOT_PDF', 400);
    });

    it('PDF_NOT_PDF (400) when the header comes after the first 1024 bytes', async () => {
      const pdf = await onePagePdf();
      const late = Buffer.concat([Buffer.alloc(1024, 0x20), pdf]);
      await assertRejected(new Uint8Array(late), 'PDF_NOT_PDF', 400);
    });

    it('accepts junk before the header within the first 1024 bytes, as readers do', async () => {
      const pdf = await onePagePdf();
      const prefixed = Buffer.concat([Buffer.alloc(100, 0x20), pdf]);
      // pdf-lib would accept it too; the point is that our own header check does.
      assert.equal((await inspectUploadedPdf(new Uint8Array(prefixed))).pageCount, 1);
    });

    it('PDF_DAMAGED (422) for a file cut off in the middle', async () => {
      const pdf = await onePagePdf();
      await assertRejected(pdf.subarray(0, Math.floor(pdf.length / 2)), 'PDF_DAMAGED', 422);
    });

    it('PDF_DAMAGED (422) for a header and trailer around a garbage body', async () => {
      const garbage = Buffer.concat([
        Buffer.from('%PDF-1.7\n'),
        randomBytes(4096),
        Buffer.from('\nstartxref\n9\n%%EOF\n'),
      ]);
      await assertRejected(new Uint8Array(garbage), 'PDF_DAMAGED', 422);
    });

    it('PDF_DAMAGED (422) for a well-formed document without pages', async () => {
      // addDefaultPage: false — pdf-lib otherwise quietly adds a blank page on save.
      const empty = await (await PDFDocument.create()).save({ addDefaultPage: false });
      await assertRejected(empty, 'PDF_DAMAGED', 422);
    });

    it('PDF_ENCRYPTED (422) for an /Encrypt entry in a classic trailer', async (t) => {
      if (!requireTools(t, ['qpdf'])) return;
      await assertRejected(await qpdfEncrypted(false, 'user'), 'PDF_ENCRYPTED', 422);
    });

    it('PDF_ENCRYPTED (422) for an /Encrypt entry in a cross-reference stream', async (t) => {
      if (!requireTools(t, ['qpdf'])) return;
      await assertRejected(await qpdfEncrypted(true, 'user'), 'PDF_ENCRYPTED', 422);
    });

    it('PDF_ENCRYPTED (422) even without a user password (owner-restricted files)', async (t) => {
      if (!requireTools(t, ['qpdf'])) return;
      await assertRejected(await qpdfEncrypted(true, ''), 'PDF_ENCRYPTED', 422);
    });
  });

  describe('reports the page geometry', () => {
    it('counts pages and reads MediaBox sizes in points', async () => {
      const document = await PDFDocument.create();
      document.addPage([595.28, 841.89]);
      document.addPage([612, 792]);
      document.addPage([841.89, 595.28]);
      const info = await inspectUploadedPdf(await document.save());
      assert.equal(info.pageCount, 3);
      assert.deepEqual(
        info.pages.map(({ width, height }) => [width, height]),
        [
          [595.28, 841.89],
          [612, 792],
          [841.89, 595.28],
        ],
      );
    });

    it('prefers the CropBox, clipped to the MediaBox, and normalises corner order', async () => {
      const document = await PDFDocument.create();
      document.addPage([600, 800]).setCropBox(50, 100, 400, 500);
      const clipped = document.addPage([600, 800]);
      clipped.node.set(PDFName.of('CropBox'), document.context.obj([700, 900, 300, 200])); // reversed corners, overhanging
      const info = await inspectUploadedPdf(await document.save());
      assert.deepEqual(info.pages[0], { width: 400, height: 500, rotation: 0 });
      assert.deepEqual(info.pages[1], { width: 300, height: 600, rotation: 0 });
    });

    it('normalises /Rotate to 0, 90, 180 or 270, including inherited and negative values', async () => {
      const document = await PDFDocument.create();
      document.addPage().setRotation(degrees(90));
      document.addPage().node.set(PDFName.of('Rotate'), PDFNumber.of(-90));
      document.addPage().node.set(PDFName.of('Rotate'), PDFNumber.of(540));
      document.addPage().node.set(PDFName.of('Rotate'), PDFNumber.of(45)); // invalid: ignored
      const inherited = document.addPage();
      document.catalog.Pages().set(PDFName.of('Rotate'), PDFNumber.of(180));
      inherited.node.delete(PDFName.of('Rotate'));
      const info = await inspectUploadedPdf(await document.save());
      assert.deepEqual(
        info.pages.map((p) => p.rotation),
        [90, 270, 180, 0, 180],
      );
    });

    it('reads documents written with cross-reference and object streams', async () => {
      const info = await inspectUploadedPdf(await onePagePdf({ useObjectStreams: true }));
      assert.deepEqual(info, { pageCount: 1, pages: [{ width: 612, height: 792, rotation: 0 }] });
    });
  });
});
