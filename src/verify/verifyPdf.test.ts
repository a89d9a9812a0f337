import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, PDFString } from 'pdf-lib';
import {
  makeNssTrustStore,
  type NssTrustStore,
  requireTools,
  runMutoolVerify,
  runPdfsig,
  runTool,
} from '../../test/peers/pdfValidators.ts';
import { appendIncrementalUpdate, streamBody } from '../../test/support/handWrittenUpdate.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import { SignetError } from '../errors.ts';
import { sealPdf } from '../pdf/seal.ts';
import { type DevPki, loadOrCreateDevPki } from '../pki/devCa.ts';
import { issueCertificate, KeyUsage, subjectPublicKeyOf } from '../pki/issue.ts';
import { sealingIdentityFromKeyObject, signingKeyFromKeyObject } from '../pki/signer.ts';
import type { VerificationReport } from './report.ts';
import { verifyPdf } from './verifyPdf.ts';

let work: string;
let pki: DevPki;
let sealed: Uint8Array;
let trustStore: NssTrustStore | undefined;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-verify-'));
  pki = await loadOrCreateDevPki(join(work, 'pki'));
  sealed = await sealPdf(await makePdf({ pages: 2 }), pki.sealing, { reason: 'Envelope completed' });
});

after(async () => {
  await trustStore?.cleanup();
  await rm(work, { recursive: true, force: true });
});

const verify = (pdf: Uint8Array, trustAnchors = [pki.rootDer]) => verifyPdf(pdf, { trustAnchors });

async function workFile(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(work, name);
  await writeFile(path, bytes);
  return path;
}

async function nssDir(): Promise<string> {
  trustStore ??= await makeNssTrustStore(pki.rootPem);
  return trustStore.dir;
}

function onlySignature(report: VerificationReport) {
  assert.equal(report.signatures.length, 1, JSON.stringify(report, null, 2));
  return report.signatures[0]!;
}

const codes = (findings: { code: string }[]) => findings.map((f) => f.code);

/** The sealed file's first page: its reference, its dictionary and the next free object number. */
async function firstPageOf(pdf: Uint8Array) {
  const document = await PDFDocument.load(pdf, { updateMetadata: false });
  const page = document.getPage(0);
  return { document, ref: page.ref, node: page.node, next: document.context.largestObjectNumber + 1 };
}

