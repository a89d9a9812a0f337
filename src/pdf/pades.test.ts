import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { degrees, PDFArray, PDFDict, PDFDocument, PDFName, type PDFNumber, PDFRawStream } from 'pdf-lib';
import * as pkijs from 'pkijs';
import { issueFromPeerRoot, peerRootCrl } from '../../test/peers/opensslPeerCa.ts';
import { type OpensslTsa, startOpensslTsa } from '../../test/peers/opensslTsa.ts';
import {
  extractSignatures,
  makeNssTrustStore,
  type NssTrustStore,
  requireTools,
  runMutoolVerify,
  runOpensslCmsVerify,
  runPdfsig,
  runQpdfCheck,
  runTool,
} from '../../test/peers/pdfValidators.ts';
import { createSoftHsmToken, requireSoftHsm } from '../../test/peers/softHsm.ts';
import { makePdf, pdfWithEmptySignatureField } from '../../test/support/pdfFixtures.ts';
import { issueCertificate, KeyUsage } from '../pki/issue.ts';
import { openPkcs11KeyStore } from '../pki/pkcs11KeyStore.ts';
import { type SealingIdentity, signingKeyFromKeyObject } from '../pki/signer.ts';
import { CMS_OID } from './cms.ts';
import { embeddedSignatures, vriKey } from './incremental/dss.ts';
import { openPdfFile } from './incremental/pdfFile.ts';
import { ARCHIVE_TIMESTAMP_FIELD, type PadesLevel, signPades, type ValidationDataSource } from './pades.ts';

const PEERS = ['pdfsig', 'certutil', 'qpdf', 'openssl', 'mutool'];

let tsa: OpensslTsa;
let seal: SealingIdentity;
let signer: SealingIdentity;
let trust: NssTrustStore | undefined;
const collected: Uint8Array[][] = [];

/** Hands back the certificates plus a CRL made by OpenSSL, so the DSS carries real revocation data. */
const validationData: ValidationDataSource = {
  async collect(certificates) {
    collected.push(certificates);
    return { certificates, ocspResponses: [], crls: [peerRootCrl(tsa)] };
  },
};

before(async () => {
  if (!PEERS.every((tool) => hasToolQuietly(tool))) return;
  tsa = startOpensslTsa();
  seal = issueFromPeerRoot(tsa, 'Pades Test Seal');
  signer = issueFromPeerRoot(tsa, 'Ada Lovelace');
  trust = await makeNssTrustStore(readFileSync(tsa.rootPemPath, 'utf8'));
});

after(async () => {
  await trust?.cleanup();
  tsa?.close();
});

