import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeNssTrustStore, requireTools, runPdfsig } from '../../test/peers/pdfValidators.ts';
import { useDevPki } from '../../test/support/devPkiFixture.ts';
import {
  appendIssuingCrl,
  issueTsaIdentity,
  renewArchiveTimestamp,
  sealWithDevPki,
} from '../../test/support/devPkiSeals.ts';
import { createOutboundClient } from '../outbound/outboundHttp.ts';
import { ARCHIVE_TIMESTAMP_FIELD } from '../pdf/pades.ts';
import { normalizeSerial, type RevokedEntry } from '../pki/certificateRegistry.ts';
import { issueCrl } from '../pki/crl.ts';
import { type DevPki, loadOrCreateDevPki } from '../pki/devCa.ts';
import { createOcspResponder } from '../pki/ocspResponder.ts';
import { archiveHorizon } from './archiveHorizon.ts';
import type { Finding, VerificationReport } from './report.ts';
import { verifyPdf } from './verifyPdf.ts';

/*
 * Long-term verdicts (SPEC §C, ETSI EN 319 102-1): files sealed by Signet with the dev PKI,
 * whose TSA certificate lives 3 years and whose issuing CA lives 10, validated now and with the
 * validation time moved 4 and 11 years ahead. A time-stamp proves its time only while its
 * TSA's chain holds at the time the next document time-stamp proves, or at the validation time
 * for the newest; once that fails the verdict is INDETERMINATE, never VALID.
 */

const suite = useDevPki('signet-long-term-');
const RENEWED_FIELD = 'Signet archive time-stamp 2';

const yearsAhead = (years: number) => {
  const date = new Date();
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date;
};
const notAfterOf = (der: Uint8Array) => new Date(new X509Certificate(der).validTo);
const codes = (findings: Finding[]) => findings.map((f) => f.code);
const errors = (report: VerificationReport) =>
  [...report.findings, ...report.signatures.flatMap((s) => s.findings)].filter((f) => f.severity === 'error');

