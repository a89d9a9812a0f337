import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PDFDict, PDFDocument, PDFHexString, PDFName, PDFString, StandardFonts } from 'pdf-lib';
import {
  extractSignatures,
  makeNssTrustStore,
  type NssTrustStore,
  type PdfsigSignature,
  requireTools,
  runMutoolVerify,
  runOpensslCmsVerify,
  runPdfsig,
  runQpdfCheck,
  runTool,
} from '../../test/peers/pdfValidators.ts';
import { exportDevPkiKey } from '../../test/support/devPkiFixture.ts';
import { type DevPki, loadOrCreateDevPki } from '../pki/devCa.ts';
import { loadSealingIdentityFromPkcs12 } from '../pki/pkcs12.ts';
import type { SealingIdentity } from '../pki/signer.ts';
import { sealPdf } from './seal.ts';

const PEERS = ['pdfsig', 'certutil', 'qpdf', 'openssl'];

let work: string;
let pki: DevPki;
let trustStore: NssTrustStore | undefined;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-seal-'));
  pki = await loadOrCreateDevPki(join(work, 'pki'));
  await writeFile(join(work, 'root.pem'), pki.rootPem);
});

after(async () => {
  await trustStore?.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function composedPdf(pageCount: number): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  for (let n = 1; n <= pageCount; n++) {
    document
      .addPage([595.28, 841.89])
      .drawText(`Agreement, page ${n} of ${pageCount}`, { x: 72, y: 760, font });
  }
  return document.save();
}

async function pdfsigTrustStore(): Promise<NssTrustStore> {
  trustStore ??= await makeNssTrustStore(pki.rootPem);
  return trustStore;
}

async function writeWorkFile(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(work, name);
  await writeFile(path, bytes);
  return path;
}

async function onlySignature(file: string): Promise<PdfsigSignature> {
  const signatures = await runPdfsig(file, (await pdfsigTrustStore()).dir);
  assert.equal(signatures.length, 1, `expected one signature:\n${signatures.map((s) => s.raw).join('\n')}`);
  return signatures[0]!;
}

async function assertAcceptedByPeers(name: string, sealed: Uint8Array): Promise<void> {
  const file = await writeWorkFile(name, sealed);
  const signature = await onlySignature(file);
  assert.ok(signature.signatureValid, `pdfsig: signature not valid\n${signature.raw}`);
  // Trust is judged by OpenSSL below: the dev CA's certificates name an OCSP responder that only
  // a running Signet serves, and pdfsig without it reports "Unknown issue" (poppler 22.12, see
  // test/peers/pdfValidators.ts). test/endToEnd/padesLevels.test.ts checks pdfsig's trust verdict
  // against a running instance.
  assert.ok(
    signature.certificateTrusted || /Certificate Validation: Unknown issue/.test(signature.raw),
    `pdfsig: certificate rejected\n${signature.raw}`,
  );
  assert.ok(signature.totalDocumentSigned, `pdfsig: not the total document\n${signature.raw}`);
  assert.equal(signature.subFilter, 'ETSI.CAdES.detached');
  assert.equal(await runQpdfCheck(file), 0, 'qpdf --check must report a clean file');

  const [embedded] = extractSignatures(sealed);
  assert.ok(embedded);
  const cmsFile = await writeWorkFile(`${name}.p7s`, embedded.cms);
  const contentFile = await writeWorkFile(`${name}.signed.bin`, embedded.signedContent);
  const verification = await runOpensslCmsVerify(cmsFile, contentFile, join(work, 'root.pem'));
  assert.equal(verification.exitCode, 0, `openssl cms -verify failed: ${verification.stderr}`);
}

describe('sealPdf', () => {
  it('seals a one-page PDF so that pdfsig, qpdf and OpenSSL accept it', async (t) => {
    if (!requireTools(t, PEERS)) return;
    const pdf = await composedPdf(1);
    const started = performance.now();
    const sealed = await sealPdf(pdf, pki.sealing, { reason: 'Envelope completed', location: 'Signet' });
    t.diagnostic(`sealing a one-page PDF took ${(performance.now() - started).toFixed(1)} ms`);
    await assertAcceptedByPeers('one-page.pdf', sealed);
  });

  it('seals a three-page PDF covering the whole file', async (t) => {
    if (!requireTools(t, PEERS)) return;
    const sealed = await sealPdf(await composedPdf(3), pki.sealing);
    await assertAcceptedByPeers('three-pages.pdf', sealed);
    const [signature] = extractSignatures(sealed);
    const [, length1, start2, length2] = signature!.byteRange;
    assert.equal(start2 + length2, sealed.length, 'the second range must run to the end of the file');
    assert.ok(length1 > 0);
  });

  it('is reported unchanged since signing by MuPDF, and changed once a byte is flipped', async (t) => {
    if (!requireTools(t, ['mutool'])) return;
    const sealed = await sealPdf(await composedPdf(2), pki.sealing);
    const [intact] = await runMutoolVerify(await writeWorkFile('mutool.pdf', sealed));
    assert.ok(intact?.unchangedSinceSigning, intact?.raw ?? 'mutool found no signature');
    const tampered = new Uint8Array(sealed);
    tampered[10] = (tampered[10] ?? 0) ^ 0x01;
    const [broken] = await runMutoolVerify(await writeWorkFile('mutool-tampered.pdf', tampered));
    assert.equal(broken?.unchangedSinceSigning, false, broken?.raw);
  });

  it('writes a CMS with signing-certificate-v2 and without signing-time, as PAdES B-B requires', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    const sealed = await sealPdf(await composedPdf(1), pki.sealing);
    const [signature] = extractSignatures(sealed);
    const cmsFile = await writeWorkFile('attributes.p7s', signature!.cms);
    const printed = await runTool('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cmsFile]);
    assert.equal(printed.exitCode, 0, printed.stderr);
    assert.match(
      printed.stdout,
      /1\.2\.840\.113549\.1\.9\.16\.2\.47/,
      'signing-certificate-v2 must be present',
    );
    assert.match(printed.stdout, /1\.2\.840\.113549\.1\.9\.4\)/, 'message-digest must be present');
    assert.doesNotMatch(
      printed.stdout,
      /signingTime|1\.2\.840\.113549\.1\.9\.5\)/,
      'signing-time must be absent',
    );
  });

  it('lets pdfsig detect a single byte changed inside the signed ranges', async (t) => {
    if (!requireTools(t, PEERS)) return;
    const sealed = await sealPdf(await composedPdf(1), pki.sealing);
    const tampered = new Uint8Array(sealed);
    // Byte 10 is inside the binary comment after the header: the file still parses, only the digest changes.
    tampered[10] = (tampered[10] ?? 0) ^ 0x01;
    const signature = await onlySignature(await writeWorkFile('tampered.pdf', tampered));
    assert.equal(signature.signatureValid, false, `pdfsig accepted a modified file\n${signature.raw}`);
  });

  it('records /M, the reason and the location in the signature dictionary, in any script', async () => {
    const sealed = await sealPdf(await composedPdf(1), pki.sealing, {
      reason: 'Unterzeichnet – Müller',
      location: 'Zürich',
      name: 'Signet',
    });
    const signature = signatureDictionary(await PDFDocument.load(sealed));
    assert.equal(text(signature, 'Reason'), 'Unterzeichnet – Müller');
    assert.equal(text(signature, 'Location'), 'Zürich');
    assert.equal(text(signature, 'Name'), 'Signet');
    assert.equal(
      signature.get(PDFName.of('ContactInfo')),
      undefined,
      'absent options are left out, not empty',
    );
    assert.match(text(signature, 'M') ?? '', /^D:\d{14}/);
  });

  it('keeps existing form fields and gives the seal a field name of its own', async (t) => {
    if (!requireTools(t, PEERS)) return;
    const document = await PDFDocument.create();
    const page = document.addPage();
    const form = document.getForm();
    form.createTextField('Signet seal').addToPage(page, { x: 50, y: 700 });
    form.createTextField('customer').addToPage(page, { x: 50, y: 650 });
    const sealed = await sealPdf(await document.save(), pki.sealing);
    await assertAcceptedByPeers('with-form.pdf', sealed);
    const names = (await PDFDocument.load(sealed))
      .getForm()
      .getFields()
      .map((f) => f.getName());
    assert.deepEqual(names.sort(), ['Signet seal', 'Signet seal 2', 'customer']);
  });

  it('adds a second seal to an already sealed document without breaking the first', async () => {
    const sealed = await sealPdf(await composedPdf(1), pki.sealing);
    const twice = await sealPdf(sealed, pki.sealing);
    assert.ok(Buffer.from(twice.subarray(0, sealed.length)).equals(Buffer.from(sealed)));
    const file = await writeWorkFile('twice.pdf', twice);
    if (!trustStore) return;
    const signatures = await runPdfsig(file, trustStore.dir);
    assert.equal(signatures.length, 2);
    assert.ok(
      signatures.every((s) => s.signatureValid),
      signatures.map((s) => s.raw).join('\n'),
    );
  });

  it('refuses input that is not a readable PDF with the upload codes', async () => {
    await assert.rejects(sealPdf(new Uint8Array(), pki.sealing), { code: 'PDF_EMPTY' });
    await assert.rejects(sealPdf(new TextEncoder().encode('<html></html>'), pki.sealing), {
      code: 'PDF_NOT_PDF',
    });
  });

  describe('with a key from a PKCS#12 file', () => {
    it('seals with an RSA key exported by OpenSSL', async (t) => {
      if (!requireTools(t, PEERS)) return;
      const identity = await pkcs12FromOpenssl(
        await exportDevPkiKey(join(work, 'pki'), 'signet-sealing', join(work, 'sealing.key.pem')),
        join(work, 'pki', 'sealing.crt.pem'),
      );
      await assertAcceptedByPeers('pkcs12-rsa.pdf', await sealPdf(await composedPdf(1), identity));
    });

    it('seals with an ECDSA P-256 key certified by the issuing CA', async (t) => {
      if (!requireTools(t, PEERS)) return;
      const identity = await pkcs12FromOpenssl(...(await ecdsaKeyAndCertificate()));
      assert.equal(identity.signatureAlgorithm, 'ecdsa-p256-sha256');
      await assertAcceptedByPeers('pkcs12-ec.pdf', await sealPdf(await composedPdf(1), identity));
    });
  });
});

