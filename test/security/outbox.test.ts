import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/orgs/apiKeys.ts';
import { hashPassword } from '../../src/orgs/passwords.ts';
import { type ApiClient, apiClient, envelopeJson } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../support/smtpReceiver.ts';

/*
 * Security issue "The default install publishes every tenant's signing links and one-time
 * codes": the local outbox (no SMTP_URL, no SMS provider) holds every invitation link and
 * every one-time code, so it is shown only to an organisation's admin, only that
 * organisation's messages, through the authenticated API — never on a public route.
 */

interface MailView {
  envelopeId: string | null;
  to: string;
  kind: string;
  subject: string;
  state: string;
  text: string | null;
  html: string | null;
}
interface SmsView {
  to: string;
  state: string;
  body: string | null;
}

const SENDER_PASSWORD = 'correct horse battery staple';

for (const kind of databaseKinds()) {
  describe(`the outbox on ${kind}`, () => {
    let signet: TestSignet;
    let alice: { organizationId: string; api: ApiClient };
    let bob: { organizationId: string; api: ApiClient };
    const anyone = () => apiClient(signet.app);

    /** Sends an envelope to `email` whose signer must pass an SMS code, and has the code sent. */
    async function inviteWithSmsCode(api: ApiClient, email: string, phone: string): Promise<string> {
      const created = await api.post<{ id: string }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf(), {
          recipients: [
            { name: 'Sam Signer', email, role: 'signer', identity: [{ kind: 'otp', channel: 'sms', phone }] },
          ],
          fields: [{ recipient: email, type: 'signature', page: 1, x: 50, y: 600, width: 150, height: 40 }],
        }),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const mail = await eventually(async () => {
        const outbox = await api.get<{ messages: MailView[] }>('/api/v1/outbox/mail?limit=500');
        return outbox.body.messages?.find((m) => m.to === email && m.kind === 'invitation');
      }, `the invitation to ${email}`);
      const token = /\/sign\/([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')?.[1];
      assert.ok(token, 'the admin reads the signing link in the local outbox');
      assert.equal((await anyone().post(`/api/v1/signing/${token}/identity/otp/send`)).status, 202);
      await eventually(async () => {
        const outbox = await api.get<{ messages: SmsView[] }>('/api/v1/outbox/sms?limit=500');
        return outbox.body.messages?.find((m) => m.to === phone && m.state === 'sent');
      }, `the text message to ${phone}`);
      return created.body.id;
    }
    let aliceEnvelopeId: string;

    before(async () => {
      signet = await startTestSignet(kind);
      const a = await createTestOrganization(signet, 'Alice Corp');
      const b = await createTestOrganization(signet, 'Bob Ltd');
      alice = { organizationId: a.organizationId, api: apiClient(signet.app, a.apiKey) };
      bob = { organizationId: b.organizationId, api: apiClient(signet.app, b.apiKey) };
      aliceEnvelopeId = await inviteWithSmsCode(alice.api, 'ada@alice.test', '+447700900111');
      await inviteWithSmsCode(bob.api, 'bert@bob.test', '+447700900222');
    });
    after(() => signet?.stop());

    it('no longer answers on the public development routes, with or without a key', async () => {
      for (const url of ['/dev/outbox', '/dev/outbox?limit=500', '/dev/sms-outbox']) {
        assert.equal((await anyone().get(url)).status, 404, url);
        assert.equal((await alice.api.get(url)).status, 404, url);
      }
      // Nor over the network, as a stranger would ask.
      assert.equal((await fetch(`${signet.url}/dev/outbox`)).status, 404);
    });

    it('asks for a key or session: 401 without one, or with one that is not valid', async () => {
      for (const url of ['/api/v1/outbox/mail', '/api/v1/outbox/sms']) {
        const none = await anyone().get(url);
        assert.equal(none.status, 401, url);
        assert.equal(none.body.code, 'UNAUTHENTICATED');
        const forged = await apiClient(signet.app, 'sgk_not-a-real-key').get(url);
        assert.equal(forged.status, 401, url);
        assert.ok(!JSON.stringify(none.body).includes('/sign/'), 'nothing of the outbox in a refusal');
      }
    });

    it('refuses 403 to a sender-scoped API key and to a sender’s session', async () => {
      const senderKey = await createApiKey(signet.platform.db, {
        organizationId: alice.organizationId,
        name: 'integration',
        scopes: ['envelopes:read', 'envelopes:write'],
      });
      await signet.platform.db.query(
        `insert into users (id, organization_id, email, name, role, password_hash)
         values ($1, $2, 'sid@alice.test', 'Sid Sender', 'sender', $3)`,
        [randomUUID(), alice.organizationId, await hashPassword(SENDER_PASSWORD)],
      );
      const signedIn = await anyone().post<{ token?: string }>('/api/v1/auth/sign-in', {
        email: 'sid@alice.test',
        password: SENDER_PASSWORD,
      });
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      assert.match(signedIn.body.token ?? '', /^sgs_/);

      for (const credential of [senderKey.key, signedIn.body.token ?? '']) {
        const client = apiClient(signet.app, credential);
        assert.equal((await client.get('/api/v1/envelopes')).status, 200, 'the credential itself works');
        for (const url of ['/api/v1/outbox/mail', '/api/v1/outbox/sms']) {
          const refused = await client.get(url);
          assert.equal(refused.status, 403, url);
          assert.equal(refused.body.code, 'API_KEY_SCOPE_MISSING');
        }
      }
    });

    it('shows an admin only their own organisation’s mail', async () => {
      const ofAlice = await alice.api.get<{ transport: string; messages: MailView[] }>(
        '/api/v1/outbox/mail?limit=500',
      );
      assert.equal(ofAlice.status, 200);
      assert.equal(ofAlice.body.transport, 'outbox');
      const recipients = new Set(ofAlice.body.messages.map((m) => m.to));
      assert.ok(recipients.has('ada@alice.test'));
      assert.ok(!recipients.has('bert@bob.test'), 'Bob Ltd’s invitation is not in Alice Corp’s outbox');
      assert.ok(!JSON.stringify(ofAlice.body).includes('bob.test'));

      const ofBob = await bob.api.get<{ messages: MailView[] }>('/api/v1/outbox/mail?limit=500');
      assert.deepEqual(
        [...new Set(ofBob.body.messages.map((m) => m.to))],
        ['bert@bob.test'],
        'and the other way round',
      );
    });

    it('names the envelope each mail is about, so a reader can pick one envelope’s invitation', async () => {
      const second = await alice.api.post<{ id: string }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf(), {
          recipients: [{ name: 'Ada', email: 'ada@alice.test', role: 'signer' }],
          fields: [
            {
              recipient: 'ada@alice.test',
              type: 'signature',
              page: 1,
              x: 50,
              y: 600,
              width: 150,
              height: 40,
            },
          ],
        }),
      );
      assert.equal(second.status, 201, JSON.stringify(second.body));
      const { messages } = (await alice.api.get<{ messages: MailView[] }>('/api/v1/outbox/mail?limit=500'))
        .body;
      const invitations = messages.filter((m) => m.to === 'ada@alice.test' && m.kind === 'invitation');
      assert.deepEqual(
        invitations.map((m) => m.envelopeId).sort(),
        [aliceEnvelopeId, second.body.id].sort(),
        'one invitation per envelope, each naming its own',
      );
    });

    it('shows an admin only their own organisation’s text messages, codes included', async () => {
      const ofAlice = await alice.api.get<{ transport: string; messages: SmsView[] }>(
        '/api/v1/outbox/sms?limit=500',
      );
      assert.equal(ofAlice.status, 200);
      assert.equal(ofAlice.body.transport, 'outbox');
      assert.deepEqual(
        ofAlice.body.messages.map((m) => m.to),
        ['+447700900111'],
      );
      assert.match(ofAlice.body.messages[0]?.body ?? '', /^\d{6} is your Signet code/);
      const ofBob = await bob.api.get<{ messages: SmsView[] }>('/api/v1/outbox/sms');
      assert.deepEqual(
        ofBob.body.messages.map((m) => m.to),
        ['+447700900222'],
      );
    });

    it('checks its limit', async () => {
      assert.equal((await alice.api.get('/api/v1/outbox/mail?limit=0')).status, 400);
      assert.equal((await alice.api.get('/api/v1/outbox/sms?limit=501')).status, 400);
      const one = await alice.api.get<{ messages: MailView[] }>('/api/v1/outbox/mail?limit=1');
      assert.equal(one.body.messages.length, 1);
    });
  });

  describe(`the outbox with a real SMTP relay, on ${kind}`, () => {
    let smtp: SmtpReceiver;
    let signet: TestSignet;

    before(async () => {
      smtp = await startSmtpReceiver();
      signet = await startTestSignet(kind, { SMTP_URL: smtp.url });
    });
    after(async () => {
      await signet?.stop();
      await smtp?.close();
    });

    it('is the delivery log: says the transport is SMTP and shows no body', async () => {
      const admin = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
      const created = await admin.post('/api/v1/envelopes?send=true', envelopeJson(await makePdf()));
      assert.equal(created.status, 201);
      await smtp.waitFor((m) => m.to.includes('sam@client.test'), 'the invitation');
      const log = await eventually(async () => {
        const outbox = await admin.get<{ transport: string; messages: MailView[] }>('/api/v1/outbox/mail');
        return outbox.body.messages?.some((m) => m.state === 'sent') ? outbox.body : undefined;
      }, 'the sent invitation in the log');
      assert.equal(log.transport, 'smtp');
      const invitation = log.messages.find((m) => m.to === 'sam@client.test');
      assert.ok(invitation);
      assert.match(invitation.subject, /Please sign/);
      assert.equal(invitation.text, null);
      assert.equal(invitation.html, null);
      assert.ok(!JSON.stringify(log).includes('/sign/'));
    });
  });
}