describe('long-term verdicts', () => {
  let lta: Uint8Array;
  let bt: Uint8Array;
  let renewed: Uint8Array;

  before(async () => {
    lta = await sealWithDevPki(suite.pki, 'B-LTA');
    bt = await sealWithDevPki(suite.pki, 'B-T');
    // An archive renewal by a TSA certificate that outlives the first one (5 years, not 3).
    const laterTsa = await issueTsaIdentity(suite.pki, yearsAhead(5));
    renewed = await renewArchiveTimestamp(lta, suite.pki, laterTsa, RENEWED_FIELD);
  });

  const verifyAt = (pdf: Uint8Array, now?: Date) =>
    verifyPdf(pdf, { trustAnchors: [suite.pki.rootDer], ...(now ? { now } : {}) });

  describe('a B-LTA seal', () => {
    it('is valid now: the seal proven by its signature time-stamp, that by the archive time-stamp, that by the validation time', async () => {
      const now = new Date(Date.now() + 60_000);
      const report = await verifyAt(lta, now);
      assert.equal(report.verdict, 'valid', JSON.stringify(report.findings, null, 2));
      assert.equal(report.validationTime, now.toISOString());
      const [seal, archive] = report.signatures;
      assert.equal(seal?.padesLevel, 'B-LTA');
      assert.deepEqual(seal?.timestamp?.controlTime, {
        time: archive?.timestamp?.time,
        source: 'document-timestamp',
        fieldName: ARCHIVE_TIMESTAMP_FIELD,
      });
      assert.deepEqual(archive?.timestamp?.controlTime, {
        time: now.toISOString(),
        source: 'validation-time',
      });
    });

    it('is INDETERMINATE 4 years ahead, when the TSA certificate has expired: the archive time-stamp proves nothing any more', async () => {
      const report = await verifyAt(lta, yearsAhead(4));
      assert.equal(report.verdict, 'indeterminate');
      assert.deepEqual(errors(report), [], 'expiry after the fact is no error: the file is not invalid');
      const headline = report.findings.find((f) => f.code === 'ARCHIVE_TIMESTAMP_EXPIRED');
      const tsaExpiry = notAfterOf(suite.pki.tsa.certificate).toISOString();
      assert.ok(headline, JSON.stringify(report.findings, null, 2));
      assert.match(
        headline.message,
        new RegExp(
          `^document time-stamp '${ARCHIVE_TIMESTAMP_FIELD}': its TSA certificate "Signet Development Time-Stamping Authority" expired on ${tsaExpiry}, before the validation time`,
        ),
      );
      assert.match(headline.message, /signet renew/);
      const [seal, archive] = report.signatures;
      assert.equal(archive?.verdict, 'indeterminate');
      assert.equal(seal?.verdict, 'indeterminate', 'nothing proves the seal any more either');
      assert.ok(codes(seal?.findings ?? []).includes('SIGNATURE_TIMESTAMP_EXPIRED'));
      assert.equal(seal?.timestamp?.controlTime?.source, 'validation-time');
      assert.equal(seal?.padesLevel, 'B-LTA', 'the level is what the file carries, not how long it lasts');
    });

    it('is INDETERMINATE 11 years ahead, naming the issuing CA that has expired too', async () => {
      const report = await verifyAt(lta, yearsAhead(11));
      assert.equal(report.verdict, 'indeterminate');
      assert.deepEqual(errors(report), []);
      const headline = report.findings.find((f) => f.code === 'ARCHIVE_TIMESTAMP_EXPIRED');
      const caExpiry = notAfterOf(suite.pki.issuingCa.certificate).toISOString();
      assert.match(
        headline?.message ?? '',
        new RegExp(
          `the issuer certificate "Signet Development Issuing CA" in its TSA path expired on ${caExpiry}`,
        ),
      );
    });

    it('is INDETERMINATE as of a time before it was sealed: its time-stamps did not exist yet', async () => {
      const report = await verifyAt(lta, new Date(Date.now() - 24 * 60 * 60 * 1000));
      assert.equal(report.verdict, 'indeterminate');
      assert.ok(
        codes(report.findings).includes('ARCHIVE_TIMESTAMP_NOT_YET_VALID'),
        JSON.stringify(report.findings, null, 2),
      );
      assert.ok(codes(report.findings).includes('SIGNATURE_TIMESTAMP_NOT_YET_VALID'));
    });

    it('is INDETERMINATE once revocation data shows its TSA certificate revoked before the validation time', async () => {
      const revokedAt = yearsAhead(1);
      const serial = new X509Certificate(suite.pki.tsa.certificate).serialNumber;
      const withCrl = await appendIssuingCrl(
        lta,
        suite.pki,
        [{ serial, revokedAt, reason: 'keyCompromise' }],
        new Date(revokedAt.getTime() + 1000),
      );
      const beforeRevocation = await verifyAt(withCrl, new Date(Date.now() + 60_000));
      assert.equal(beforeRevocation.verdict, 'valid', JSON.stringify(beforeRevocation.findings, null, 2));
      const report = await verifyAt(withCrl, yearsAhead(2));
      assert.equal(report.verdict, 'indeterminate');
      const headline = report.findings.find((f) => f.code === 'ARCHIVE_TIMESTAMP_REVOKED');
      assert.match(
        headline?.message ?? '',
        new RegExp(
          `its TSA certificate ".*" was revoked on ${revokedAt.toISOString().replace(/\.\d+Z$/, '')}`,
        ),
        JSON.stringify(report.findings, null, 2),
      );
    });
  });

  describe('a B-LTA seal with a renewed archive time-stamp', () => {
    it('is VALID 4 years ahead: the first archive time-stamp is proven by the second, made while it was valid', async () => {
      const report = await verifyAt(renewed, yearsAhead(4));
      assert.equal(report.verdict, 'valid', JSON.stringify(report.findings, null, 2));
      const [seal, first, second] = report.signatures;
      assert.deepEqual(
        report.signatures.map((s) => s.fieldName),
        ['Signet seal', ARCHIVE_TIMESTAMP_FIELD, RENEWED_FIELD],
      );
      assert.equal(first?.timestamp?.controlTime?.source, 'document-timestamp');
      assert.equal(first?.timestamp?.controlTime?.fieldName, RENEWED_FIELD);
      assert.equal(second?.timestamp?.controlTime?.source, 'validation-time');
      assert.equal(seal?.timestamp?.controlTime?.fieldName, ARCHIVE_TIMESTAMP_FIELD);
      assert.equal(seal?.padesLevel, 'B-LTA');
      assert.equal(second?.signer?.commonName, 'Signet Renewed Time-Stamping Authority');
    });

    it('is VALID now, and pdfsig accepts all three signatures', async (t) => {
      const report = await verifyAt(renewed);
      assert.equal(report.verdict, 'valid', JSON.stringify(report.findings, null, 2));
      if (!requireTools(t, ['pdfsig', 'certutil'])) return;
      const file = join(suite.work, 'renewed.pdf');
      await writeFile(file, renewed);
      const trust = await makeNssTrustStore(suite.pki.rootPem);
      try {
        const peer = await runPdfsig(file, trust.dir);
        const raw = peer.map((p) => p.raw).join('\n');
        assert.equal(peer.length, 3, raw);
        // pdfsig checks CMS signatures only; document time-stamps it lists without a verdict.
        assert.equal(peer[0]?.signatureValid, true, raw);
        assert.equal(peer.at(-1)?.totalDocumentSigned, true, raw);
      } finally {
        await trust.cleanup();
      }
    });

    it('is INDETERMINATE 11 years ahead, once the issuing CA behind the renewed TSA has expired', async () => {
      const report = await verifyAt(renewed, yearsAhead(11));
      assert.equal(report.verdict, 'indeterminate');
      const headline = report.findings.find(
        (f) =>
          f.code === 'ARCHIVE_TIMESTAMP_EXPIRED' &&
          f.message.startsWith(`document time-stamp '${RENEWED_FIELD}'`),
      );
      assert.match(
        headline?.message ?? '',
        /its TSA certificate "Signet Renewed Time-Stamping Authority" expired on .*; the issuer certificate "Signet Development Issuing CA" in its TSA path expired on/,
        JSON.stringify(report.findings, null, 2),
      );
    });
  });

  describe('a B-T seal, with no document time-stamp', () => {
    it('is VALID now', async () => {
      const report = await verifyAt(bt);
      assert.equal(report.verdict, 'valid', JSON.stringify(report.findings, null, 2));
      assert.equal(report.signatures[0]?.padesLevel, 'B-T');
      assert.equal(report.signatures[0]?.timestamp?.controlTime?.source, 'validation-time');
    });

    it('is INDETERMINATE 4 years ahead: its signature time-stamp can no longer prove when it signed', async () => {
      const report = await verifyAt(bt, yearsAhead(4));
      assert.equal(report.verdict, 'indeterminate');
      assert.deepEqual(errors(report), []);
      const headline = report.findings.find((f) => f.code === 'SIGNATURE_TIMESTAMP_EXPIRED');
      assert.match(
        headline?.message ?? '',
        /^signature 'Signet seal': the signature time-stamp's TSA certificate .* expired on .*, before the validation time .*no document time-stamp that still holds/,
        JSON.stringify(report.findings, null, 2),
      );
    });
  });

  describe('a B-B seal', () => {
    it('is INDETERMINATE once its certificate has expired, as nothing proves when it was made', async () => {
      const bb = await sealWithDevPki(suite.pki, 'B-B');
      assert.equal((await verifyAt(bb)).verdict, 'valid');
      const later = await verifyAt(bb, yearsAhead(4));
      assert.equal(later.verdict, 'indeterminate');
      assert.ok(codes(later.signatures[0]?.findings ?? []).includes('NO_PROOF_OF_EXISTENCE'));
    });
  });
});

