import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateMasterKey } from '../../src/blobs/blobStore.ts';
import {
  renewDueArchives,
  renewEnvelopeArchive,
  sealedVersions,
} from '../../src/envelopes/archiveRenewal.ts';
import { openConfiguredKeyStore } from '../../src/pki/configuredKeyStore.ts';
import { loadOrCreateDevPki } from '../../src/pki/devCa.ts';
import { verifyPdf } from '../../src/verify/verifyPdf.ts';
import {
  type ApiClient,
  apiClient,
  envelopeJson,
  latestTokenFor,
  openEveryDocument,
} from '../support/apiClient.ts';
import { devPadesServices, issueTsaIdentity } from '../support/devPkiSeals.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * Archive renewal (issue #13): a sealed B-LTA document stays provable only while its newest
 * archive time-stamp's certificates hold — three years for the built-in TSA. The renewal job
 * leaves a file alone while that is far off, refuses to store a renewal that would not push the
 * horizon out (the same TSA certificate), and, once the TSA has a longer-lived certificate, adds
 * validation data and a new archive time-stamp as a new version beside the old: the download
 * and the evidence give the new one, the old one is kept, the audit trail says so, and the file
 * that `signet verify` called INDETERMINATE at +4 years is VALID then.
 */

const YEAR = 365 * 24 * 60 * 60 * 1000;

interface EnvelopeView {
  id: string;
  seal: { state: string; lastError?: string };
}

