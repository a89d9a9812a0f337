import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useDevPki } from '../../test/support/devPkiFixture.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import { SignetError } from '../errors.ts';
import { verifyPdf } from '../verify/verifyPdf.ts';
import { createPadesCms } from './cms.ts';
import { composeCompletedPdf, type StampField } from './compose.ts';
import type { DocMdpPermission } from './docMdp.ts';
import { PdfBuffer } from './incremental/pdfBuffer.ts';
import { appendSignatureRevision } from './incremental/signatureRevision.ts';
import { inspectUploadedPdf } from './inspect.ts';
import { sealPdf } from './seal.ts';

/*
 * Certified documents (DocMDP, ISO 32000-1 §12.8.2.2) from upload to verification: the author's
 * certification says which changes may follow, the upload gate refuses what completion would
 * break, and the validator judges every later revision by that permission.
 */

const suite = useDevPki('signet-certified-');

async function certified(permission: DocMdpPermission): Promise<Uint8Array> {
  return appendSignatureRevision(
    PdfBuffer.copyOf(await makePdf({ pages: 1, text: 'Certified by its author' })),
    { kind: 'signature', fieldName: 'Author certification', contentsBytes: 16_384, certify: permission },
    (digest) => createPadesCms(digest, suite.pki.sealing),
  );
}

const stamp: StampField = {
  documentIndex: 0,
  page: 1,
  x: 60,
  y: 300,
  width: 200,
  height: 20,
  value: { kind: 'text', text: 'Filled in later' },
};

/** What sealing does with a single signed upload: stamp in place, attach the certificate, seal. */
async function complete(pdf: Uint8Array): Promise<Uint8Array> {
  const stamped = await composeCompletedPdf({
    documents: [{ name: 'certified.pdf', bytes: pdf }],
    fields: [stamp],
  });
  const withCertificate = await composeCompletedPdf({
    documents: [{ name: 'completed.pdf', bytes: stamped }],
    fields: [],
    appendix: await makePdf({ text: 'Certificate of completion' }),
  });
  return sealPdf(withCertificate, suite.pki.sealing);
}

const verify = (pdf: Uint8Array) => verifyPdf(pdf, { trustAnchors: [suite.pki.rootDer] });

describe('a certified document', () => {
  it('carries its permission where validators look: the signature reference and the catalog /Perms', async () => {
    const report = await verify(await certified(2));
    assert.equal(report.verdict, 'valid', JSON.stringify(report.findings));
    const [certification] = report.signatures;
    assert.equal(certification?.fieldName, 'Author certification');
  });

  it('certifies only as the first signature', async () => {
    await assert.rejects(
      appendSignatureRevision(
        PdfBuffer.copyOf(await certified(3)),
        { kind: 'signature', fieldName: 'Second', contentsBytes: 16_384, certify: 3 },
        (digest) => createPadesCms(digest, suite.pki.sealing),
      ),
      (error: unknown) => error instanceof SignetError && error.code === 'PDF_ALREADY_SIGNED',
    );
  });

  for (const permission of [1, 2] as const) {
    it(`at level ${permission} is refused at upload with PDF_CERTIFIED, before anyone signs`, async () => {
      await assert.rejects(inspectUploadedPdf(await certified(permission)), (error: unknown) => {
        assert.ok(error instanceof SignetError);
        assert.equal(error.code, 'PDF_CERTIFIED');
        assert.equal(error.status, 422);
        assert.match(error.message, new RegExp(`DocMDP level ${permission}`));
        return true;
      });
    });
  }

  it('at level 3 is accepted, completed with annotations only, and every signature stays valid', async () => {
    const pdf = await certified(3);
    assert.equal((await inspectUploadedPdf(pdf)).pageCount, 1);
    const report = await verify(await complete(pdf));
    assert.equal(report.verdict, 'valid', JSON.stringify(report.findings));
    const certification = report.signatures[0];
    assert.equal(certification?.coverage.modifications, 'allowed-changes');
    assert.ok(certification?.coverage.changes.some((c) => c.allowed && /annotation \/Stamp/.test(c.message)));
  });

  it('at level 2, the validator judges an added annotation not allowed, a further signature allowed', async () => {
    const pdf = await certified(2);
    const signedAgain = await sealPdf(pdf, suite.pki.sealing);
    assert.equal((await verify(signedAgain)).verdict, 'valid');

    const annotated = await complete(pdf);
    const report = await verify(annotated);
    assert.equal(report.verdict, 'invalid');
    const certification = report.signatures[0];
    assert.equal(certification?.coverage.modifications, 'disallowed-changes');
    assert.ok(certification?.coverage.changes.some((c) => !c.allowed && /annotation/.test(c.message)));
  });

  it('at level 1, even a further signature is a disallowed change', async () => {
    const report = await verify(await sealPdf(await certified(1), suite.pki.sealing));
    assert.equal(report.verdict, 'invalid');
    assert.equal(report.signatures[0]?.coverage.modifications, 'disallowed-changes');
  });
});
