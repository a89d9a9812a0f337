import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { issueFromPeerRoot, peerRootCrl } from '../../test/peers/opensslPeerCa.ts';
import { type OpensslTsa, startOpensslTsa } from '../../test/peers/opensslTsa.ts';
import {
  hasTool,
  makeNssTrustStore,
  type NssTrustStore,
  type PdfsigSignature,
  requireTools,
  runMutoolVerify,
  runPdfsig,
  runQpdfCheck,
  runTool,
} from '../../test/peers/pdfValidators.ts';
import { makeSignaturePng } from '../../test/support/png.ts';
import {
  encryptedPdf,
  garbageXrefPdf,
  loadRealWorldPdf,
  REAL_WORLD_FIXTURES,
  type RealWorldFixture,
  truncatedPdf,
} from '../../test/support/realWorldPdfs.ts';
import { SignetError } from '../errors.ts';
import type { SealingIdentity } from '../pki/signer.ts';
import { verifyPdf } from '../verify/verifyPdf.ts';
import { composeCompletedPdf, locateComposedFields, readPageSizes, type StampField } from './compose.ts';
import { displayedSize } from './composeGeometry.ts';
import { openPdfFile } from './incremental/pdfFile.ts';
import { inspectUploadedPdf } from './inspect.ts';
import { type PadesSignature, signPades, type ValidationDataSource } from './pades.ts';

/*
 * Real-world inputs through the whole completion pipeline, as `envelopes/sealing.ts` runs it:
 * compose (stamp the values) → compose (append the certificate of completion) → signPades with a
 * signature per signer and the seal at B-LTA. Independent validators then judge the output.
 */

const PEERS = ['pdfsig', 'certutil', 'qpdf', 'openssl', 'mutool', 'pdftotext'];
const SIGNERS = ['Ada Lovelace', 'Grace Hopper'] as const;
const SEAL_NAME = 'Signet Test Seal';
const STAMPED_TEXT = 'Northwind Traders Ltd';

let workDir = '';
let tsa: OpensslTsa | undefined;
let trust: NssTrustStore | undefined;
let seal: SealingIdentity;
const signers = new Map<string, SealingIdentity>();

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'signet-real-world-'));
  if (!PEERS.every(hasTool)) return;
  tsa = startOpensslTsa();
  seal = issueFromPeerRoot(tsa, SEAL_NAME);
  for (const name of SIGNERS) signers.set(name, issueFromPeerRoot(tsa, name));
  trust = await makeNssTrustStore(await readFile(tsa.rootPemPath, 'utf8'));
});

