import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PDFDocument, PDFName, PDFRef } from 'pdf-lib';
import { hasTool, installCommandFor } from '../../test/peers/pdfValidators.ts';
import { appendIncrementalUpdate } from '../../test/support/handWrittenUpdate.ts';
import {
  CA_EXTENSIONS,
  createOpensslPki,
  OCSP_EXTENSIONS,
  type OpensslPki,
  opensslCrl,
  opensslOcspResponse,
  SIGNER_EXTENSIONS,
  serialOf,
  writeIndex,
} from '../../test/support/opensslPki.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import { createOutboundClient } from '../outbound/outboundHttp.ts';
import { sealPdf } from '../pdf/seal.ts';
import { sealingIdentityFromKeyObject } from '../pki/signer.ts';
import { ParsedCertificate } from './certificates.ts';
import { checkRevocation } from './revocation.ts';
import { verifyPdf } from './verifyPdf.ts';

/*
 * Revocation data made by OpenSSL (`openssl ocsp -index`, `openssl ca -gencrl`): checked on its
 * own, then carried in a /DSS appended by hand to a sealed PDF, then fetched live from a
 * responder on 127.0.0.1.
 */

const skip = hasTool('openssl') ? false : installCommandFor(['openssl']);
const HOUR = 3600 * 1000;

