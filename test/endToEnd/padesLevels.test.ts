import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pkijs from 'pkijs';
import { embeddedSignatures } from '../../src/pdf/incremental/dss.ts';
import {
  extractSignatures,
  makeNssTrustStore,
  type NssTrustStore,
  requireTools,
  runMutoolVerify,
  runPdfsig,
  runQpdfCheck,
} from '../peers/pdfValidators.ts';
import { type ApiClient, apiClient, latestTokenFor, openEveryDocument } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { makeSignaturePng } from '../support/png.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

const PEERS = ['pdfsig', 'certutil', 'qpdf', 'mutool'];

interface EnvelopeView {
  id: string;
  seal: { state: string; sha256: string | null; lastError: string | null };
}

/**
 * The whole chain through the real API (issue #3): an organisation asks for B-LTA with
 * per-signer signatures; two people sign; the completed file carries one signature per signer,
 * the platform seal, a /DSS and a document time-stamp, and independent validators accept it.
 */
for (const kind of databaseKinds()) {
  describe(`PAdES levels through the API on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let trust: NssTrustStore | undefined;
    const work = mkdtempSync(join(tmpdir(), 'signet-pades-e2e-'));

    before(async () => {
      signet = await startTestSignet(kind);
      api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
    });
    after(async () => {
      await trust?.cleanup();
      await signet?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    it('defaults to B-LTA without per-signer signatures, and changes only with organization:admin', async () => {
      const policy = await api.get<{ padesLevel: string; perSignerSignatures: boolean }>(
        '/api/v1/organization/signature-policy',
      );
      assert.deepEqual(policy.body, { padesLevel: 'B-LTA', perSignerSignatures: false });
      const bad = await api.put<{ code: string }>('/api/v1/organization/signature-policy', {
        padesLevel: 'B-X',
      });
      assert.equal(bad.status, 400);
    });

    it('gives each signer their own valid signature before the seal, then a DSS and a document time-stamp', async (t) => {
      if (!requireTools(t, PEERS)) return;
      const changed = await api.put('/api/v1/organization/signature-policy', {
        padesLevel: 'B-LTA',
        perSignerSignatures: true,
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));

      const pdf = await makePdf({ pages: 2, text: 'Two-signer contract' });
      const created = await api.post<EnvelopeView>('/api/v1/envelopes?send=true', {
        title: 'Two signers',
        documents: [{ name: 'contract.pdf', content: pdf.toString('base64') }],
        recipients: [
          { name: 'Zoë Ünal', email: 'zoe@client.test', role: 'signer', routingOrder: 1 },
          { name: 'Sam Client', email: 'sam@client.test', role: 'signer', routingOrder: 2 },
        ],
        fields: [
          { recipient: 'zoe@client.test', type: 'signature', page: 1, x: 72, y: 600, width: 180, height: 50 },
          {
            recipient: 'sam@client.test',
            type: 'signature',
            page: 2,
            x: 300,
            y: 600,
            width: 180,
            height: 50,
          },
        ],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));

      for (const email of ['zoe@client.test', 'sam@client.test']) {
        const token = await eventually(async () => {
          try {
            return await latestTokenFor(api, email);
          } catch {
            return undefined;
          }
        }, `invitation for ${email}`);
        const signer = apiClient(signet.app);
        await signer.post(`/api/v1/signing/${token}/consent`);
        await openEveryDocument(signer, token);
        const done = await signer.post(`/api/v1/signing/${token}/finish`, {
          signature: { kind: 'drawn', png: makeSignaturePng().toString('base64') },
        });
        assert.equal(done.status, 200, JSON.stringify(done.body));
      }

      const sealed = await eventually(
        async () => {
          const view = (await api.get<EnvelopeView>(`/api/v1/envelopes/${created.body.id}`)).body;
          if (view.seal.state === 'failed') throw new Error(`seal failed: ${view.seal.lastError}`);
          return view.seal.state === 'done' ? view : undefined;
        },
        'sealed',
        60_000,
      );
      const download = await signet.app.inject({
        method: 'GET',
        url: `/api/v1/envelopes/${sealed.id}/download`,
        headers: { authorization: api.authorization },
      });
      assert.equal(download.statusCode, 200);
      const file = join(work, `sealed-${kind}.pdf`);
      writeFileSync(file, download.rawPayload);

      const rootPem = (await signet.app.inject({ method: 'GET', url: '/pki/root.pem' })).payload;
      trust ??= await makeNssTrustStore(rootPem);
      const report = await runPdfsig(file, trust.dir);
      const cades = report.filter((s) => s.subFilter === 'ETSI.CAdES.detached');
      assert.equal(cades.length, 3, report.map((s) => s.raw).join('\n'));
      for (const signature of cades) {
        assert.ok(signature.signatureValid, signature.raw);
        assert.ok(signature.certificateTrusted, signature.raw);
      }
      assert.match(cades[0]?.raw ?? '', /Zo. .nal/);
      assert.match(cades[1]?.raw ?? '', /Sam Client/);
      assert.equal(report.length, 4, 'three signatures and the archive time-stamp');
      assert.ok(report.at(-1)?.totalDocumentSigned);
      assert.equal(await runQpdfCheck(file), 0);
      const mutool = await runMutoolVerify(file);
      for (const entry of mutool.slice(0, 3))
        assert.match(entry.raw, /signature is valid|unchanged since signing/i);

      const kinds = embeddedSignatures(new Uint8Array(download.rawPayload)).map((s) => s.kind);
      assert.deepEqual(kinds, ['signature', 'signature', 'signature', 'document-timestamp']);
      // The per-signer certificates name the signer and the envelope.
      const first = extractSignatures(new Uint8Array(download.rawPayload))[0];
      assert.ok(first);
      const signedData = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(first.cms).content });
      const subjects = (signedData.certificates ?? []).map((c) =>
        c instanceof pkijs.Certificate
          ? c.subject.typesAndValues.map((v) => v.value.valueBlock.value).join(',')
          : '',
      );
      assert.ok(
        subjects.some((s) => s.includes('Zoë Ünal')),
        subjects.join(' | '),
      );

      const audit = await api.get<{ events: { type: string; data: Record<string, unknown> }[] }>(
        `/api/v1/envelopes/${sealed.id}/audit`,
      );
      const sealEvent = audit.body.events.find((e) => e.type === 'envelope.sealed');
      assert.equal(sealEvent?.data.level, 'PAdES-B-LTA');
      assert.equal((sealEvent?.data.signerCertificates as unknown[] | undefined)?.length, 2);

      // Signet's own validator, through its public route, agrees with the peers and sees more:
      // every time-stamp (made by the dev TSA) checked, the levels, and no disallowed change.
      const verified = await signet.app.inject({
        method: 'POST',
        url: '/api/v1/verify',
        headers: { 'content-type': 'application/pdf' },
        payload: download.rawPayload,
      });
      assert.equal(verified.statusCode, 200, verified.payload);
      const verdict = verified.json() as {
        verdict: string;
        sealedBySignet: unknown;
        signatures: { fieldName: string; verdict: string; padesLevel?: string }[];
      };
      assert.equal(verdict.verdict, 'valid', verified.payload);
      assert.deepEqual(
        verdict.signatures.map((s) => [s.verdict, s.padesLevel]),
        [
          ['valid', 'B-LTA'],
          ['valid', 'B-LTA'],
          ['valid', 'B-LTA'],
          ['valid', undefined],
        ],
      );
      assert.ok(verdict.sealedBySignet, 'the file is one this installation sealed');
    });
  });
}