describe('verifyPdf on a Signet seal', () => {
  it('reports a fresh B-B seal valid, trusted and covering the whole file, as pdfsig does', async (t) => {
    const report = await verify(sealed);
    const signature = onlySignature(report);
    assert.equal(report.verdict, 'valid', JSON.stringify(report.findings));
    assert.equal(signature.verdict, 'valid');
    assert.equal(signature.kind, 'signature');
    assert.equal(signature.subFilter, 'ETSI.CAdES.detached');
    assert.equal(signature.fieldName, 'Signet seal');
    assert.equal(signature.signer?.commonName, 'Signet Document Sealing');
    assert.deepEqual(signature.integrity, {
      byteRangeValid: true,
      digestMatches: true,
      signatureValid: true,
      digestAlgorithm: 'sha256',
      signatureAlgorithm: 'sha256WithRSAEncryption',
    });
    assert.equal(signature.chain?.trusted, true);
    assert.equal(signature.chain?.path.length, 3, 'sealing certificate, issuing CA, root');
    assert.equal(signature.chain?.checkedAtSource, 'claimed-time');
    assert.equal(signature.coverage.coversWholeFile, true);
    assert.equal(signature.coverage.signedRevision, 2, 'the seal is an incremental update on the original');
    assert.equal(signature.coverage.modifications, 'untouched');
    assert.equal(signature.padesLevel, 'B-B');
    assert.ok(!codes(signature.findings).includes('PADES_SIGNING_TIME_PRESENT'));
    assert.match(report.sha256, /^[0-9a-f]{64}$/);

    if (!requireTools(t, ['pdfsig', 'certutil'])) return;
    const [peer] = await runPdfsig(await workFile('sealed.pdf', sealed), await nssDir());
    assert.ok(peer?.signatureValid && peer.totalDocumentSigned, peer?.raw);
    // poppler asks the certificate's OCSP responder (AIA) and, when none answers (no server runs
    // here), reports "Unknown issue" instead of a trust verdict; it agrees whenever it can decide.
    if (!/Unknown issue with Certificate/.test(peer.raw)) assert.ok(peer.certificateTrusted, peer.raw);
  });

  it('is invalid with a digest mismatch when one byte inside the signed range is flipped', async () => {
    const tampered = new Uint8Array(sealed);
    tampered[12] = (tampered[12] ?? 0) ^ 0x01; // inside the header comment: still a readable PDF
    const report = await verify(tampered);
    const signature = onlySignature(report);
    assert.equal(signature.verdict, 'invalid');
    assert.equal(signature.integrity.digestMatches, false);
    assert.ok(codes(signature.findings).includes('DIGEST_MISMATCH'));
    assert.equal(report.verdict, 'invalid');
  });

  it('is invalid when pdf-lib rewrote the whole file after signing', async () => {
    const rewritten = await (await PDFDocument.load(sealed, { updateMetadata: false })).save();
    const report = await verify(rewritten);
    const signature = onlySignature(report);
    assert.equal(signature.verdict, 'invalid', JSON.stringify(signature.findings));
    assert.equal(report.verdict, 'invalid');
  });

  it('judges page content replaced in a later revision not allowed, although pdfsig and mutool do not object', async (t) => {
    const page = await firstPageOf(sealed);
    const forgedPage = page.node.clone(page.document.context);
    forgedPage.set(PDFName.of('Contents'), PDFRef.of(page.next));
    const forged = appendIncrementalUpdate(sealed, [
      { number: page.next, body: streamBody('BT /F1 24 Tf 72 700 Td (Pay 1,000,000 to Mallory) Tj ET') },
      { number: page.ref.objectNumber, body: forgedPage.toString() },
    ]);

    const report = await verify(forged);
    const signature = onlySignature(report);
    assert.equal(signature.verdict, 'valid', 'the signature itself is intact');
    assert.equal(signature.coverage.coversWholeFile, false);
    assert.equal(signature.coverage.signedRevision, 2);
    assert.equal(signature.coverage.totalRevisions, 3);
    assert.equal(signature.coverage.modifications, 'disallowed-changes');
    assert.equal(report.verdict, 'invalid');
    assert.ok(
      report.findings.some(
        (f) => f.code === 'DISALLOWED_CHANGE' && /not allowed: page 1 content changed/.test(f.message),
      ),
      JSON.stringify(report.findings, null, 2),
    );

    // Documentation: the reference tools see only an intact signature over part of the file.
    if (!requireTools(t, ['pdfsig', 'certutil', 'mutool'])) return;
    const file = await workFile('content-replaced.pdf', forged);
    const [pdfsig] = await runPdfsig(file, await nssDir());
    assert.ok(pdfsig?.signatureValid, pdfsig?.raw);
    assert.equal(pdfsig?.totalDocumentSigned, false);
    const [mutool] = await runMutoolVerify(file);
    assert.doesNotMatch(mutool?.raw ?? '', /Digest error|not valid/i);
  });

  it('judges a page content stream redefined in place not allowed', async () => {
    const page = await firstPageOf(sealed);
    const entry = page.node.get(PDFName.of('Contents'));
    const contents = entry instanceof PDFArray ? entry.get(0) : entry;
    assert.ok(contents instanceof PDFRef);
    const forged = appendIncrementalUpdate(sealed, [
      { number: contents.objectNumber, body: streamBody('BT /F1 24 Tf 72 700 Td (Forged) Tj ET') },
    ]);
    const report = await verify(forged);
    assert.equal(report.verdict, 'invalid');
    assert.ok(
      report.findings.some((f) =>
        new RegExp(`page 1 content stream ${contents.objectNumber} 0 R changed`).test(f.message),
      ),
    );
  });

  it('allows a later revision that only adds a text annotation (no DocMDP)', async () => {
    const page = await firstPageOf(sealed);
    const annots = page.node.lookup(PDFName.of('Annots'), PDFArray);
    const updatedPage = page.node.clone(page.document.context);
    updatedPage.set(
      PDFName.of('Annots'),
      page.document.context.obj([...annots.asArray(), PDFRef.of(page.next)]),
    );
    const annotated = appendIncrementalUpdate(sealed, [
      {
        number: page.next,
        body: `<< /Type /Annot /Subtype /Text /Rect [72 72 92 92] /Contents (Checked) /P ${page.ref} >>`,
      },
      { number: page.ref.objectNumber, body: updatedPage.toString() },
    ]);
    const report = await verify(annotated);
    const signature = onlySignature(report);
    assert.equal(
      signature.coverage.modifications,
      'allowed-changes',
      JSON.stringify(signature.coverage.changes),
    );
    assert.ok(
      signature.coverage.changes.some(
        (c) => c.allowed && /annotation \/Text .* added to page 1/.test(c.message),
      ),
    );
    assert.equal(report.verdict, 'valid', JSON.stringify(report.findings));
  });

  it('allows a later revision that adds an empty signature field with its widget', async () => {
    const page = await firstPageOf(sealed);
    const context = page.document.context;
    const acroFormRef = page.document.catalog.get(PDFName.of('AcroForm'));
    assert.ok(acroFormRef instanceof PDFRef, 'sealPdf writes an indirect AcroForm');
    const existing = page.document.catalog.lookup(PDFName.of('AcroForm'), PDFDict);
    const acroForm = existing.clone(context);
    const fields = existing.lookup(PDFName.of('Fields'), PDFArray);
    acroForm.set(PDFName.of('Fields'), context.obj([...fields.asArray(), PDFRef.of(page.next)]));
    const annots = page.node.lookup(PDFName.of('Annots'), PDFArray);
    const updatedPage = page.node.clone(context);
    updatedPage.set(PDFName.of('Annots'), context.obj([...annots.asArray(), PDFRef.of(page.next)]));
    const widget = context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      T: PDFString.of('Second signer'),
      Rect: [72, 72, 272, 122],
      F: 4,
      P: page.ref,
    });
    const updated = appendIncrementalUpdate(sealed, [
      { number: page.next, body: widget.toString() },
      { number: page.ref.objectNumber, body: updatedPage.toString() },
      { number: acroFormRef.objectNumber, body: acroForm.toString() },
    ]);
    const report = await verify(updated);
    const signature = onlySignature(report);
    assert.equal(
      signature.coverage.modifications,
      'allowed-changes',
      JSON.stringify(signature.coverage.changes, null, 2),
    );
    const messages = signature.coverage.changes.map((c) => c.message);
    assert.ok(messages.includes("signature field 'Second signer' added"), messages.join('\n'));
    assert.ok(
      messages.includes("widget of signature field 'Second signer' added to page 1"),
      messages.join('\n'),
    );
    assert.equal(report.verdict, 'valid');
  });

  it('judges a change to the earlier signature dictionary not allowed', async () => {
    const document = await PDFDocument.load(sealed, { updateMetadata: false });
    const fields = document.catalog
      .lookup(PDFName.of('AcroForm'), PDFDict)
      .lookup(PDFName.of('Fields'), PDFArray);
    const widget = document.context.lookup(fields.get(0), PDFDict);
    const signatureRef = widget.get(PDFName.of('V'));
    assert.ok(signatureRef instanceof PDFRef);
    const signatureDict = document.context.lookup(signatureRef);
    assert.ok(signatureDict);
    const forged = appendIncrementalUpdate(sealed, [
      {
        number: signatureRef.objectNumber,
        body: signatureDict.toString().replace('/Reason', '/Location (Elsewhere) /Reason'),
      },
    ]);
    const report = await verify(forged);
    assert.equal(report.verdict, 'invalid');
    assert.ok(
      report.findings.some((f) =>
        /signature dictionary .* of the earlier signature 'Signet seal' changed/.test(f.message),
      ),
      JSON.stringify(report.findings, null, 2),
    );
  });

  it('says who sealed it: matches the file hash against documents Signet sealed', async () => {
    const sealedSha256 = createHash('sha256').update(sealed).digest('hex');
    const report = await verifyPdf(sealed, {
      trustAnchors: [pki.rootDer],
      knownSealedDocument: async (sha256) => (sha256 === sealedSha256 ? { envelopeId: 'env-1' } : undefined),
    });
    assert.deepEqual(report.sealedBySignet, { envelopeId: 'env-1' });
    const other = await verifyPdf(await sealPdf(await makePdf(), pki.sealing), {
      trustAnchors: [pki.rootDer],
      knownSealedDocument: async () => undefined,
    });
    assert.equal(other.sealedBySignet, null);
  });
});