after(async () => {
  await trust?.cleanup();
  tsa?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('real-world PDFs through compose and PAdES B-LTA', () => {
  for (const fixture of REAL_WORLD_FIXTURES) {
    it(`completes ${fixture.name}: every signature valid and trusted in pdfsig and mutool, qpdf clean`, async (t) => {
      if (!requireTools(t, [...PEERS, ...fixture.tools]) || !tsa || !trust) return;
      const input = await loadRealWorldPdf(fixture, workDir);
      const output = await completeEnvelope(fixture, input.bytes, tsa);
      const file = join(workDir, `${slug(fixture.name)}.pdf`);
      await writeFile(file, output.signed);

      if (input.foreignSignatures > 0) {
        assert.ok(
          Buffer.from(output.signed.subarray(0, input.bytes.length)).equals(Buffer.from(input.bytes)),
          'a signed upload is extended, never rewritten',
        );
      }
      if (input.foreignSignatures === 0) {
        assert.equal(await pageCount(file), output.documentPages + 1, 'the appendix page follows');
        assert.match(await pageText(file, 1), new RegExp(STAMPED_TEXT), 'the text field is stamped');
      } else {
        // After someone else's signature, new pages or page content are disallowed changes: the
        // values are locked stamp annotations and the certificate is attached (compose.ts).
        assert.equal(await pageCount(file), output.documentPages, 'no page is added to a signed file');
        assert.match(await renderedText(file, 1), new RegExp(STAMPED_TEXT), 'the stamp shows the value');
        assert.match(
          await attachments(file),
          /certificate-of-completion\.pdf/,
          'the certificate is attached',
        );
      }

      const pdfsig = await runPdfsig(file, trust.dir);
      const report = (signature: PdfsigSignature) => signature.raw;
      const ours = pdfsig.filter((s) => s.subFilter === 'ETSI.CAdES.detached');
      assert.equal(ours.length, SIGNERS.length + 1, pdfsig.map(report).join('\n'));
      for (const signature of ours) {
        assert.ok(signature.signatureValid, report(signature));
        assert.ok(signature.certificateTrusted, report(signature));
      }
      // The document time-stamp comes last and covers the whole file (pdfsig cannot check it:
      // it reports its type as "unknown").
      const archive = pdfsig.at(-1);
      assert.ok(archive && !ours.includes(archive) && archive.totalDocumentSigned, archive?.raw);
      const foreign = pdfsig.filter((s) => s.subFilter !== 'ETSI.CAdES.detached' && s !== archive);
      assert.equal(foreign.length, input.foreignSignatures);
      for (const signature of foreign) {
        assert.ok(signature.signatureValid, `the earlier signature still verifies: ${report(signature)}`);
        assert.ok(!signature.totalDocumentSigned, 'and later revisions are visible as such');
      }

      assert.equal(await runQpdfCheck(file), 0, 'qpdf --check');

      const mutool = await runMutoolVerify(file);
      for (const name of [...SIGNERS, SEAL_NAME]) {
        const entry = mutool.find((m) => m.raw.toLowerCase().includes(`cn=${name.toLowerCase()}`));
        assert.ok(entry, `mutool lists the signature of ${name}`);
        assert.match(entry.raw, /signature is valid|unchanged since signing/i, entry.raw);
      }
      const mutoolForeign = mutool.filter((m) => /cn=foreign signer/i.test(m.raw));
      assert.equal(mutoolForeign.length, input.foreignSignatures);
      for (const entry of mutoolForeign) assert.match(entry.raw, /signature is valid/i, entry.raw);

      const trustAnchors = [tsa.rootDer, ...(input.foreignRoot ? [input.foreignRoot] : [])];
      const verification = await verifyPdf(output.signed, { trustAnchors });
      const verdicts = verification.signatures.map((s) => `${s.fieldName}: ${s.verdict}`).join('; ');
      t.diagnostic(`pdfsig ${pdfsig.length} signatures; verifyPdf ${verification.verdict} (${verdicts})`);
      for (const signature of verification.signatures) {
        assert.equal(
          signature.verdict,
          'valid',
          `${signature.fieldName}: ${JSON.stringify(signature.findings)}`,
        );
      }
      assert.equal(verification.signatures.length, SIGNERS.length + 2 + input.foreignSignatures);
      assert.equal(verification.verdict, 'valid', JSON.stringify(verification.findings));
    });
  }
});

describe('inputs that cannot be completed are refused with a clear error, never a crash', () => {
  const field: StampField = {
    documentIndex: 0,
    page: 1,
    x: 40,
    y: 40,
    width: 200,
    height: 20,
    value: { kind: 'text', text: 'x' },
  };
  const compose = (bytes: Uint8Array) =>
    composeCompletedPdf({ documents: [{ name: 'upload.pdf', bytes }], fields: [field] });

  it('an encrypted file: PDF_ENCRYPTED at upload and in the incremental writer, DOCUMENT_ENCRYPTED in compose', async (t) => {
    if (!requireTools(t, ['qpdf'])) return;
    const encrypted = await encryptedPdf(workDir);
    await assert.rejects(inspectUploadedPdf(encrypted), signetError('PDF_ENCRYPTED'));
    await assert.rejects(compose(encrypted), signetError('DOCUMENT_ENCRYPTED'));
    assert.throws(() => openPdfFile(encrypted), signetError('PDF_ENCRYPTED'));
    await assert.rejects(sealOnly(encrypted), signetError('PDF_ENCRYPTED'));
  });

  it('a truncated file: PDF_DAMAGED at upload and in the incremental writer, DOCUMENT_UNREADABLE in compose', async () => {
    const truncated = await truncatedPdf();
    await assert.rejects(inspectUploadedPdf(truncated), signetError('PDF_DAMAGED'));
    await assert.rejects(compose(truncated), signetError('DOCUMENT_UNREADABLE'));
    assert.throws(() => openPdfFile(truncated), signetError('PDF_DAMAGED'));
    await assert.rejects(sealOnly(truncated), signetError('PDF_DAMAGED'));
  });

  it('a garbage cross-reference table: PDF_DAMAGED in the incremental writer; compose rewrites it whole', async (t) => {
    if (!requireTools(t, ['qpdf'])) return;
    const garbage = await garbageXrefPdf();
    assert.throws(() => openPdfFile(garbage), signetError('PDF_DAMAGED'));
    await assert.rejects(sealOnly(garbage), signetError('PDF_DAMAGED'));
    // An unsigned upload is merged into a new file: pdf-lib reads objects without the table,
    // so the composed file has a fresh, correct one and nothing is lost.
    const repaired = join(workDir, 'garbage-xref-composed.pdf');
    await writeFile(repaired, await compose(garbage));
    assert.equal(await runQpdfCheck(repaired), 0);
  });

  it('a signed upload with a garbage cross-reference table: PDF_DAMAGED at upload, DOCUMENT_UNREADABLE in compose', async (t) => {
    if (!requireTools(t, ['mutool', 'openssl'])) return;
    const signed = REAL_WORLD_FIXTURES.find((f) => f.name.includes('mutool sign, classic'));
    assert.ok(signed);
    const { bytes } = await loadRealWorldPdf(signed, workDir);
    // Refused already at upload: the repair compose does for unsigned files is no option here.
    await assert.rejects(inspectUploadedPdf(await garbageXrefPdf(bytes)), signetError('PDF_DAMAGED'));
    await assert.rejects(compose(await garbageXrefPdf(bytes)), signetError('DOCUMENT_UNREADABLE'));
    await assert.rejects(compose(await truncatedPdf(bytes)), signetError('DOCUMENT_UNREADABLE'));
  });
});

// ---------------------------------------------------------------------------------------------

interface CompletedEnvelope {
  signed: Uint8Array;
  documentPages: number;
}

/**
 * What `envelopes/sealing.ts` does on completion: stamp a text field, a checkbox and one drawn
 * signature per signer; append the certificate of completion; sign once per signer (visible,
 * on their signature field) and seal, at B-LTA with OpenSSL's TSA and an OpenSSL-made CRL.
 */
async function completeEnvelope(
  fixture: RealWorldFixture,
  original: Uint8Array,
  peer: OpensslTsa,
): Promise<CompletedEnvelope> {
  const sizes = await readPageSizes(original);
  const first = displayedSize(sizes[0] ?? { width: 0, height: 0, rotation: 0 });
  const last = displayedSize(sizes.at(-1) ?? { width: 0, height: 0, rotation: 0 });
  // Signer boxes on the first and on the last page, the last one near its far corner, so the
  // mapping is exercised on every page shape the fixture has.
  const signatureBoxes = [
    { documentIndex: 0, page: 1, x: 40, y: 110, width: 180, height: 60 },
    {
      documentIndex: 0,
      page: sizes.length,
      x: last.width - 240,
      y: last.height - 100,
      width: 180,
      height: 60,
    },
  ];
  const fields: StampField[] = [
    {
      documentIndex: 0,
      page: 1,
      x: 40,
      y: 40,
      width: 220,
      height: 22,
      value: { kind: 'text', text: STAMPED_TEXT },
    },
    {
      documentIndex: 0,
      page: 1,
      x: 40,
      y: 75,
      width: 18,
      height: 18,
      value: { kind: 'checkbox', checked: true },
    },
    ...signatureBoxes.map((box) => ({ ...box, value: { kind: 'image' as const, png: makeSignaturePng() } })),
  ];
  assert.ok(first.width > 260 && first.height > 200, `${fixture.name}: the first page is big enough`);

  const stamped = await composeCompletedPdf({ documents: [{ name: 'upload.pdf', bytes: original }], fields });
  const combined = await composeCompletedPdf({
    documents: [{ name: 'completed.pdf', bytes: stamped }],
    fields: [],
    appendix: await certificateOfCompletion(),
  });
  const placed = await locateComposedFields(combined, [sizes.length], signatureBoxes);
  const perSigner = SIGNERS.map((name, index): PadesSignature => {
    const identity = signers.get(name);
    const box = placed[index];
    assert.ok(identity && box);
    return {
      // As in sealing: the identity is made just before its own signature.
      identity: async () => identity,
      fieldName: `Signature of ${name}`,
      signingTime: new Date(),
      name,
      visible: { ...box, lines: [`Digitally signed by ${name}`] },
    };
  });
  const signed = await signPades(
    combined,
    [...perSigner, { identity: seal, fieldName: 'Signet seal', signingTime: new Date(), name: 'Signet' }],
    'B-LTA',
    { tsa: peer, validationData: peerValidationData(peer) },
  );
  return { signed, documentPages: sizes.length };
}

/** Hands back the certificates plus a CRL made by OpenSSL, as pades.test.ts does. */
function peerValidationData(peer: OpensslTsa): ValidationDataSource {
  return {
    async collect(certificates) {
      return { certificates, ocspResponses: [], crls: [peerRootCrl(peer)] };
    },
  };
}

/** Straight to the incremental writer, as for a file that skipped compose. */
function sealOnly(pdf: Uint8Array): Promise<Uint8Array> {
  return signPades(pdf, [{ identity: seal, fieldName: 'Seal', signingTime: new Date() }], 'B-B', {});
}

async function certificateOfCompletion(): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  document.addPage([595.28, 841.89]).drawText('Certificate of completion', { x: 50, y: 780, size: 18, font });
  return document.save();
}

async function pageCount(file: string): Promise<number> {
  const { stdout } = await runTool('pdfinfo', [file]);
  return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1]);
}

/** Text as drawn, annotation appearances included (pdftotext leaves annotations out). */
async function renderedText(file: string, page: number): Promise<string> {
  const { stdout } = await runTool('mutool', ['draw', '-q', '-F', 'txt', '-o', '-', file, `${page}`]);
  return stdout.replace(/\s+/g, ' ');
}

/** pdfdetach lists embedded files, those in file-attachment annotations included. */
async function attachments(file: string): Promise<string> {
  const { stdout } = await runTool('pdfdetach', ['-list', file]);
  return stdout;
}

async function pageText(file: string, page: number): Promise<string> {
  const { stdout } = await runTool('pdftotext', ['-f', `${page}`, '-l', `${page}`, file, '-']);
  return stdout.replace(/\s+/g, ' ');
}

function signetError(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof SignetError, `expected a SignetError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 60);
}