for (const kind of databaseKinds()) {
  describe(`archive renewal of sealed documents on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let envelopeId: string;

    before(async () => {
      signet = await startTestSignet(kind);
      api = apiClient(signet.app, (await createTestOrganization(signet, 'Decades Ltd')).apiKey);
      const created = await api.post<EnvelopeView>('/api/v1/envelopes?send=true', {
        ...envelopeJson(await makePdf(), {
          title: 'Lease for 99 years',
          recipients: [{ name: 'Ada Lovelace', email: 'ada@client.test' }],
          fields: [
            { recipient: 'ada@client.test', type: 'signature', x: 50, y: 600, width: 150, height: 40 },
          ],
        }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      envelopeId = created.body.id;
      const token = await latestTokenFor(api, 'ada@client.test');
      const signer = apiClient(signet.app);
      await signer.post(`/api/v1/signing/${token}/consent`);
      await openEveryDocument(signer, token);
      const done = await signer.post(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'typed', text: 'Ada Lovelace' },
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      await eventually(async () => {
        const view = (await api.get<EnvelopeView>(`/api/v1/envelopes/${envelopeId}`)).body;
        if (view.seal.state === 'failed') throw new Error(`seal failed: ${view.seal.lastError}`);
        return view.seal.state === 'done' ? true : undefined;
      }, 'the seal');
    });
    after(async () => {
      await signet?.stop();
    });

    const download = async () => {
      const answer = await signet.app.inject({
        method: 'GET',
        url: `/api/v1/envelopes/${envelopeId}/download`,
        headers: { authorization: api.authorization },
      });
      assert.equal(answer.statusCode, 200);
      return new Uint8Array(answer.rawPayload);
    };
    const verdictAt = async (pdf: Uint8Array, at: Date) =>
      (
        await verifyPdf(pdf, {
          trustAnchors: [signet.platform.pki.rootDer],
          revocation: 'embedded-only',
          now: at,
        })
      ).verdict;

    it('leaves a file alone while its archive time-stamp has years to run', async () => {
      const outcomes = await renewDueArchives(signet.platform);
      const mine = outcomes.find((o) => o.envelopeId === envelopeId);
      assert.equal(mine?.outcome, 'not-due', JSON.stringify(outcomes));
      assert.ok(mine.outcome === 'not-due' && mine.archiveExpiresAt.getTime() > Date.now() + 2 * YEAR);
      // Looked at and not due: the next run does not read it again.
      assert.equal((await renewDueArchives(signet.platform)).length, 0);
    });

    it('does not store a renewal by the same TSA certificate: it would not push the horizon out', async () => {
      const outcome = await renewEnvelopeArchive(signet.platform, envelopeId, {
        now: new Date(Date.now() + 2.5 * YEAR),
      });
      assert.equal(outcome.outcome, 'no-progress');
      assert.equal((await sealedVersions(signet.platform, envelopeId)).length, 1);
    });

    it('renews at once a file whose archive time-stamp rests on a retired algorithm, years ahead of its expiry', async () => {
      const { archiveRenewal } = signet.platform.config;
      const before = archiveRenewal.retiredAlgorithms;
      // As if SHA-256 had gone the way of SHA-1 (ARCHIVE_RETIRED_ALGORITHMS=sha256).
      archiveRenewal.retiredAlgorithms = ['sha256'];
      try {
        const outcome = await renewEnvelopeArchive(signet.platform, envelopeId);
        assert.equal(outcome.outcome, 'renewed', JSON.stringify(outcome));
        const audit = await api.get<{ events: { type: string; data: Record<string, unknown> }[] }>(
          `/api/v1/envelopes/${envelopeId}/audit`,
        );
        const renewal = audit.body.events.find((e) => e.type === 'envelope.archive_renewed');
        assert.equal(renewal?.data.retiredAlgorithm, true);
      } finally {
        archiveRenewal.retiredAlgorithms = before;
      }
    });

    it('renews with a longer-lived TSA certificate, keeping the old version, and the file is valid at +4 years', async () => {
      const original = await download();
      const at4 = new Date(Date.now() + 4 * YEAR);
      assert.equal(await verdictAt(original, at4), 'indeterminate', 'not renewed: unprovable at +4 years');

      // Three years on, the operator's TSA has a new certificate, valid for six more.
      const config = signet.platform.config;
      const dev = await loadOrCreateDevPki(join(config.dataDir, 'pki'), {
        keyStore: await openConfiguredKeyStore(
          config,
          loadOrCreateMasterKey(config.dataDir, config.masterKey),
        ),
        publicUrl: config.publicUrl,
        profile: config.certificateProfile,
      });
      const tsa = await issueTsaIdentity(dev, new Date(Date.now() + 6 * YEAR));
      const outcome = await renewEnvelopeArchive(signet.platform, envelopeId, {
        now: new Date(Date.now() + 2.5 * YEAR),
        services: {
          tsa: devPadesServices(dev, { tsa }).tsa,
          validationData: signet.platform.pki.pades.validationData,
        },
      });
      assert.equal(outcome.outcome, 'renewed', JSON.stringify(outcome));

      const versions = await sealedVersions(signet.platform, envelopeId);
      assert.deepEqual(
        versions.map((v) => [v.version, v.reason]),
        [
          [1, 'seal'],
          [2, 'renewal'],
          [3, 'renewal'],
        ],
      );
      const renewed = await download();
      assert.equal(Buffer.from(renewed).toString('hex').length > 0, true);
      assert.notDeepEqual(renewed, original, 'the download gives the newest version');
      // Never replaced: the renewal only appends to the sealed file, and the old version stays stored.
      assert.deepEqual(renewed.subarray(0, original.length), original);
      assert.deepEqual(new Uint8Array(await signet.platform.blobs.get(versions[1]!.sha256)), original);

      assert.equal(await verdictAt(renewed, new Date()), 'valid');
      assert.equal(await verdictAt(renewed, at4), 'valid', 'renewed: provable at +4 years');
      assert.equal(await verdictAt(renewed, new Date(Date.now() + 11 * YEAR)), 'indeterminate');

      const audit = await api.get<{ events: { type: string; data: Record<string, unknown> }[] }>(
        `/api/v1/envelopes/${envelopeId}/audit`,
      );
      const renewal = audit.body.events.findLast((e) => e.type === 'envelope.archive_renewed');
      assert.equal(renewal?.data.version, 3);
      assert.equal(renewal?.data.previousSha256, versions[1]!.sha256);

      // Both versions are known to this installation as documents it sealed.
      for (const pdf of [original, renewed]) {
        const answer = await signet.app.inject({
          method: 'POST',
          url: '/api/v1/verify',
          headers: { 'content-type': 'application/pdf' },
          payload: Buffer.from(pdf),
        });
        assert.deepEqual((answer.json() as { sealedBySignet: unknown }).sealedBySignet, { envelopeId });
      }
    });
  });
}