describe('verifyPdf on signatures from elsewhere', () => {
  it('reports a signature by a self-signed certificate intact but untrusted', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    await runTool('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(work, 'self.key'),
      '-out',
      join(work, 'self.pem'),
      '-days',
      '30',
      '-subj',
      '/CN=Self Signed Mallory',
    ]);
    const key = createPrivateKey(await readFile(join(work, 'self.key')));
    const certificate = new Uint8Array(new X509Certificate(await readFile(join(work, 'self.pem'))).raw);
    const signed = await sealPdf(await makePdf(), sealingIdentityFromKeyObject(key, certificate, []));
    const report = await verify(signed);
    const signature = onlySignature(report);
    assert.equal(signature.integrity.signatureValid, true);
    assert.equal(signature.chain?.trusted, false);
    assert.equal(signature.verdict, 'indeterminate');
    assert.ok(codes(signature.findings).includes('CHAIN_UNTRUSTED'));
    assert.equal(report.verdict, 'indeterminate');

    const trustingIt = await verify(signed, [certificate]);
    assert.equal(trustingIt.verdict, 'valid', JSON.stringify(trustingIt.findings));
  });

  it('reports a signature whose certificate had expired at signing time invalid', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const day = 24 * 60 * 60 * 1000;
    const expired = await issueCertificate(
      {
        subject: { commonName: 'Expired Signer' },
        subjectPublicKey: subjectPublicKeyOf(privateKey),
        notBefore: new Date(Date.now() - 400 * day),
        notAfter: new Date(Date.now() - 35 * day),
        keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
      },
      pki.issuingCa,
    );
    const signed = await sealPdf(
      await makePdf(),
      sealingIdentityFromKeyObject(privateKey, expired, [pki.issuingCa.certificate, pki.rootDer]),
    );
    const signature = onlySignature(await verify(signed));
    assert.equal(signature.integrity.signatureValid, true);
    assert.equal(signature.integrity.signatureAlgorithm, 'ecdsa-with-SHA256');
    assert.equal(signature.chain?.trusted, true);
    assert.equal(signature.verdict, 'invalid');
    assert.ok(codes(signature.findings).includes('CERTIFICATE_EXPIRED'), JSON.stringify(signature.findings));
  });

  it("reports a signature made by a key other than its certificate's invalid, though the chain is trusted", async (t) => {
    const { privateKey: mallorysKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // The sealing certificate and its trusted chain, but a key that is not the certificate's:
    // what a forger holding only the public certificate could produce.
    const forger = {
      ...signingKeyFromKeyObject(mallorysKey),
      certificate: pki.sealing.certificate,
      chain: pki.sealing.chain,
    };
    const forged = await sealPdf(await makePdf(), forger);
    const signature = onlySignature(await verify(forged));
    assert.equal(signature.integrity.digestMatches, true, 'the document itself is untouched');
    assert.equal(signature.integrity.signatureValid, false);
    assert.equal(signature.verdict, 'invalid');
    assert.ok(codes(signature.findings).includes('SIGNATURE_INVALID'), JSON.stringify(signature.findings));

    if (!requireTools(t, ['pdfsig', 'certutil'])) return;
    const [peer] = await runPdfsig(await workFile('forged-key.pdf', forged), await nssDir());
    assert.ok(peer && !peer.signatureValid, peer?.raw);
  });

  it('verifies a signature made by mutool sign: intact, untrusted unless its root is passed', async (t) => {
    if (!requireTools(t, ['openssl', 'mutool'])) return;
    const file = (name: string) => join(work, name);
    const openssl = async (...args: string[]) => {
      const result = await runTool('openssl', args);
      assert.equal(result.exitCode, 0, result.stderr);
    };
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file('m-ca.key'),
      '-out',
      file('m-ca.pem'),
      '-days',
      '30',
      '-subj',
      '/CN=Mutool Test Root',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file('m-signer.key'),
      '-out',
      file('m-signer.csr'),
      '-subj',
      '/CN=Mutool Signer/emailAddress=signer@example.test',
    );
    await writeFile(
      file('m-ext.cnf'),
      'keyUsage=critical,digitalSignature,nonRepudiation\nbasicConstraints=CA:FALSE\n',
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      file('m-signer.csr'),
      '-CA',
      file('m-ca.pem'),
      '-CAkey',
      file('m-ca.key'),
      '-CAcreateserial',
      '-out',
      file('m-signer.pem'),
      '-days',
      '30',
      '-extfile',
      file('m-ext.cnf'),
    );
    await openssl(
      'pkcs12',
      '-export',
      '-inkey',
      file('m-signer.key'),
      '-in',
      file('m-signer.pem'),
      '-out',
      file('m-signer.p12'),
      '-passout',
      'pass:secret',
    );
    await writeFile(file('m-unsigned.pdf'), await pdfWithEmptySignatureField());
    const signing = await runTool('mutool', [
      'sign',
      '-s',
      file('m-signer.p12'),
      '-P',
      'secret',
      '-o',
      file('m-signed.pdf'),
      file('m-unsigned.pdf'),
    ]);
    assert.equal(signing.exitCode, 0, signing.stderr);
    const signed = await readFile(file('m-signed.pdf'));

    const untrusted = onlySignature(await verify(signed));
    assert.equal(untrusted.subFilter, 'adbe.pkcs7.detached');
    assert.equal(untrusted.signer?.email, 'signer@example.test');
    assert.deepEqual(
      [untrusted.integrity.digestMatches, untrusted.integrity.signatureValid, untrusted.chain?.trusted],
      [true, true, false],
    );
    assert.equal(untrusted.verdict, 'indeterminate');
    assert.equal(untrusted.coverage.coversWholeFile, true);
    assert.equal(untrusted.coverage.signedRevision, 2, 'mutool signs in an incremental update');
    assert.equal(untrusted.padesLevel, undefined, 'adbe.pkcs7.detached is not PAdES baseline');

    const root = new Uint8Array(new X509Certificate(await readFile(file('m-ca.pem'))).raw);
    const trusted = await verify(signed, [root]);
    assert.equal(trusted.verdict, 'valid', JSON.stringify(trusted.findings, null, 2));
  });
});