describe('revocation status from OpenSSL OCSP responses and CRLs', { skip }, () => {
  let pki: OpensslPki;
  let ca: ParsedCertificate;
  let signer: ParsedCertificate;
  let signerSerial: string;
  let responder: ParsedCertificate;
  let liveServer: Server | undefined;

  const certificate = async (name: string) =>
    ParsedCertificate.parse(await pki.der(name)) as ParsedCertificate;
  const index = (revokedAt?: Date) =>
    writeIndex(pki, [
      { serialHex: signerSerial, subject: '/CN=Revocable Signer', ...(revokedAt ? { revokedAt } : {}) },
    ]);
  const ocsp = (responderName = 'responder') =>
    opensslOcspResponse(pki, { cert: 'signer', issuer: 'ca', responder: responderName });

  before(async () => {
    pki = await createOpensslPki();
    await pki.issue('ca', '/CN=Revocation Test CA', CA_EXTENSIONS);
    await pki.issue('signer', '/CN=Revocable Signer', SIGNER_EXTENSIONS, 'ca');
    await pki.issue('responder', '/CN=Delegated OCSP Responder', OCSP_EXTENSIONS, 'ca');
    await pki.issue('stranger', '/CN=Stranger Root', CA_EXTENSIONS);
    ca = await certificate('ca');
    signer = await certificate('signer');
    responder = await certificate('responder');
    signerSerial = await serialOf(pki, 'signer');
  });
  after(async () => {
    liveServer?.close();
    await pki?.cleanup();
  });

  it('accepts a good answer signed by a delegated responder the CA issued for OCSP signing', async () => {
    await index();
    const check = checkRevocation(signer, ca, new Date(), {
      ocspResponses: [{ der: await ocsp(), source: 'dss' }],
      crls: [],
    });
    assert.equal(check.status, 'good', check.message);
    assert.equal(check.kind, 'ocsp');
    assert.equal(check.source, 'dss');
    assert.ok(responder.isIssuedBy(ca));
  });

  it('accepts a good answer signed by the CA itself', async () => {
    await index();
    const check = checkRevocation(signer, ca, new Date(), {
      ocspResponses: [{ der: await ocsp('ca'), source: 'cms' }],
      crls: [],
    });
    assert.equal(check.status, 'good', check.message);
  });

  it('reports a certificate revoked before the signing time revoked, and one revoked later good then', async () => {
    const revokedAt = new Date(Date.now() - 2 * HOUR);
    await index(revokedAt);
    const data = { ocspResponses: [{ der: await ocsp(), source: 'dss' as const }], crls: [] };
    const afterRevocation = checkRevocation(signer, ca, new Date(), data);
    assert.equal(afterRevocation.status, 'revoked');
    assert.equal(afterRevocation.revokedAt?.slice(0, 16), revokedAt.toISOString().slice(0, 16));
    const beforeRevocation = checkRevocation(signer, ca, new Date(Date.now() - 3 * HOUR), data);
    assert.equal(beforeRevocation.status, 'good');
    assert.match(beforeRevocation.message, /revoked .* after/);
  });

  it('ignores an answer signed by a responder the CA never authorised', async () => {
    await index(new Date(Date.now() - HOUR));
    const check = checkRevocation(signer, ca, new Date(), {
      ocspResponses: [{ der: await ocsp('stranger'), source: 'dss' }],
      crls: [],
    });
    assert.equal(check.status, 'not-checked');
    assert.equal(check.ignored, 1);
  });

  it('reads a CRL: good when the serial is absent, revoked when listed', async () => {
    await index();
    const clean = checkRevocation(signer, ca, new Date(), {
      ocspResponses: [],
      crls: [{ der: await opensslCrl(pki, 'ca'), source: 'dss' }],
    });
    assert.equal(clean.status, 'good', clean.message);
    assert.equal(clean.kind, 'crl');
    await index(new Date(Date.now() - HOUR));
    const listed = checkRevocation(signer, ca, new Date(), {
      ocspResponses: [],
      crls: [{ der: await opensslCrl(pki, 'ca'), source: 'dss' }],
    });
    assert.equal(listed.status, 'revoked');
  });

  describe('in a PDF', () => {
    const seal = async () => {
      const identity = sealingIdentityFromKeyObject(
        createPrivateKey(await readFile(pki.file('signer.key'))),
        signer.der,
        [ca.der],
      );
      return sealPdf(await makePdf(), identity);
    };

    it('finds OCSP responses in a /DSS appended after signing, and judges that update allowed', async () => {
      await index();
      const sealed = await seal();
      const withDss = await appendDss(sealed, {
        certificates: [responder.der],
        ocspResponses: [await ocsp()],
      });
      const report = await verifyPdf(withDss, { trustAnchors: [ca.der] });
      const signature = report.signatures[0];
      assert.ok(signature);
      assert.equal(report.verdict, 'valid', JSON.stringify(report.findings, null, 2));
      assert.deepEqual(
        signature.chain?.revocation.map((r) => [r.status, r.source, r.kind]),
        [['good', 'dss', 'ocsp']],
      );
      assert.equal(signature.coverage.modifications, 'allowed-changes');
      assert.ok(
        signature.coverage.changes.some((c) => c.allowed && c.rule === 'dss'),
        JSON.stringify(signature.coverage.changes),
      );
      assert.ok(
        signature.coverage.changes.every((c) => c.allowed),
        JSON.stringify(signature.coverage.changes),
      );
      assert.equal(signature.padesLevel, 'B-B', 'no time-stamp: B-T is not reached, so neither is B-LT');
    });

    it('reports a signature whose certificate the DSS shows revoked before signing invalid', async () => {
      await index(new Date(Date.now() - HOUR));
      const report = await verifyPdf(
        await appendDss(await seal(), { certificates: [], ocspResponses: [await ocsp()] }),
        {
          trustAnchors: [ca.der],
        },
      );
      const signature = report.signatures[0];
      assert.equal(signature?.verdict, 'invalid');
      assert.ok(
        signature?.findings.some((f) => f.code === 'CERTIFICATE_REVOKED'),
        JSON.stringify(signature?.findings),
      );
    });

    it('asks the OCSP responder named in the certificate only when allowed to, and says the answer was live', async () => {
      let liveRequests = 0;
      liveServer = createServer((request, response) => {
        liveRequests++;
        const chunks: Buffer[] = [];
        request.on('data', (c: Buffer) => chunks.push(c));
        request.on('end', async () => {
          const { writeFile } = await import('node:fs/promises');
          await writeFile(pki.file('live.req'), Buffer.concat(chunks));
          await pki.openssl(
            'ocsp',
            '-index',
            pki.file('index.txt'),
            '-rsigner',
            pki.file('responder.pem'),
            '-rkey',
            pki.file('responder.key'),
            '-CA',
            pki.file('ca.pem'),
            '-reqin',
            pki.file('live.req'),
            '-respout',
            pki.file('live.resp'),
          );
          response.setHeader('content-type', 'application/ocsp-response');
          response.end(await readFile(pki.file('live.resp')));
        });
      });
      await new Promise<void>((resolve) => liveServer?.listen(0, '127.0.0.1', resolve));
      const port = (liveServer.address() as AddressInfo).port;
      const liveSigner = ParsedCertificate.parse(
        await pki.issue(
          'live',
          '/CN=Live Signer',
          `${SIGNER_EXTENSIONS}authorityInfoAccess=OCSP;URI:http://127.0.0.1:${port}/ocsp\n`,
          'ca',
        ),
      ) as ParsedCertificate;
      await writeIndex(pki, [{ serialHex: await serialOf(pki, 'live'), subject: '/CN=Live Signer' }]);
      const identity = sealingIdentityFromKeyObject(
        createPrivateKey(await readFile(pki.file('live.key'))),
        liveSigner.der,
        [ca.der],
      );
      const sealed = await sealPdf(await makePdf(), identity);

      const embeddedOnly = await verifyPdf(sealed, { trustAnchors: [ca.der] });
      assert.equal(embeddedOnly.signatures[0]?.chain?.revocation[0]?.status, 'not-checked');
      assert.ok(embeddedOnly.signatures[0]?.findings.some((f) => f.code === 'REVOCATION_NOT_CHECKED'));

      // The responder is on loopback: by default a PDF's URL may not lead there (SSRF)...
      const refused = await verifyPdf(sealed, { trustAnchors: [ca.der], revocation: 'embedded-then-live' });
      const refusedCheck = refused.signatures[0]?.chain?.revocation[0];
      assert.equal(refusedCheck?.status, 'not-checked');
      assert.match(
        refusedCheck?.message ?? '',
        /live look-up failed: OCSP http:\/\/127\.0\.0\.1:\d+\/ocsp: address refused/,
      );
      assert.equal(liveRequests, 0, 'the responder on loopback was not asked');

      // ...unless the operator allows it, as OUTBOUND_ALLOWED_NETWORKS does.
      const outbound = createOutboundClient({ allowedNetworks: ['127.0.0.1/32'] });
      try {
        const live = await verifyPdf(sealed, {
          trustAnchors: [ca.der],
          revocation: 'embedded-then-live',
          outbound,
        });
        const check = live.signatures[0]?.chain?.revocation[0];
        assert.equal(check?.status, 'good', check?.message);
        assert.equal(check?.source, 'live');
        assert.equal(live.verdict, 'valid', JSON.stringify(live.findings));
        assert.equal(liveRequests, 1);
      } finally {
        await outbound.close();
      }
    });
  });
});