describe('PAdES baseline signatures, appended as incremental updates', () => {
  for (const level of ['B-B', 'B-T', 'B-LT', 'B-LTA'] as PadesLevel[]) {
    it(`makes a ${level} file that pdfsig, mutool, qpdf and OpenSSL all accept, with a per-signer signature before the seal`, async (t) => {
      if (!requireTools(t, PEERS) || !trust) return;
      const original = await makePdf({ pages: 2, text: `level ${level}` });
      const signed = await signPades(
        original,
        [
          {
            identity: signer,
            fieldName: 'Ada Lovelace',
            signingTime: new Date('2026-11-20T10:00:00Z'),
            name: 'Ada Lovelace',
            visible: { pageIndex: 1, rect: [72, 72, 272, 132], lines: ['Digitally signed by Ada Lovelace'] },
          },
          { identity: seal, fieldName: 'Signet seal', signingTime: new Date(), reason: 'Sealed by Signet' },
        ],
        level,
        { tsa, validationData },
      );
      assert.ok(
        Buffer.from(signed.subarray(0, original.length)).equals(Buffer.from(original)),
        'original bytes kept',
      );

      const file = join(tsa.dir, `pades-${level}.pdf`);
      writeFileSync(file, signed);
      const pdfsig = await runPdfsig(file, trust.dir);
      const signatures = pdfsig.filter((s) => s.subFilter === 'ETSI.CAdES.detached');
      assert.equal(signatures.length, 2, pdfsig.map((s) => s.raw).join('\n'));
      for (const signature of signatures) {
        assert.ok(signature.signatureValid, signature.raw);
        assert.ok(signature.certificateTrusted, signature.raw);
      }
      assert.equal(pdfsig.length, level === 'B-LTA' ? 3 : 2);
      // At B-LT the DSS revision follows the seal; at B-LTA the archive time-stamp covers everything.
      assert.equal(pdfsig.at(-1)?.totalDocumentSigned, level !== 'B-LT');
      assert.equal(await runQpdfCheck(file), 0);
      const mutool = await runMutoolVerify(file);
      assert.equal(mutool.length, pdfsig.length);
      // mutool cannot read document time-stamps ("Signature is not signed."): judge the CMS signatures only.
      for (const entry of mutool.slice(0, 2)) {
        assert.match(entry.raw, /signature is valid|unchanged since signing/i, entry.raw);
      }

      for (const [index, embedded] of extractSignatures(signed).entries()) {
        const cmsFile = join(tsa.dir, `cms-${level}-${index}.der`);
        const contentFile = join(tsa.dir, `content-${level}-${index}.bin`);
        writeFileSync(cmsFile, embedded.cms);
        writeFileSync(contentFile, embedded.signedContent);
        if (level === 'B-LTA' && index === 2) {
          // The document time-stamp: an RFC 3161 token over the whole file before it.
          const verify = await runTool('openssl', [
            'ts',
            '-verify',
            '-in',
            cmsFile,
            '-token_in',
            '-data',
            contentFile,
            '-CAfile',
            tsa.rootPemPath,
          ]);
          assert.match(verify.stdout, /Verification: OK/, verify.stderr);
          continue;
        }
        const verified = await runOpensslCmsVerify(cmsFile, contentFile, tsa.rootPemPath);
        assert.equal(verified.exitCode, 0, verified.stderr);
        const signerInfo = signerInfoOf(embedded.cms);
        const signedTypes = signerInfo.signedAttrs?.attributes.map((a) => a.type) ?? [];
        assert.ok(!signedTypes.includes(CMS_OID.signingTime), 'no signing-time (EN 319 142-1 §5.2.1)');
        assert.ok(signedTypes.includes(CMS_OID.signingCertificateV2));
        const token = signerInfo.unsignedAttrs?.attributes.find(
          (a) => a.type === CMS_OID.signatureTimeStampToken,
        );
        assert.equal(Boolean(token), level !== 'B-B', 'a signature time-stamp from B-T up');
        if (token) {
          const tokenFile = join(tsa.dir, `sigts-${level}-${index}.der`);
          writeFileSync(tokenFile, new Uint8Array(token.values[0].toBER()));
          const imprint = createHash('sha256')
            .update(signerInfo.signature.valueBlock.valueHexView)
            .digest('hex');
          const verify = await runTool('openssl', [
            'ts',
            '-verify',
            '-in',
            tokenFile,
            '-token_in',
            '-digest',
            imprint,
            '-CAfile',
            tsa.rootPemPath,
          ]);
          assert.match(verify.stdout, /Verification: OK/, verify.stderr);
        }
      }

      const dss = dssOf(signed);
      if (level === 'B-B' || level === 'B-T') {
        assert.equal(dss, undefined);
      } else {
        assert.ok(dss, 'a /DSS from B-LT up');
        const ours = embeddedSignatures(signed).filter((s) => s.kind === 'signature');
        assert.deepEqual([...dss.vriKeys].sort(), ours.map((s) => vriKey(s.contents)).sort());
        assert.ok(dss.certificates >= 3, 'signer, seal and TSA certificates');
        assert.equal(dss.crls, 1, 'the CRL is stored once however many signatures use it');
      }
      const archive = embeddedSignatures(signed).find((s) => s.fieldName === ARCHIVE_TIMESTAMP_FIELD);
      assert.equal(Boolean(archive), level === 'B-LTA');
    });
  }

  it('keeps a signature made earlier by another tool (mutool) valid', async (t) => {
    if (!requireTools(t, PEERS) || !trust) return;
    const input = join(tsa.dir, 'foreign-in.pdf');
    const foreign = join(tsa.dir, 'foreign-signed.pdf');
    const { pdf: withField, fieldObject } = await pdfWithEmptySignatureField();
    writeFileSync(input, withField);
    execFileSync(
      'openssl',
      [
        'pkcs12',
        '-export',
        '-inkey',
        join(tsa.dir, 'ada-lovelace.key'),
        '-in',
        join(tsa.dir, 'ada-lovelace.pem'),
        '-out',
        join(tsa.dir, 'ada.p12'),
        '-passout',
        'pass:secret',
      ],
      { stdio: 'pipe' },
    );
    execFileSync(
      'mutool',
      ['sign', '-s', join(tsa.dir, 'ada.p12'), '-P', 'secret', '-o', foreign, input, String(fieldObject)],
      {
        stdio: 'pipe',
      },
    );
    const before = readFileSync(foreign);
    const preexisting = await runPdfsig(foreign, trust.dir);
    assert.equal(preexisting.length, 1, 'mutool signed the field');
    assert.ok(preexisting[0]?.signatureValid, preexisting[0]?.raw);

    const signed = await signPades(
      new Uint8Array(before),
      [{ identity: seal, fieldName: 'Signet seal', signingTime: new Date() }],
      'B-T',
      { tsa },
    );
    const out = join(tsa.dir, 'foreign-sealed.pdf');
    writeFileSync(out, signed);
    const report = await runPdfsig(out, trust.dir);
    assert.equal(report.length, preexisting.length + 1);
    assert.ok(
      report.every((s) => s.signatureValid),
      report.map((s) => s.raw).join('\n'),
    );
    assert.equal(await runQpdfCheck(out), 0);
  });

  it('signs at B-LTA with a key that never leaves a SoftHSM2 token', async (t) => {
    if (!requireTools(t, PEERS) || !requireSoftHsm(t) || !trust) return;
    const token = await createSoftHsmToken('signet-pades');
    const store = await openPkcs11KeyStore(token.config);
    try {
      const stored = await store.generate('pades-seal', 'rsa-sha256');
      const rootKey = signingKeyFromKeyObject(createPrivateKey(readFileSync(join(tsa.dir, 'root.key'))));
      const now = Date.now();
      const certificate = await issueCertificate(
        {
          subject: { commonName: 'HSM Seal', organization: 'Pades Test' },
          subjectPublicKey: stored.publicKey,
          notBefore: new Date(now - 60_000),
          notAfter: new Date(now + 86_400_000),
          keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
        },
        { certificate: tsa.rootDer, key: rootKey },
      );
      const identity: SealingIdentity = { ...stored.key, certificate, chain: [tsa.rootDer] };
      const signed = await signPades(
        await makePdf({ pages: 1 }),
        [{ identity, fieldName: 'HSM seal', signingTime: new Date() }],
        'B-LTA',
        { tsa, validationData },
      );
      const out = join(tsa.dir, 'hsm-signed.pdf');
      writeFileSync(out, signed);
      const report = await runPdfsig(out, trust.dir);
      assert.equal(report.length, 2);
      assert.ok(report[0]?.signatureValid && report[0].certificateTrusted, report[0]?.raw);
      assert.equal(await runQpdfCheck(out), 0);
      const [embedded] = extractSignatures(signed);
      assert.ok(embedded);
      writeFileSync(join(tsa.dir, 'hsm.der'), embedded.cms);
      writeFileSync(join(tsa.dir, 'hsm.bin'), embedded.signedContent);
      const verified = await runOpensslCmsVerify(
        join(tsa.dir, 'hsm.der'),
        join(tsa.dir, 'hsm.bin'),
        tsa.rootPemPath,
      );
      assert.equal(verified.exitCode, 0, verified.stderr);
    } finally {
      await store.close();
      await token.cleanup();
    }
  });

  it('puts the certificates of an identity made just before signing into the DSS', async (t) => {
    if (!requireTools(t, PEERS) || !trust) return;
    // Per-signer identities are functions (the key exists only for its own signature); the DSS
    // must still get the certificate that function produced.
    const signed = await signPades(
      await makePdf({ pages: 1 }),
      [{ identity: async () => signer, fieldName: 'Ada Lovelace', signingTime: new Date() }],
      'B-LT',
      { tsa, validationData },
    );
    const certificates = collected.at(-1) ?? [];
    assert.deepEqual(certificates.slice(0, 2), [signer.certificate, tsa.rootDer]);
    assert.ok((dssOf(signed)?.certificates ?? 0) >= 3, 'signer, root and TSA certificates stored');
  });

  it('turns a visible signature back on a page displayed rotated, so its text reads upright', async () => {
    const document = await PDFDocument.create();
    document.addPage([595.28, 841.89]).setRotation(degrees(90));
    const rect: [number, number, number, number] = [100, 200, 160, 380]; // 60 wide, 180 high as stored
    const signed = await signPades(
      await document.save(),
      [
        {
          identity: seal ?? fallbackIdentity(),
          fieldName: 'Seal',
          signingTime: new Date(),
          visible: { pageIndex: 0, rect, lines: ['Digitally signed'] },
        },
      ],
      'B-B',
      {},
    );
    const file = openPdfFile(signed);
    const resolveDict = (object: Parameters<typeof file.resolve>[0]) => {
      const resolved = file.resolve(object);
      assert.ok(resolved instanceof PDFDict);
      return resolved;
    };
    const annots = file.resolve(resolveDict(file.pageRefs()[0]).get(PDFName.of('Annots')));
    assert.ok(annots instanceof PDFArray);
    const appearances = resolveDict(resolveDict(annots.get(0)).get(PDFName.of('AP')));
    const normal = file.resolve(appearances.get(PDFName.of('N')));
    assert.ok(normal instanceof PDFRawStream);
    const numbers = (key: string) =>
      (normal.dict.lookup(PDFName.of(key), PDFArray)?.asArray() ?? []).map((n) =>
        (n as PDFNumber).asNumber(),
      );
    // Displayed 180 wide and 60 high; ISO 32000-1 §12.5.5 fits the turned box onto /Rect.
    assert.deepEqual(numbers('BBox'), [0, 0, 180, 60]);
    assert.deepEqual(numbers('Matrix'), [0, 1, -1, 0, 0, 0]);
  });

  it('refuses to reach B-T without a time-stamp authority rather than dropping the level', async () => {
    const original = await makePdf({ pages: 1 });
    const identity = seal ?? fallbackIdentity();
    await assert.rejects(
      signPades(original, [{ identity, fieldName: 'Seal', signingTime: new Date() }], 'B-T', {}),
      (error: Error & { code?: string }) => error.code === 'PADES_SERVICE_MISSING',
    );
  });

  it('works on files with cross-reference and object streams', async (t) => {
    if (!requireTools(t, PEERS) || !trust) return;
    const input = join(tsa.dir, 'plain.pdf');
    const compressed = join(tsa.dir, 'objstm.pdf');
    writeFileSync(input, await makePdf({ pages: 3 }));
    execFileSync('qpdf', ['--object-streams=generate', input, compressed]);
    const signed = await signPades(
      new Uint8Array(readFileSync(compressed)),
      [{ identity: seal, fieldName: 'Seal', signingTime: new Date() }],
      'B-LTA',
      { tsa, validationData },
    );
    const out = join(tsa.dir, 'objstm-signed.pdf');
    writeFileSync(out, signed);
    const report = await runPdfsig(out, trust.dir);
    assert.equal(report.length, 2);
    assert.ok(report[0]?.signatureValid && report[0].certificateTrusted, report[0]?.raw);
    assert.equal(await runQpdfCheck(out), 0);
    assert.ok(dssOf(signed), 'the DSS is found through the xref stream chain');
  });
});

function hasToolQuietly(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** An identity for tests that fail before anything is signed. */
function fallbackIdentity(): SealingIdentity {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { ...signingKeyFromKeyObject(privateKey), certificate: new Uint8Array(), chain: [] };
}

function signerInfoOf(cms: Uint8Array): pkijs.SignerInfo {
  const signedData = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(cms).content });
  const info = signedData.signerInfos[0];
  assert.ok(info);
  return info;
}

function dssOf(pdf: Uint8Array): { vriKeys: string[]; certificates: number; crls: number } | undefined {
  const file = openPdfFile(pdf);
  const dss = file.resolve(file.catalog().get(PDFName.of('DSS')));
  if (!(dss instanceof PDFDict)) return undefined;
  const count = (key: string) => {
    const array = file.resolve(dss.get(PDFName.of(key)));
    return array instanceof PDFArray ? array.size() : 0;
  };
  const vri = file.resolve(dss.get(PDFName.of('VRI')));
  const vriKeys = vri instanceof PDFDict ? vri.keys().map((key) => key.decodeText()) : [];
  return { vriKeys, certificates: count('Certs'), crls: count('CRLs') };
}