async function pdfWithEmptySignatureField(): Promise<Uint8Array> {
  const document = await PDFDocument.load(await makePdf());
  const page = document.getPage(0);
  const widget = document.context.register(
    document.context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      T: PDFString.of('Sig1'),
      Rect: [50, 50, 250, 100],
      F: 4,
      P: page.ref,
    }),
  );
  page.node.set(PDFName.of('Annots'), document.context.obj([widget]));
  document.catalog.set(
    PDFName.of('AcroForm'),
    document.context.register(document.context.obj({ Fields: [widget], SigFlags: 3 })),
  );
  return document.save({ useObjectStreams: false });
}

describe('verifyPdf on hostile input', () => {
  const refused = async (bytes: Uint8Array, code: string) => {
    await assert.rejects(
      verify(bytes),
      (error: unknown) => error instanceof SignetError && error.code === code && error.status < 500,
    );
  };

  it('refuses what is not a PDF, an empty file and a truncated one with clear codes', async () => {
    await refused(new TextEncoder().encode('hello, this is text'), 'PDF_NOT_PDF');
    await refused(new Uint8Array(), 'PDF_EMPTY');
    await refused(sealed.subarray(0, Math.floor(sealed.length / 2)), 'PDF_DAMAGED');
  });

  it('refuses an encrypted PDF', async (t) => {
    if (!requireTools(t, ['qpdf'])) return;
    const plain = await workFile('plain.pdf', await makePdf());
    const encrypted = join(work, 'encrypted.pdf');
    const result = await runTool('qpdf', ['--encrypt', 'user', 'owner', '256', '--', plain, encrypted]);
    assert.equal(result.exitCode, 0, result.stderr);
    await refused(await readFile(encrypted), 'PDF_ENCRYPTED');
  });

  it('reports an absurd ByteRange as an invalid signature, not a crash', async () => {
    const text = Buffer.from(sealed).toString('latin1');
    const match = /\/ByteRange\s*\[[^\]]*\]/.exec(text);
    assert.ok(match);
    // Same length, so every offset in the file stays put: only the numbers lie.
    const absurd = `${'/ByteRange [0 1 999999999 9'.padEnd(match[0].length - 1, ' ')}]`;
    assert.equal(absurd.length, match[0].length);
    const forged = Buffer.from(text.replace(match[0], absurd), 'latin1');
    const signature = onlySignature(await verify(forged));
    assert.equal(signature.verdict, 'invalid');
    assert.ok(codes(signature.findings).includes('BYTE_RANGE_INVALID'), JSON.stringify(signature.findings));
  });

  it('reports malformed CMS bytes in /Contents as an invalid signature', async () => {
    const text = Buffer.from(sealed).toString('latin1');
    const start = text.indexOf('/Contents <') + '/Contents <'.length;
    const garbage = Buffer.from(sealed);
    garbage.write('3082FFFF0102030405', start, 'latin1'); // a SEQUENCE header promising more than there is
    const signature = onlySignature(await verify(garbage));
    assert.equal(signature.verdict, 'invalid');
    assert.ok(
      codes(signature.findings).some((c) => c === 'CMS_MALFORMED'),
      JSON.stringify(signature.findings),
    );
  });

  it('reports a document without signatures as indeterminate', async () => {
    const report = await verify(await makePdf());
    assert.equal(report.verdict, 'indeterminate');
    assert.deepEqual(codes(report.findings), ['NO_SIGNATURES']);
  });
});
