import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { useDevPki } from '../../../test/support/devPkiFixture.ts';
import { makePdf } from '../../../test/support/pdfFixtures.ts';
import { verifyPdf } from '../../verify/verifyPdf.ts';
import { type PadesSignature, signPades } from '../pades.ts';
import { PdfBuffer, readPdfFile } from './pdfBuffer.ts';

/*
 * Revisions are appended in place: a document read into a PdfBuffer is never copied while it is
 * signed, and a caller's plain array is copied once and never written to.
 */

const suite = useDevPki('signet-pdf-buffer-');

const SIGNED_AT = new Date('2026-11-30T12:00:00Z');

function twoSignatures(): PadesSignature[] {
  return [
    { identity: suite.pki.sealing, fieldName: 'Signature of Ada', signingTime: SIGNED_AT, name: 'Ada' },
    { identity: suite.pki.sealing, fieldName: 'Signet seal', signingTime: SIGNED_AT, name: 'Signet' },
  ];
}

describe('PdfBuffer', () => {
  it('appends into its headroom without moving the bytes, and grows only when the room runs out', () => {
    const buffer = PdfBuffer.copyOf(Buffer.from('%PDF-1.7\n'), 8);
    const storage = buffer.bytes.buffer;
    assert.equal(buffer.headroom, 8);

    const afterFirst = buffer.append([Buffer.from('1234'), Buffer.from('5678')]);
    assert.equal(Buffer.from(afterFirst).toString('latin1'), '%PDF-1.7\n12345678');
    assert.equal(afterFirst.buffer, storage, 'written into the headroom, not a new array');
    assert.equal(buffer.headroom, 0);

    const afterGrowth = buffer.append([Buffer.from('9')]);
    assert.equal(Buffer.from(afterGrowth).toString('latin1'), '%PDF-1.7\n123456789');
    assert.notEqual(afterGrowth.buffer, storage);
    assert.ok(buffer.headroom > 0, 'growing leaves room for the next append');
  });

  it('never writes to the array it was copied from', () => {
    const original = Buffer.from('%PDF-1.7\nbody');
    const pristine = Buffer.from(original);
    const buffer = PdfBuffer.copyOf(original);
    buffer.append([Buffer.from('more')]);
    assert.deepEqual(original, pristine);
  });

  it('reads a file whole, with the headroom asked for behind it', async () => {
    const pdf = await makePdf({ pages: 2, text: 'Read me' });
    const path = join(suite.work, 'read.pdf');
    await writeFile(path, pdf);
    const buffer = await readPdfFile(path, 1024);
    assert.deepEqual(Buffer.from(buffer.bytes), Buffer.from(pdf));
    assert.equal(buffer.headroom, 1024);
  });
});

describe('signing a PdfBuffer', () => {
  it('appends every revision in place: the document is never copied, and the bytes are the same as from a copy', async () => {
    const pdf = await makePdf({ pages: 1, text: 'Signed in place' });
    const path = join(suite.work, 'in-place.pdf');
    await writeFile(path, pdf);
    const buffer = await readPdfFile(path);
    const storage = buffer.bytes.buffer;

    const inPlace = await signPades(buffer, twoSignatures(), 'B-B', {});
    assert.equal(inPlace.buffer, storage, 'both signatures went into the headroom of the file as read');
    assert.deepEqual(Buffer.from(buffer.bytes), Buffer.from(inPlace));

    // RSA PKCS#1 v1.5 signatures are deterministic, so the same input and times give the same file.
    const fromCopy = await signPades(pdf, twoSignatures(), 'B-B', {});
    assert.deepEqual(Buffer.from(inPlace), Buffer.from(fromCopy));

    const report = await verifyPdf(inPlace, { trustAnchors: [suite.pki.rootDer] });
    assert.deepEqual(
      report.signatures.map((s) => [
        s.fieldName,
        s.integrity.digestMatches && s.integrity.signatureValid,
        s.chain?.trusted,
        s.coverage.modifications,
      ]),
      [
        ['Signature of Ada', true, true, 'allowed-changes'],
        ['Signet seal', true, true, 'untouched'],
      ],
    );
  });

  it('still signs when the revisions outgrow the headroom (one copy, then in place again)', async () => {
    const pdf = await makePdf({ pages: 1, text: 'Little room' });
    const path = join(suite.work, 'little-room.pdf');
    await writeFile(path, pdf);
    const buffer = await readPdfFile(path, 16);
    const signed = await signPades(buffer, twoSignatures(), 'B-B', {});
    const fromCopy = await signPades(pdf, twoSignatures(), 'B-B', {});
    assert.deepEqual(Buffer.from(signed), Buffer.from(fromCopy));
  });
});