function signatureDictionary(document: PDFDocument): PDFDict {
  const field = document
    .getForm()
    .getFields()
    .find((f) => f.getName() === 'Signet seal');
  const signature = field?.acroField.dict.lookup(PDFName.of('V'), PDFDict);
  assert.ok(signature, 'the seal field must point at a signature dictionary');
  return signature;
}

function text(dictionary: PDFDict, key: string): string | undefined {
  return dictionary.lookupMaybe(PDFName.of(key), PDFString, PDFHexString)?.decodeText();
}

function runOpenssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/** Packs a key, its certificate and the dev chain into a .p12 with `openssl pkcs12 -export`, then loads it. */
async function pkcs12FromOpenssl(keyFile: string, certificateFile: string): Promise<SealingIdentity> {
  const chainFile = join(work, 'chain.pem');
  const issuingPem = await readFile(join(work, 'pki', 'issuing-ca.crt.pem'), 'utf8');
  await writeFile(chainFile, issuingPem + pki.rootPem);
  const p12 = join(work, `${randomUUID()}.p12`);
  runOpenssl([
    'pkcs12',
    '-export',
    '-inkey',
    keyFile,
    '-in',
    certificateFile,
    '-certfile',
    chainFile,
    '-passout',
    'pass:correct horse',
    '-out',
    p12,
  ]);
  return loadSealingIdentityFromPkcs12(await readFile(p12), 'correct horse');
}

/** An EC key and a sealing certificate for it, issued by the dev issuing CA through `openssl x509 -req`. */
async function ecdsaKeyAndCertificate(): Promise<[string, string]> {
  const key = join(work, 'ec.key.pem');
  const csr = join(work, 'ec.csr');
  const extensions = join(work, 'ec.ext');
  const certificate = join(work, 'ec.crt.pem');
  runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  runOpenssl([
    'req',
    '-new',
    '-key',
    key,
    '-subj',
    '/O=Signet Development/CN=Signet ECDSA Sealing',
    '-out',
    csr,
  ]);
  await writeFile(
    extensions,
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n',
  );
  runOpenssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(work, 'pki', 'issuing-ca.crt.pem'),
    '-CAkey',
    await exportDevPkiKey(join(work, 'pki'), 'signet-issuing-ca', join(work, 'issuing-ca.key.pem')),
    '-days',
    '30',
    '-extfile',
    extensions,
    '-out',
    certificate,
  ]);
  return [key, certificate];
}
