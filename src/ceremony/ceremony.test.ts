import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiClient, apiClient, envelopeJson, latestTokenFor } from '../../test/support/apiClient.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  startTestSignet,
  type TestSignet,
} from '../../test/support/signetHarness.ts';
import { createApiKey } from '../orgs/apiKeys.ts';

/*
 * What the web ceremony relies on in the signer API and the signing page (issue #11): every
 * document presented before a finish, each presentation its own piece of evidence; embedded
 * signing's return URL; and who may frame the signing page.
 */

interface Session {
  documents: {
    id: string;
    name: string;
    viewed: boolean;
    pageSizes: { width: number; rotation: number }[];
  }[];
  recipient: { status: string };
  link: { purpose: string; returnUrl: string | null };
}
interface AuditEvents {
  events: { type: string; actor: string; data: Record<string, unknown> }[];
}

for (const kind of databaseKinds()) {
  describe(`the signing ceremony's server side on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let organizationId: string;
    const signer = () => apiClient(signet.app);

    before(async () => {
      signet = await startTestSignet(kind);
      const organization = await createTestOrganization(signet);
      organizationId = organization.organizationId;
      api = apiClient(signet.app, organization.apiKey);
    });
    after(() => signet?.stop());

    async function twoDocumentEnvelope(email: string, role = 'signer') {
      const created = await api.post<{
        id: string;
        recipients: { id: string }[];
        documents: { id: string }[];
      }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf({ text: 'Terms' }), {
          recipients: [{ name: 'Vera Viewer', email, role, routingOrder: 1 }],
          documents: [
            { name: 'terms.pdf', content: (await makePdf({ text: 'Terms' })).toString('base64') },
            { name: 'annex.pdf', content: (await makePdf({ pages: 3, text: 'Annex' })).toString('base64') },
          ],
          fields:
            role === 'signer'
              ? [
                  {
                    recipient: email,
                    type: 'signature',
                    document: 1,
                    page: 3,
                    x: 50,
                    y: 600,
                    width: 150,
                    height: 40,
                  },
                ]
              : [],
        }),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { envelope: created.body, token: await latestTokenFor(api, email) };
    }

    const finish = (token: string, body: unknown) =>
      signer().post<{ code?: string }>(`/api/v1/signing/${token}/finish`, body);
    const audit = async (envelopeId: string) =>
      (await api.get<AuditEvents>(`/api/v1/envelopes/${envelopeId}/audit`)).body.events;

    it('refuses to finish until the signer has opened every document, and records each opening once', async () => {
      const { envelope, token } = await twoDocumentEnvelope('vera@client.test');
      const [terms, annex] = envelope.documents.map((d) => d.id) as [string, string];
      assert.equal((await signer().post(`/api/v1/signing/${token}/consent`)).status, 200);
      const signature = { signature: { kind: 'typed', text: 'Vera Viewer' } };

      const none = await finish(token, signature);
      assert.deepEqual([none.status, none.body.code], [409, 'DOCUMENTS_NOT_VIEWED']);
      const session = await signer().get<Session>(`/api/v1/signing/${token}`);
      assert.deepEqual(
        session.body.documents.map((d) => [d.name, d.viewed, d.pageSizes.length]),
        [
          ['terms.pdf', false, 1],
          ['annex.pdf', false, 3],
        ],
      );

      // The first document, twice: one piece of evidence.
      for (let i = 0; i < 2; i++) {
        const shown = await signer().get(`/api/v1/signing/${token}/documents/${terms}`);
        assert.equal(shown.status, 200);
        assert.equal(shown.raw.subarray(0, 5).toString(), '%PDF-');
      }
      const one = await finish(token, signature);
      assert.deepEqual(
        [one.status, one.body.code],
        [409, 'DOCUMENTS_NOT_VIEWED'],
        'the annex is still unread',
      );

      assert.equal((await signer().get(`/api/v1/signing/${token}/documents/${annex}`)).status, 200);
      const after = await signer().get<Session>(`/api/v1/signing/${token}`);
      assert.deepEqual(
        after.body.documents.map((d) => d.viewed),
        [true, true],
      );
      const done = await finish(token, signature);
      assert.equal(done.status, 200, JSON.stringify(done.body));

      // After finishing, a download is no new evidence.
      assert.equal((await signer().get(`/api/v1/signing/${token}/documents/${annex}`)).status, 200);
      const viewed = (await audit(envelope.id)).filter((e) => e.type === 'document.viewed');
      const recipientId = envelope.recipients[0]!.id;
      assert.deepEqual(
        viewed.map((e) => [e.actor, e.data.recipientId, e.data.documentId, e.data.documentName]),
        [
          [`recipient:${recipientId}`, recipientId, terms, 'terms.pdf'],
          [`recipient:${recipientId}`, recipientId, annex, 'annex.pdf'],
        ],
      );
    });

    it('holds approvers and viewers to the same rule before they approve or acknowledge', async () => {
      for (const [role, email] of [
        ['approver', 'amy@client.test'],
        ['viewer', 'vic@client.test'],
      ] as const) {
        const { token } = await twoDocumentEnvelope(email, role);
        await signer().post(`/api/v1/signing/${token}/consent`);
        const refused = await finish(token, {});
        assert.deepEqual([refused.status, refused.body.code], [409, 'DOCUMENTS_NOT_VIEWED'], role);
        const session = await signer().get<Session>(`/api/v1/signing/${token}`);
        for (const d of session.body.documents)
          await signer().get(`/api/v1/signing/${token}/documents/${d.id}`);
        assert.equal((await finish(token, {})).status, 200, role);
      }
    });

    it('keeps the return URL of an embedded signing link and shows it in that link’s session only', async () => {
      const { envelope, token: mailed } = await twoDocumentEnvelope('rita@client.test');
      const recipientId = envelope.recipients[0]!.id;
      const url = `/api/v1/envelopes/${envelope.id}/recipients/${recipientId}/signing-url`;

      const bad = await api.post<{ code: string; errors: { path: string }[] }>(url, {
        returnUrl: 'javascript:alert(1)',
      });
      assert.deepEqual([bad.status, bad.body.code], [400, 'VALIDATION_FAILED']);
      assert.deepEqual(
        bad.body.errors.map((e) => e.path),
        ['/returnUrl'],
      );

      const embedded = await api.post<{ url: string }>(url, {
        returnUrl: 'https://app.example.com/done?case=42',
      });
      assert.equal(embedded.status, 200, JSON.stringify(embedded.body));
      const token = /\/sign\/([A-Za-z0-9_-]{43})$/.exec(embedded.body.url)?.[1];
      assert.ok(token);
      const session = await signer().get<Session>(`/api/v1/signing/${token}`);
      assert.deepEqual(session.body.link, {
        purpose: 'embedded',
        returnUrl: 'https://app.example.com/done?case=42',
      });

      const plain = await api.post<{ url: string }>(url);
      assert.equal(plain.status, 200, 'the body stays optional');
      const plainToken = /\/sign\/([A-Za-z0-9_-]{43})$/.exec(plain.body.url)?.[1];
      const plainSession = await signer().get<Session>(`/api/v1/signing/${plainToken}`);
      assert.deepEqual(plainSession.body.link, { purpose: 'embedded', returnUrl: null });
      const mailedSession = await signer().get<Session>(`/api/v1/signing/${mailed}`);
      assert.deepEqual(mailedSession.body.link, { purpose: 'email', returnUrl: null });

      const created = (await audit(envelope.id)).filter((e) => e.type === 'recipient.signing_url_created');
      assert.deepEqual(
        created.map((e) => e.data.returnUrl),
        ['https://app.example.com/done?case=42', undefined],
      );
    });

    it('lets only the organisation’s allowed origins frame its signing page', async () => {
      const { token } = await twoDocumentEnvelope('fay@client.test');
      const page = async (t: string) => {
        const response = await signet.app.inject({ method: 'GET', url: `/sign/${t}` });
        assert.equal(response.statusCode, 200);
        assert.match(String(response.headers['content-type']), /^text\/html/);
        assert.equal(response.headers['referrer-policy'], 'no-referrer');
        assert.equal(response.headers['cache-control'], 'no-store');
        const policy = String(response.headers['content-security-policy']);
        return {
          ancestors: /frame-ancestors ([^;]*)/.exec(policy)?.[1],
          policyCount: policy.match(/frame-ancestors/g)?.length,
          xfo: response.headers['x-frame-options'],
          meta: /<meta name="signet-frame-origins" content="([^"]*)">/.exec(response.body)?.[1],
        };
      };
      assert.deepEqual(await page(token), {
        ancestors: "'none'",
        policyCount: 1,
        xfo: 'DENY',
        meta: '[]',
      });

      const refused = await api.put<{ code: string; errors: { path: string }[] }>(
        '/api/v1/organization/embedding-origins',
        {
          origins: [
            'https://ok.example.com',
            'https://*.example.com',
            'https://x.test/path',
            'ftp://x.test',
            '*',
          ],
        },
      );
      assert.deepEqual([refused.status, refused.body.code], [422, 'EMBEDDING_ORIGIN_INVALID']);
      assert.deepEqual(
        refused.body.errors.map((e) => e.path),
        ['/origins/1', '/origins/2', '/origins/3', '/origins/4'],
      );

      const set = await api.put<{ origins: string[] }>('/api/v1/organization/embedding-origins', {
        origins: ['https://App.Example.com/', 'http://localhost:8080', 'https://app.example.com'],
      });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual(set.body.origins, ['https://app.example.com', 'http://localhost:8080']);
      assert.deepEqual(await page(token), {
        ancestors: 'https://app.example.com http://localhost:8080',
        policyCount: 1,
        xfo: undefined,
        meta: '[&#34;https://app.example.com&#34;,&#34;http://localhost:8080&#34;]',
      });

      // Another organisation's link, and a link nobody issued, stay unframeable.
      const other = apiClient(signet.app, (await createTestOrganization(signet, 'Other Ltd')).apiKey);
      await other.post('/api/v1/envelopes?send=true', envelopeJson(await makePdf(), {}));
      const othersToken = await latestTokenFor(other, 'sam@client.test');
      assert.equal((await page(othersToken)).ancestors, "'none'");
      assert.equal((await page('A'.repeat(43))).ancestors, "'none'");

      // A key without organization:admin may not change them; an empty list forbids framing again.
      const sender = apiClient(signet.app, (await createApiKey(signet.platform.db, { organizationId })).key);
      const forbidden = await sender.put<{ code: string }>('/api/v1/organization/embedding-origins', {
        origins: [],
      });
      assert.deepEqual([forbidden.status, forbidden.body.code], [403, 'API_KEY_SCOPE_MISSING']);
      assert.equal((await api.put('/api/v1/organization/embedding-origins', { origins: [] })).status, 200);
      assert.deepEqual((await page(token)).ancestors, "'none'");
      assert.equal((await page(token)).xfo, 'DENY');

      // The organisation's settings carry the same list, as the web app's settings page edits it.
      const viaSettings = await api.patch<{ embeddingOrigins: string[] }>('/api/v1/organization', {
        embeddingOrigins: ['https://portal.example.com/'],
      });
      assert.equal(viaSettings.status, 200, JSON.stringify(viaSettings.body));
      assert.deepEqual(viaSettings.body.embeddingOrigins, ['https://portal.example.com']);
      assert.equal((await page(token)).ancestors, 'https://portal.example.com');
      const badViaSettings = await api.patch<{ code: string; errors: { path: string }[] }>(
        '/api/v1/organization',
        { embeddingOrigins: ['https://ok.example.com', 'https://x.test/path'] },
      );
      assert.deepEqual(
        [badViaSettings.status, badViaSettings.body.code, badViaSettings.body.errors.map((e) => e.path)],
        [422, 'EMBEDDING_ORIGIN_INVALID', ['/embeddingOrigins/1']],
      );
      assert.equal(
        (await page(token)).ancestors,
        'https://portal.example.com',
        'a refused change changes nothing',
      );
    });
  });
}