describe('long-term verdicts with live revocation (--live)', () => {
  let work: string;
  let pki: DevPki;
  let server: Server;
  const revoked: RevokedEntry[] = [];

  before(async () => {
    // The CA's OCSP responder and CRLs on loopback, at the URLs its certificates name.
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const ocsp = createOcspResponder({
          issuer: pki.issuingCa.certificate,
          responder: pki.ocspResponder,
          status: async (_issuer, serial) => {
            const entry = revoked.find((r) => r.serial === serial);
            return entry
              ? { status: 'revoked', revokedAt: entry.revokedAt, reason: entry.reason }
              : { status: 'good' };
          },
        });
        const path = new URL(request.url ?? '/', pki.urls.ocsp).href;
        const body =
          path === pki.urls.ocsp
            ? await ocsp.respond(new Uint8Array(Buffer.concat(chunks)))
            : path === pki.urls.issuingCrl
              ? await issueCrl(pki.issuingCa, revoked, 3n)
              : path === pki.urls.rootCrl
                ? await issueCrl(pki.root, [], 3n)
                : undefined;
        response.statusCode = body ? 200 : 404;
        response.end(body ? Buffer.from(body) : undefined);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    work = await mkdtemp(join(tmpdir(), 'signet-long-term-live-'));
    const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    pki = await loadOrCreateDevPki(join(work, 'pki'), { publicUrl });
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await rm(work, { recursive: true, force: true });
  });

  it('is INDETERMINATE when the TSA was revoked after sealing, which only a live look-up can know', async () => {
    const lta = await sealWithDevPki(pki, 'B-LTA');
    const revokedAt = new Date(Date.now() + 1000);
    revoked.push({
      serial: normalizeSerial(new X509Certificate(pki.tsa.certificate).serialNumber),
      revokedAt,
      reason: 'keyCompromise',
    });
    const validationTime = new Date(Date.now() + 60_000);
    const embeddedOnly = await verifyPdf(lta, { trustAnchors: [pki.rootDer], now: validationTime });
    assert.equal(embeddedOnly.verdict, 'valid', 'the file itself says the TSA was good when sealed');

    const outbound = createOutboundClient({ allowedNetworks: ['127.0.0.1/32'] });
    try {
      const live = await verifyPdf(lta, {
        trustAnchors: [pki.rootDer],
        now: validationTime,
        revocation: 'embedded-then-live',
        outbound,
      });
      assert.equal(live.verdict, 'indeterminate', JSON.stringify(live.findings, null, 2));
      assert.deepEqual(errors(live), [], 'revoked after the time-stamps were made: not invalid');
      const headline = live.findings[0];
      assert.equal(headline?.code, 'ARCHIVE_TIMESTAMP_REVOKED');
      assert.match(
        headline?.message ?? '',
        /its TSA certificate "Signet Development Time-Stamping Authority" was revoked on/,
      );
    } finally {
      await outbound.close();
    }
  });
});

