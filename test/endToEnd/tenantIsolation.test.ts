import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey, revokeApiKey } from '../../src/orgs/apiKeys.ts';
import { apiClient, envelopeJson, latestTokenFor } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/** Every /api/v1 route needs a key and sees only its own organisation (SPEC §F). */
for (const kind of databaseKinds()) {
  describe(`tenant isolation on ${kind}`, () => {
    let signet: TestSignet;
    let alice: { organizationId: string; apiKey: string };
    let mallory: { organizationId: string; apiKey: string };
    let envelopeId: string;
    let documentId: string;
    let recipientId: string;
    let draftId: string;

    before(async () => {
      signet = await startTestSignet(kind);
      alice = await createTestOrganization(signet, 'Alice Corp');
      mallory = await createTestOrganization(signet, 'Mallory Inc');
      const a = apiClient(signet.app, alice.apiKey);
      const pdf = await makePdf();
      const sent = await a.post<{ id: string; documents: { id: string }[]; recipients: { id: string }[] }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf),
      );
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      envelopeId = sent.body.id;
      documentId = sent.body.documents[0]!.id;
      recipientId = sent.body.recipients[0]!.id;
      draftId = (await a.post<{ id: string }>('/api/v1/envelopes', envelopeJson(pdf))).body.id;
    });
    after(() => signet?.stop());

    it('answers 404 to another organisation on every envelope route, and changes nothing', async () => {
      const m = apiClient(signet.app, mallory.apiKey);
      const attempts = [
        m.get(`/api/v1/envelopes/${envelopeId}`),
        m.post(`/api/v1/envelopes/${draftId}/send`),
        m.post(`/api/v1/envelopes/${envelopeId}/void`, { reason: 'mine now' }),
        m.post(`/api/v1/envelopes/${envelopeId}/remind`),
        m.delete(`/api/v1/envelopes/${draftId}`),
        m.get(`/api/v1/envelopes/${envelopeId}/documents/${documentId}`),
        m.get(`/api/v1/envelopes/${envelopeId}/download`),
        m.get(`/api/v1/envelopes/${envelopeId}/audit`),
        m.get(`/api/v1/envelopes/${envelopeId}/certificate`),
        m.post(`/api/v1/envelopes/${envelopeId}/recipients/${recipientId}/signing-url`),
      ];
      for (const response of await Promise.all(attempts)) {
        assert.equal(response.status, 404);
        assert.equal(response.body.code, 'ENVELOPE_NOT_FOUND');
      }
      const list = await m.get<{ data: unknown[] }>('/api/v1/envelopes');
      assert.equal(list.body.data.length, 0);

      const a = apiClient(signet.app, alice.apiKey);
      const still = await a.get<{ status: string }>(`/api/v1/envelopes/${envelopeId}`);
      assert.equal(still.body.status, 'sent');
      assert.equal((await a.get<{ status: string }>(`/api/v1/envelopes/${draftId}`)).body.status, 'draft');
    });

    it('refuses requests without a key, with an unknown key, and with a revoked key', async () => {
      for (const client of [apiClient(signet.app), apiClient(signet.app, 'sgk_not-a-real-key')]) {
        const response = await client.get('/api/v1/envelopes');
        assert.equal(response.status, 401);
        assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
        assert.ok(String(response.headers['www-authenticate']).startsWith('Bearer'));
      }
      const extra = await createApiKey(signet.platform.db, { organizationId: alice.organizationId });
      assert.equal((await apiClient(signet.app, extra.key).get('/api/v1/envelopes')).status, 200);
      await revokeApiKey(signet.platform.db, alice.organizationId, extra.id);
      const revoked = await apiClient(signet.app, extra.key).get('/api/v1/envelopes');
      assert.equal(revoked.status, 401);
      assert.equal(revoked.body.code, 'API_KEY_INVALID');
    });

    it('lets a read-only key read but not write', async () => {
      const readOnly = await createApiKey(signet.platform.db, {
        organizationId: alice.organizationId,
        scopes: ['envelopes:read'],
      });
      const client = apiClient(signet.app, readOnly.key);
      assert.equal((await client.get(`/api/v1/envelopes/${envelopeId}`)).status, 200);
      const write = await client.post(`/api/v1/envelopes/${envelopeId}/void`, { reason: 'no' });
      assert.equal(write.status, 403);
      assert.equal(write.body.code, 'API_KEY_SCOPE_MISSING');
    });

    it("does not let one envelope's signing link reach another envelope's documents", async () => {
      const m = apiClient(signet.app, mallory.apiKey);
      const own = await m.post<{ id: string }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf(), {
          recipients: [{ name: 'Eve', email: 'eve@evil.test', role: 'signer' }],
          fields: [
            { recipient: 'eve@evil.test', type: 'signature', page: 1, x: 10, y: 10, width: 100, height: 30 },
          ],
        }),
      );
      assert.equal(own.status, 201);
      const token = await latestTokenFor(m, 'eve@evil.test');
      const signer = apiClient(signet.app);
      const response = await signer.get(`/api/v1/signing/${token}/documents/${documentId}`);
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'DOCUMENT_NOT_FOUND');
    });

    it('records when a key was last used', async () => {
      const rows = await signet.platform.db.query<{ last_used_at: Date | null }>(
        'select last_used_at from api_keys where organization_id = $1',
        [alice.organizationId],
      );
      assert.ok(rows.some((r) => r.last_used_at !== null));
    });
  });
}