/** Appends a /DSS (ETSI EN 319 142-1 §5.4.2) by hand: streams, the DSS dictionary, the catalog. */
async function appendDss(
  pdf: Uint8Array,
  contents: { certificates: Uint8Array[]; ocspResponses: Uint8Array[] },
): Promise<Uint8Array> {
  const document = await PDFDocument.load(pdf, { updateMetadata: false });
  let next = document.context.largestObjectNumber + 1;
  const objects: { number: number; body: Uint8Array | string }[] = [];
  const streams = (items: Uint8Array[]) =>
    items.map((bytes) => {
      const number = next++;
      objects.push({
        number,
        body: Buffer.concat([
          Buffer.from(`<< /Length ${bytes.length} >>\nstream\n`),
          Buffer.from(bytes),
          Buffer.from('\nendstream'),
        ]),
      });
      return `${number} 0 R`;
    });
  const certs = streams(contents.certificates);
  const ocsps = streams(contents.ocspResponses);
  const dss = next++;
  objects.push({ number: dss, body: `<< /Certs [${certs.join(' ')}] /OCSPs [${ocsps.join(' ')}] >>` });
  const root = document.context.trailerInfo.Root;
  assert.ok(root instanceof PDFRef);
  const catalog = document.catalog.clone(document.context);
  catalog.set(PDFName.of('DSS'), PDFRef.of(dss));
  objects.push({ number: root.objectNumber, body: catalog.toString() });
  return appendIncrementalUpdate(pdf, objects);
}
