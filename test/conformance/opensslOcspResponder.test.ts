import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignetError } from '../../src/errors.ts';
import { signPades } from '../../src/pdf/pades.ts';
import { createValidationDataCollector } from '../../src/pki/revocation/validationData.ts';
import { type SealingIdentity, sealingIdentityFromKeyObject } from '../../src/pki/signer.ts';
import { verifyPdf } from '../../src/verify/verifyPdf.ts';
import {
  hasTool,
  makeNssTrustStore,
  type NssTrustStore,
  requireTools,
  runPdfsig,
  runQpdfCheck,
} from '../peers/pdfValidators.ts';
import {
  CA_EXTENSIONS,
  createOpensslPki,
  OCSP_EXTENSIONS,
  type OpensslPki,
  opensslCrl,
  opensslTimestampAuthority,
  SIGNER_EXTENSIONS,
  serialOf,
  TSA_EXTENSIONS,
  writeIndex,
} from '../support/opensslPki.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { freePort } from '../support/signetHarness.ts';

/*
 * Long-term validation against OpenSSL as the CA's online services (issue 3 §7): a running
 * `openssl ocsp -port` responder and a CRL from `openssl ca -gencrl` served over HTTP, named
 * in the certificates' AIA and CRL distribution points; OpenSSL's `ts -reply` as the TSA.
 * Signet's own collector fetches and verifies what they answer, signPades writes B-LT/B-LTA,
 * and Signet's validator, pdfsig and qpdf judge the result. A revoked signer is refused.
 */

const PEERS = ['openssl', 'pdfsig', 'certutil', 'qpdf'];
const available = PEERS.every((tool) => hasTool(tool));

let pki: OpensslPki;
let ocspResponder: ChildProcess | undefined;
let crlServer: Server | undefined;
let trust: NssTrustStore | undefined;
let caDer: Uint8Array;
const identities = new Map<string, SealingIdentity>();

/**
 * Resolves once `openssl ocsp` says it listens. Not by probing the port: the responder serves one
 * connection at a time, and an empty probe connection wedges it (measured: the next request then
 * times out).
 */
function whenListening(responder: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('waiting for OCSP client connections')) resolve();
    };
    responder.stdout?.on('data', onData);
    responder.stderr?.on('data', onData);
    responder.once('exit', (code) => reject(new Error(`openssl ocsp exited ${code}: ${output}`)));
  });
}

