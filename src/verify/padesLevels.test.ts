import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PDFArray, PDFDocument, PDFName, PDFRef } from 'pdf-lib';
import { issueFromPeerRoot, peerRootCrl } from '../../test/peers/opensslPeerCa.ts';
import { type OpensslTsa, startOpensslTsa } from '../../test/peers/opensslTsa.ts';
import { hasTool, installCommandFor } from '../../test/peers/pdfValidators.ts';
import { appendIncrementalUpdate } from '../../test/support/handWrittenUpdate.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import { type PadesLevel, signPades } from '../pdf/pades.ts';
import type { SealingIdentity } from '../pki/signer.ts';
import type { VerificationReport } from './report.ts';
import { verifyPdf } from './verifyPdf.ts';

/*
 * B-T, B-LT and B-LTA files from Signet's incremental writer, time-stamped by OpenSSL's TSA and
 * carrying an OpenSSL CRL in the DSS: the validator must recognise each level, judge every
 * revision after each signature allowed, and check the archive time-stamp.
 */

const skip = hasTool('openssl') ? false : installCommandFor(['openssl']);

describe('PAdES levels of files from the incremental writer', { skip }, () => {
  let tsa: OpensslTsa;
  let seal: SealingIdentity;
  let signer: SealingIdentity;
  const reports = new Map<PadesLevel, { pdf: Uint8Array; report: VerificationReport }>();

  before(async () => {
    tsa = startOpensslTsa();
    seal = issueFromPeerRoot(tsa, 'Levels Test Seal');
    signer = issueFromPeerRoot(tsa, 'Grace Hopper');
    const validationData = {
      collect: async (certificates: Uint8Array[]) => ({
        certificates,
        ocspResponses: [],
        crls: [peerRootCrl(tsa)],
      }),
    };
    for (const level of ['B-T', 'B-LT', 'B-LTA'] as PadesLevel[]) {
      const pdf = await signPades(
        await makePdf({ pages: 2 }),
        [
          { identity: signer, fieldName: 'Grace Hopper', signingTime: new Date(), name: 'Grace Hopper' },
          { identity: seal, fieldName: 'Signet seal', signingTime: new Date(), reason: 'Sealed by Signet' },
        ],
        level,
        { tsa, validationData },
      );
      reports.set(level, { pdf, report: await verifyPdf(pdf, { trustAnchors: [tsa.rootDer] }) });
    }
  });
  after(() => tsa?.close());

  const signaturesOf = (level: PadesLevel) => reports.get(level)?.report.signatures ?? [];

  for (const level of ['B-T', 'B-LT', 'B-LTA'] as PadesLevel[]) {
    it(`recognises ${level} for both signatures, with the TSA named and every later revision allowed`, () => {
      const report = reports.get(level)?.report;
      assert.equal(report?.verdict, 'valid', JSON.stringify(report?.findings, null, 2));
      const signatures = signaturesOf(level).filter((s) => s.kind === 'signature');
      assert.deepEqual(
        signatures.map((s) => s.padesLevel),
        [level, level],
      );
      for (const signature of signatures) {
        assert.equal(signature.timestamp?.imprintMatches, true);
        assert.equal(signature.timestamp?.trusted, true);
        assert.match(signature.timestamp?.tsaName ?? '', /TSA/);
        assert.equal(signature.chain?.checkedAtSource, 'signature-timestamp');
        assert.ok(
          signature.coverage.changes.every((c) => c.allowed),
          JSON.stringify(signature.coverage.changes, null, 2),
        );
      }
    });
  }

  it('takes revocation data for B-LT from the DSS', () => {
    const [first] = signaturesOf('B-LT');
    assert.ok(
      first?.chain?.revocation.every((r) => r.status === 'good' && r.source === 'dss'),
      JSON.stringify(first?.chain),
    );
    assert.ok(first?.coverage.changes.some((c) => c.rule === 'dss'));
  });

  it('checks the archive document time-stamp of B-LTA over the ByteRange of its revision', () => {
    const archive = signaturesOf('B-LTA').find((s) => s.kind === 'document-timestamp');
    assert.ok(archive);
    assert.equal(archive.subFilter, 'ETSI.RFC3161');
    assert.equal(archive.verdict, 'valid', JSON.stringify(archive.findings));
    assert.equal(archive.integrity.digestMatches, true);
    assert.equal(archive.coverage.coversWholeFile, true);
    assert.equal(archive.padesLevel, undefined);
  });

  it('still catches page content replaced after the archive time-stamp', async () => {
    const entry = reports.get('B-LTA');
    assert.ok(entry);
    const page = (await PDFDocument.load(entry.pdf, { updateMetadata: false })).getPage(0);
    const contents = page.node.get(PDFName.of('Contents'));
    const first = contents instanceof PDFArray ? contents.get(0) : contents;
    assert.ok(first instanceof PDFRef);
    const forged = appendIncrementalUpdate(entry.pdf, [
      { number: first.objectNumber, body: '<< /Length 17 >>\nstream\nBT (forged) Tj ET\nendstream' },
    ]);
    const report = await verifyPdf(forged, { trustAnchors: [tsa.rootDer] });
    assert.equal(report.verdict, 'invalid');
    assert.ok(
      report.findings.some((f) => f.code === 'DISALLOWED_CHANGE'),
      JSON.stringify(report.findings, null, 2),
    );
  });
});
