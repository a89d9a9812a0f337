import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/orgs/apiKeys.ts';
import { createOrganization } from '../../src/orgs/organizations.ts';
import { type ApiClient, apiClient, openEveryDocument } from '../support/apiClient.ts';
import { inviteSigner } from '../support/invitations.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../support/smtpReceiver.ts';

/*
 * The smaller findings of the security review, each through the real HTTP surface: who may
 * decline (7), whose X-Forwarded-For is believed (6), what a new API key may do, which pages
 * may be framed and when browsers are told to keep to HTTPS (10), and how soon a seal whose
 * process died is taken up again (10).
 */

for (const kind of databaseKinds()) {
  describe(`security defaults on ${kind}`, () => {
    let signet: TestSignet;
    let smtp: SmtpReceiver;
    let organizationId: string;
    let api: ApiClient;

    before(async () => {
      smtp = await startSmtpReceiver();
      // The test's own address is the one proxy whose X-Forwarded-For is believed.
      signet = await startTestSignet(kind, { SMTP_URL: smtp.url, TRUST_PROXY: '127.0.0.1' });
      const org = await createTestOrganization(signet);
      organizationId = org.organizationId;
      api = apiClient(signet.app, org.apiKey);
    });
    after(async () => {
      await signet?.stop();
      await smtp?.close();
    });

    const invite = (email: string, identity?: unknown[]) =>
      inviteSigner(api, smtp, email, identity, [{ name: 'Cora Copy', email: `cc-${email}`, role: 'cc' }]);

    it('does not let a recipient whose access-code check is locked decline, nor mail their reason', async () => {
      const { token, envelopeId } = await invite('locked@defaults.test', [
        { kind: 'accessCode', code: '4711-KX' },
      ]);
      const signer = apiClient(signet.app);
      for (let i = 0; i < 5; i++) {
        await signer.post(`/api/v1/signing/${token}/identity/access-code`, { code: `WRONG-${i}` });
      }
      const declined = await signer.post(`/api/v1/signing/${token}/decline`, { reason: 'Pay me first' });
      assert.deepEqual([declined.status, declined.body.code], [403, 'IDENTITY_REQUIRED']);
      assert.equal(
        (await api.get<{ status: string }>(`/api/v1/envelopes/${envelopeId}`)).body.status,
        'sent',
      );
      const [mails] = await signet.platform.db.query<{ n: number }>(
        `select count(*)::int as n from mail_messages where envelope_id = $1 and kind = 'declined'`,
        [envelopeId],
      );
      assert.equal(mails?.n, 0, 'no decline mail was queued');
    });

    it('lets a recipient who passed their checks decline', async () => {
      const { token, envelopeId } = await invite('free@defaults.test');
      const declined = await apiClient(signet.app).post(`/api/v1/signing/${token}/decline`, {
        reason: 'Wrong price',
      });
      assert.equal(declined.status, 200, JSON.stringify(declined.body));
      assert.equal(
        (await api.get<{ status: string }>(`/api/v1/envelopes/${envelopeId}`)).body.status,
        'declined',
      );
    });

    it('believes X-Forwarded-For only from the configured proxy', async () => {
      const org = await createOrganization(signet.platform.db, {
        name: 'Proxy Ltd',
        adminEmail: 'owner@proxy.test',
        adminName: 'Olive',
      });
      const signInFrom = async (remoteAddress: string) => {
        const response = await signet.app.inject({
          method: 'POST',
          url: '/api/v1/auth/sign-in',
          payload: { email: org.adminEmail, password: org.adminPassword },
          headers: { 'x-forwarded-for': '203.0.113.66' },
          remoteAddress,
        });
        assert.equal(response.statusCode, 200, response.body);
        const token = (response.json() as { token: string }).token;
        const [session] = await signet.platform.db.query<{ ip: string }>(
          `select ip from staff_sessions where user_id = (select id from users where email = $1)
            order by created_at desc limit 1`,
          [org.adminEmail],
        );
        assert.ok(token);
        return session?.ip;
      };
      assert.equal(
        await signInFrom('198.51.100.9'),
        '198.51.100.9',
        'a client cannot choose its own address',
      );
      assert.equal(await signInFrom('127.0.0.1'), '203.0.113.66', 'the proxy says whom it forwards');
    });

    it('gives a key made without scopes envelope rights only, not organisation administration', async () => {
      const key = await createApiKey(signet.platform.db, { organizationId });
      assert.deepEqual(key.scopes, ['envelopes:read', 'envelopes:write']);
      const client = apiClient(signet.app, key.key);
      assert.equal((await client.get('/api/v1/envelopes')).status, 200);
      const policy = await client.put('/api/v1/organization/signature-policy', { padesLevel: 'B-B' });
      assert.deepEqual([policy.status, policy.body.code], [403, 'API_KEY_SCOPE_MISSING']);
    });

    it('forbids framing every HTML page, and sends no HSTS over plain HTTP', async () => {
      for (const url of ['/sign/not-a-token', '/auth/sso/complete']) {
        const page = await signet.app.inject({ method: 'GET', url });
        assert.match(String(page.headers['content-type']), /^text\/html/, url);
        assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/, url);
        assert.equal(page.headers['x-frame-options'], 'DENY', url);
        assert.equal(page.headers['strict-transport-security'], undefined, url);
      }
    });

    it('seals again, within a minute, an envelope whose sealing process died', async () => {
      const { token, envelopeId } = await invite('crash@defaults.test');
      const signer = apiClient(signet.app);
      await signer.post(`/api/v1/signing/${token}/consent`);
      await openEveryDocument(signer, token);
      const finished = await signer.post(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'typed', text: 'Sam Signer' },
      });
      assert.equal(finished.status, 200, JSON.stringify(finished.body));
      const sealedOnce = await eventually(async () => {
        const [row] = await signet.platform.db.query<{ seal_state: string; sealed_sha256: string | null }>(
          'select seal_state, sealed_sha256 from envelopes where id = $1',
          [envelopeId],
        );
        return row?.seal_state === 'done' ? row.sealed_sha256 : undefined;
      }, 'the first seal');
      // What a kill -9 in the middle of sealing leaves: running, a lease nobody renews, no result.
      await signet.platform.db.query(
        `update envelopes set seal_state = 'running', sealed_sha256 = null, sealed_at = null,
                seal_lease_until = now() - interval '1 second' where id = $1`,
        [envelopeId],
      );
      const resealed = await eventually(
        async () => {
          const [row] = await signet.platform.db.query<{ seal_state: string; sealed_sha256: string | null }>(
            'select seal_state, sealed_sha256 from envelopes where id = $1',
            [envelopeId],
          );
          return row?.seal_state === 'done' ? row.sealed_sha256 : undefined;
        },
        'the seal to be taken up again',
        60_000,
      );
      assert.ok(resealed && sealedOnce);
    });
  });

  describe(`HSTS behind TLS on ${kind}`, () => {
    let signet: TestSignet;
    before(async () => {
      signet = await startTestSignet(kind, { PUBLIC_URL: 'https://sign.example.test' });
    });
    after(() => signet?.stop());

    it('tells browsers to keep to HTTPS when Signet is served over TLS', async () => {
      for (const url of ['/healthz', '/sign/not-a-token']) {
        const response = await signet.app.inject({ method: 'GET', url });
        assert.equal(response.headers['strict-transport-security'], 'max-age=31536000', url);
      }
    });
  });
}
