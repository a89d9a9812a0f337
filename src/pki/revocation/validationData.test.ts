import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../../test/support/signetHarness.ts';
import { parseCertificate } from '../certificateFields.ts';
import { type CertificateStatus, serialOf } from '../certificateRegistry.ts';
import { issueCrl } from '../crl.ts';
import { type DevPki, loadOrCreateDevPki } from '../devCa.ts';
import { createOcspResponder } from '../ocspResponder.ts';
import type { SealingIdentity } from '../signer.ts';
import { createValidationDataCollector, type LocalEndpoint } from './validationData.ts';

/*
 * The collector's judgement of what responders send: the real responder and CRL code answer,
 * and each case changes one thing a hostile or broken server could get wrong. (Over real HTTP
 * and with OpenSSL as a second opinion: caServices.test.ts.)
 */

let work: string;
let pki: DevPki;
let statuses: Map<string, CertificateStatus>;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-ltv-'));
  pki = await loadOrCreateDevPki(join(work, 'pki'), { publicUrl: 'http://signet.test' });
  statuses = new Map();
});
after(() => rm(work, { recursive: true, force: true }));

const serial = (der: Uint8Array) => serialOf(parseCertificate(der).serialNumber);

function endpoints(responder: SealingIdentity = pki.ocspResponder): Map<string, LocalEndpoint> {
  const ocsp = createOcspResponder({
    issuer: pki.issuingCa.certificate,
    responder,
    status: async (_issuer, serialHex) => statuses.get(serialHex) ?? { status: 'good' },
  });
  return new Map<string, LocalEndpoint>([
    [pki.urls.ocsp, async (body) => ocsp.respond(body ?? new Uint8Array())],
    [pki.urls.issuingCrl, () => issueCrl(pki.issuingCa, [], 1n)],
    [pki.urls.rootCrl, () => issueCrl(pki.root, [], 1n)],
  ]);
}

const sealingChain = () => [pki.sealing.certificate, ...pki.sealing.chain];

describe('collecting revocation data', () => {
  it('returns one OCSP response per end entity, the CRLs, and the responder certificate', async () => {
    const collector = createValidationDataCollector({ timeoutMs: 1000, localEndpoints: endpoints() });
    const data = await collector.collect(sealingChain());
    assert.equal(data.ocspResponses.length, 1);
    assert.equal(data.crls.length, 2);
    assert.ok(
      data.certificates.some((c) => Buffer.from(c).equals(Buffer.from(pki.ocspResponder.certificate))),
    );
  });

  it('reuses an OCSP response for at most the maximum age, then asks again', async () => {
    let now = Date.now();
    const collector = createValidationDataCollector({
      timeoutMs: 1000,
      localEndpoints: endpoints(),
      ocspMaxAgeMs: 60_000,
      now: () => new Date(now),
    });
    await collector.collect(sealingChain());
    await collector.collect(sealingChain());
    assert.equal(collector.counters().ocspHits, 1);
    now += 61_000;
    await collector.collect(sealingChain());
    assert.deepEqual(collector.counters(), { ocspHits: 1, ocspMisses: 2, crlHits: 4, crlMisses: 2 });
  });

  it('refuses an answer signed by a certificate the CA did not authorise for OCSP signing', async () => {
    // The sealing certificate is issued by the same CA but carries no id-kp-OCSPSigning.
    const collector = createValidationDataCollector({
      timeoutMs: 1000,
      localEndpoints: endpoints(pki.sealing),
    });
    await assert.rejects(collector.collect(sealingChain()), {
      code: 'REVOCATION_DATA_UNAVAILABLE',
      detail: /not authorised for OCSP signing/,
    });
  });

  it('refuses an answer about another certificate', async () => {
    const local = endpoints();
    const genuine = local.get(pki.urls.ocsp) as LocalEndpoint;
    // A responder that answers every question with its answer about the TSA certificate.
    let tsaAnswer: Uint8Array | undefined;
    const probe = createValidationDataCollector({
      timeoutMs: 1000,
      localEndpoints: new Map([...local, [pki.urls.ocsp, async (body) => (tsaAnswer = await genuine(body))]]),
    });
    await probe.collect([pki.tsa.certificate, ...pki.tsa.chain]);
    const collector = createValidationDataCollector({
      timeoutMs: 1000,
      localEndpoints: new Map([...local, [pki.urls.ocsp, async () => tsaAnswer as Uint8Array]]),
    });
    await assert.rejects(collector.collect(sealingChain()), {
      code: 'REVOCATION_DATA_UNAVAILABLE',
      detail: /another nonce|does not speak of this certificate/,
    });
  });

  it('says CERTIFICATE_REVOKED for a revoked certificate and does not cache the refusal as good', async () => {
    statuses.set(serial(pki.sealing.certificate), {
      status: 'revoked',
      revokedAt: new Date('2026-01-02T03:04:05Z'),
      reason: 'keyCompromise',
    });
    try {
      const collector = createValidationDataCollector({ timeoutMs: 1000, localEndpoints: endpoints() });
      await assert.rejects(collector.collect(sealingChain()), {
        code: 'CERTIFICATE_REVOKED',
        detail: /Signet Document Sealing.*since 2026-01-02T03:04:05\.000Z/,
      });
      await assert.rejects(collector.collect(sealingChain()), { code: 'CERTIFICATE_REVOKED' });
    } finally {
      statuses.clear();
    }
  });

  it('will not vouch for a certificate the responder does not know ("unknown")', async () => {
    statuses.set(serial(pki.sealing.certificate), { status: 'unknown' });
    try {
      const collector = createValidationDataCollector({ timeoutMs: 1000, localEndpoints: endpoints() });
      await assert.rejects(collector.collect(sealingChain()), {
        code: 'REVOCATION_DATA_UNAVAILABLE',
        detail: /status unknown/,
      });
    } finally {
      statuses.clear();
    }
  });

  it('reports an unreachable responder by URL rather than returning partial data', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`; // loopback, nothing listening
    const elsewhere = await loadOrCreateDevPki(join(work, 'elsewhere'), { publicUrl: dead });
    const collector = createValidationDataCollector({ timeoutMs: 2000 });
    await assert.rejects(collector.collect([elsewhere.sealing.certificate, ...elsewhere.sealing.chain]), {
      code: 'REVOCATION_DATA_UNAVAILABLE',
      detail: new RegExp(
        `OCSP ${dead}/pki/ocsp: unreachable; CRL ${dead}/pki/crl/issuing\\.crl: unreachable`,
      ),
    });
  });
});