describe('archiveHorizon', () => {
  it('names the newest document time-stamp, its earliest certificate expiry and its algorithms', async () => {
    const lta = await sealWithDevPki(suite.pki, 'B-LTA');
    const horizon = await archiveHorizon(lta, { trustAnchors: [suite.pki.rootDer] });
    assert.ok(horizon);
    assert.equal(horizon.kind, 'document-timestamp');
    assert.equal(horizon.fieldName, ARCHIVE_TIMESTAMP_FIELD);
    assert.equal(horizon.expiresAt.getTime(), notAfterOf(suite.pki.tsa.certificate).getTime());
    assert.equal(horizon.expiringCertificate.commonName, 'Signet Development Time-Stamping Authority');
    assert.equal(horizon.imprintAlgorithm, 'sha256');
    assert.equal(horizon.digestAlgorithm, 'sha256');
    assert.equal(horizon.signatureAlgorithm, 'sha256WithRSAEncryption');
    assert.equal(horizon.path.length, 3, 'TSA, issuing CA, root');

    const laterTsa = await issueTsaIdentity(suite.pki, new Date(Date.now() + 5 * 365 * 86_400_000));
    const renewed = await renewArchiveTimestamp(lta, suite.pki, laterTsa, 'Renewed');
    const after = await archiveHorizon(renewed);
    assert.equal(after?.fieldName, 'Renewed');
    assert.equal(after?.expiresAt.getTime(), notAfterOf(laterTsa.certificate).getTime());
  });

  it('falls back to the signature time-stamp in a B-T file, and is undefined without any time-stamp', async () => {
    const horizon = await archiveHorizon(await sealWithDevPki(suite.pki, 'B-T'));
    assert.equal(horizon?.kind, 'signature-timestamp');
    assert.equal(horizon?.fieldName, 'Signet seal');
    assert.equal(await archiveHorizon(await sealWithDevPki(suite.pki, 'B-B')), undefined);
  });
});