before(async () => {
  if (!available) return;
  pki = await createOpensslPki();
  const ocspPort = await freePort();
  const crlPort = await freePort();
  const pointers =
    `authorityInfoAccess=OCSP;URI:http://127.0.0.1:${ocspPort}\n` +
    `crlDistributionPoints=URI:http://127.0.0.1:${crlPort}/ca.crl\n`;

  caDer = await pki.issue('ca', '/O=OpenSSL Peer CA/CN=OpenSSL Peer Root', CA_EXTENSIONS);
  await pki.issue('ocsp', '/CN=OpenSSL OCSP Responder', OCSP_EXTENSIONS, 'ca');
  await pki.issue('tsa', '/CN=OpenSSL TSA', TSA_EXTENSIONS + pointers, 'ca');
  for (const name of ['ada', 'mallory']) {
    const der = await pki.issue(name, `/CN=${name}`, SIGNER_EXTENSIONS + pointers, 'ca');
    identities.set(
      name,
      sealingIdentityFromKeyObject(createPrivateKey(await readFile(pki.file(`${name}.key`))), der, [caDer]),
    );
  }
  await writeIndex(pki, [
    { serialHex: await serialOf(pki, 'ada'), subject: '/CN=ada' },
    { serialHex: await serialOf(pki, 'tsa'), subject: '/CN=OpenSSL TSA' },
    {
      serialHex: await serialOf(pki, 'mallory'),
      subject: '/CN=mallory',
      revokedAt: new Date(Date.now() - 3600_000),
    },
  ]);
  const crl = await opensslCrl(pki, 'ca');
  await writeFile(pki.file('served.crl'), crl);
  crlServer = createServer((request, response) => {
    if (request.url !== '/ca.crl') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(crl);
  });
  await new Promise<void>((resolve) => crlServer?.listen(crlPort, '127.0.0.1', resolve));

  ocspResponder = spawn(
    'openssl',
    [
      'ocsp',
      '-index',
      pki.file('index.txt'),
      // OpenSSL 3.0 takes only a port here; it listens on every interface, only loopback is used.
      '-port',
      String(ocspPort),
      '-rsigner',
      pki.file('ocsp.pem'),
      '-rkey',
      pki.file('ocsp.key'),
      '-CA',
      pki.file('ca.pem'),
      '-ndays',
      '1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await whenListening(ocspResponder);
  trust = await makeNssTrustStore(await readFile(pki.file('ca.pem'), 'utf8'));
});

after(async () => {
  ocspResponder?.kill();
  await new Promise<void>((resolve) => (crlServer ? crlServer.close(() => resolve()) : resolve()));
  await trust?.cleanup();
  await pki?.cleanup();
});

describe('long-term validation data from OpenSSL’s OCSP responder and CRL over HTTP', () => {
  for (const level of ['B-LT', 'B-LTA'] as const) {
    it(`signs at ${level} with OCSP answers and CRLs Signet fetched and verified, and every validator accepts it`, async (t) => {
      if (!requireTools(t, PEERS) || !trust) return;
      const collector = createValidationDataCollector({ timeoutMs: 5000 });
      const ada = identities.get('ada');
      assert.ok(ada);
      const signed = await signPades(
        await makePdf({ pages: 1, text: `OpenSSL peers ${level}` }),
        [{ identity: ada, fieldName: 'Ada', signingTime: new Date(), name: 'Ada' }],
        level,
        { tsa: opensslTimestampAuthority(pki), validationData: collector },
      );
      assert.ok(collector.counters().ocspMisses >= 2, 'the signer and the TSA were asked about over HTTP');

      const report = await verifyPdf(signed, { trustAnchors: [caDer] });
      assert.equal(report.verdict, 'valid', JSON.stringify(report.findings, null, 2));
      const [signature] = report.signatures.filter((s) => s.kind === 'signature');
      assert.equal(signature?.padesLevel, level);
      assert.ok(
        signature?.chain?.revocation.every((r) => r.status === 'good' && r.source === 'dss'),
        JSON.stringify(signature?.chain?.revocation),
      );
      assert.ok(signature?.chain?.revocation.some((r) => r.kind === 'ocsp'));

      const file = join(pki.dir, `openssl-peers-${level}.pdf`);
      await writeFile(file, signed);
      const pdfsig = await runPdfsig(file, trust.dir);
      const cades = pdfsig.filter((s) => s.subFilter === 'ETSI.CAdES.detached');
      assert.equal(cades.length, 1);
      assert.ok(cades[0]?.signatureValid && cades[0].certificateTrusted, cades[0]?.raw);
      assert.equal(await runQpdfCheck(file), 0);
    });
  }

  it('refuses to sign for a certificate OpenSSL’s responder says was revoked, rather than dropping the level', async (t) => {
    if (!requireTools(t, PEERS)) return;
    const mallory = identities.get('mallory');
    assert.ok(mallory);
    await assert.rejects(
      signPades(
        await makePdf({ pages: 1 }),
        [{ identity: mallory, fieldName: 'Mallory', signingTime: new Date() }],
        'B-LT',
        {
          tsa: opensslTimestampAuthority(pki),
          validationData: createValidationDataCollector({ timeoutMs: 5000 }),
        },
      ),
      (error: unknown) => error instanceof SignetError && error.code === 'CERTIFICATE_REVOKED',
    );
  });
});
