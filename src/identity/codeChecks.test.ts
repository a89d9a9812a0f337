import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  type ApiClient,
  apiClient,
  envelopeJson,
  latestTokenFor,
  openEveryDocument,
} from '../../test/support/apiClient.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import { makeSignaturePng } from '../../test/support/png.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../../test/support/signetHarness.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../../test/support/smtpReceiver.ts';
import { createSmsTransport } from '../notify/smsTransport.ts';
import { ACCESS_CODE_MAX_FAILURES, ONE_TIME_CODE_MAX_ATTEMPTS } from './policy.ts';

/*
 * The code-based identity checks through the real signer API (SPEC §E): an access code the
 * sender hands over out of band, and one-time codes by mail (through a real SMTP server) and by
 * text message (the outbox, and a Twilio-compatible HTTP endpoint).
 */

const ACCESS_CODE = '4711-KX';

for (const kind of databaseKinds()) {
  describe(`identity codes on ${kind}`, () => {
    let signet: TestSignet;
    let smtp: SmtpReceiver;
    let api: ApiClient;
    const signer = () => apiClient(signet.app);

    before(async () => {
      smtp = await startSmtpReceiver();
      signet = await startTestSignet(kind, { SMTP_URL: smtp.url });
      api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
    });
    after(async () => {
      await signet?.stop();
      await smtp?.close();
    });

    /** Sends a one-signer envelope whose recipient must pass `identity`; returns their link token. */
    async function envelopeFor(
      email: string,
      identity: unknown[],
    ): Promise<{ token: string; envelopeId: string }> {
      const created = await api.post<{ id: string; recipients: { id: string }[] }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf(), {
          recipients: [{ name: 'Sam Signer', email, role: 'signer', identity }],
          fields: [{ recipient: email, type: 'signature', page: 1, x: 50, y: 600, width: 150, height: 40 }],
        }),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const mail = await smtp.waitFor((m) => m.to.includes(email), `invitation to ${email}`);
      const token = /\/sign\/([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1];
      assert.ok(token);
      return { token, envelopeId: created.body.id };
    }

    async function auditOf(envelopeId: string) {
      return (
        await api.get<{ events: { type: string; data: Record<string, unknown> }[] }>(
          `/api/v1/envelopes/${envelopeId}/audit`,
        )
      ).body.events;
    }

    async function finish(token: string) {
      assert.equal((await signer().post(`/api/v1/signing/${token}/consent`)).status, 200);
      await openEveryDocument(signer(), token);
      const done = await signer().post(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'drawn', png: makeSignaturePng().toString('base64') },
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
    }

    it('keeps the documents behind an access code, counts a wrong one, and opens on the right one', async () => {
      const { token, envelopeId } = await envelopeFor('code@client.test', [
        { kind: 'email' },
        { kind: 'accessCode', code: ACCESS_CODE },
      ]);
      const session = await signer().get<{
        identity: { kind: string; status: string }[];
        identityVerified: boolean;
        documents: { id: string }[];
        actions: { canSign: boolean };
      }>(`/api/v1/signing/${token}`);
      assert.deepEqual(
        session.body.identity.map((c) => [c.kind, c.status]),
        [
          ['email', 'passed'],
          ['accessCode', 'pending'],
        ],
      );
      assert.equal(session.body.identityVerified, false);
      assert.deepEqual(session.body.documents, [], 'no document list before the code');
      assert.equal(session.body.actions.canSign, false);

      const envelope = await api.get<{ documents: { id: string }[] }>(`/api/v1/envelopes/${envelopeId}`);
      const documentId = envelope.body.documents[0]?.id;
      for (const [method, url] of [
        ['GET', `/api/v1/signing/${token}/documents/${documentId}`],
        ['POST', `/api/v1/signing/${token}/consent`],
        ['POST', `/api/v1/signing/${token}/finish`],
      ] as const) {
        // A well-formed request (a malformed one is a 400 before anything else is looked at).
        const body = url.endsWith('/finish') ? { signature: { kind: 'typed', text: 'Sam' } } : {};
        const refused = method === 'GET' ? await signer().get(url) : await signer().post(url, body);
        assert.equal(refused.status, 403, url);
        assert.equal(refused.body.code, 'IDENTITY_REQUIRED');
      }

      const wrong = await signer().post(`/api/v1/signing/${token}/identity/access-code`, { code: '0000' });
      assert.equal(wrong.status, 422);
      assert.equal(wrong.body.code, 'ACCESS_CODE_WRONG');
      // Typed the way people type: spaces instead of the dash, lower case does not matter for digits.
      const right = await signer().post(`/api/v1/signing/${token}/identity/access-code`, {
        code: ' 4711 KX ',
      });
      assert.equal(right.status, 200, JSON.stringify(right.body));

      const opened = await signer().get<{ identityVerified: boolean; documents: unknown[] }>(
        `/api/v1/signing/${token}`,
      );
      assert.equal(opened.body.identityVerified, true);
      assert.equal(opened.body.documents.length, 1);
      await finish(token);

      const events = await auditOf(envelopeId);
      const identityEvents = events.filter((e) => e.type.startsWith('identity.')).map((e) => e.type);
      assert.deepEqual(identityEvents, ['identity.passed', 'identity.failed', 'identity.passed']);
      const signed = events.find((e) => e.type === 'recipient.signed');
      assert.ok(signed, 'the signed event is in the audit trail');
      assert.deepEqual(
        (signed.data.identity as { kind: string; status: string }[]).map((c) => [c.kind, c.status]),
        [
          ['email', 'passed'],
          ['accessCode', 'passed'],
        ],
      );
      // Looked for as the code is written, typed and normalised (secrets.ts drops dashes and
      // spaces). The digits alone are not searched: "4711" turns up by chance in the hex of
      // hashes and ids (it failed CI once).
      const everything = (JSON.stringify(events) + JSON.stringify(envelope.body)).toUpperCase();
      for (const form of [ACCESS_CODE, ACCESS_CODE.replace('-', ' '), ACCESS_CODE.replace('-', '')]) {
        assert.ok(
          !everything.includes(form),
          `the access code (${form}) is in no audit event and no API answer`,
        );
      }
    });

    it(`locks the access code after ${ACCESS_CODE_MAX_FAILURES} wrong tries until the sender unlocks it`, async () => {
      const { token, envelopeId } = await envelopeFor('locked@client.test', [
        { kind: 'accessCode', code: ACCESS_CODE },
      ]);
      const statuses: number[] = [];
      for (let i = 0; i < ACCESS_CODE_MAX_FAILURES; i++) {
        statuses.push(
          (await signer().post(`/api/v1/signing/${token}/identity/access-code`, { code: `bad${i}` })).status,
        );
      }
      assert.deepEqual(statuses, [422, 422, 422, 422, 423]);
      const blocked = await signer().post(`/api/v1/signing/${token}/identity/access-code`, {
        code: ACCESS_CODE,
      });
      assert.equal(blocked.status, 423, 'even the right code, once locked');
      assert.equal(blocked.body.code, 'IDENTITY_LOCKED');

      const envelope = await api.get<{ recipients: { id: string }[] }>(`/api/v1/envelopes/${envelopeId}`);
      const recipientId = envelope.body.recipients[0]?.id;
      const other = apiClient(signet.app, (await createTestOrganization(signet, 'Other Ltd')).apiKey);
      const foreign = await other.post(
        `/api/v1/envelopes/${envelopeId}/recipients/${recipientId}/identity/unlock`,
      );
      assert.equal(foreign.status, 404, 'another organisation cannot unlock it');
      const unlocked = await api.post<{ unlocked: string[] }>(
        `/api/v1/envelopes/${envelopeId}/recipients/${recipientId}/identity/unlock`,
      );
      assert.deepEqual(unlocked.body.unlocked, ['accessCode']);
      assert.equal(
        (await signer().post(`/api/v1/signing/${token}/identity/access-code`, { code: ACCESS_CODE })).status,
        200,
      );
      const types = (await auditOf(envelopeId)).map((e) => e.type);
      assert.ok(types.includes('identity.locked') && types.includes('identity.unlocked'));
    });

    it('sends a six-digit one-time code by mail, refuses a quick resend, a wrong code and an expired one', async () => {
      const email = 'otp@client.test';
      const { token, envelopeId } = await envelopeFor(email, [{ kind: 'otp', channel: 'email' }]);
      const sent = await signer().post(`/api/v1/signing/${token}/identity/otp/send`);
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      assert.equal(sent.body.expiresInSeconds, 600);
      const mail = await smtp.waitFor(
        (m) => m.to.includes(email) && /one-time code/.test(m.text),
        'the code mail',
      );
      const code = /one-time code is (\d+)/.exec(mail.text)?.[1];
      assert.ok(code && /^\d{6}$/.test(code), mail.text);
      assert.ok(!mail.subject.includes(code), 'not in the subject (lock screens show it)');

      const again = await signer().post(`/api/v1/signing/${token}/identity/otp/send`);
      assert.equal(again.status, 429);
      assert.equal(again.body.code, 'OTP_RESEND_TOO_SOON');

      const wrongCode = code === '000000' ? '111111' : '000000';
      const wrong = await signer().post(`/api/v1/signing/${token}/identity/otp/verify`, { code: wrongCode });
      assert.equal(wrong.status, 422);
      assert.equal(wrong.body.code, 'OTP_WRONG');

      // Ten minutes later (the clock is the database's row, moved back rather than waited for).
      await signet.platform.db.query(
        `update identity_checks set secret_expires_at = now() - interval '1 second' where kind = 'otp'
           and recipient_id = (select id from recipients where email = $1)`,
        [email],
      );
      const expired = await signer().post(`/api/v1/signing/${token}/identity/otp/verify`, { code });
      assert.equal(expired.status, 422);
      assert.equal(expired.body.code, 'OTP_EXPIRED');

      await signet.platform.db.query(
        `update identity_checks set last_sent_at = now() - interval '1 minute' where kind = 'otp'
           and recipient_id = (select id from recipients where email = $1)`,
        [email],
      );
      assert.equal((await signer().post(`/api/v1/signing/${token}/identity/otp/send`)).status, 202);
      const second = await smtp.waitFor(
        (m) => m.to.includes(email) && /one-time code/.test(m.text) && m !== mail,
        'the second code mail',
      );
      const newCode = /one-time code is (\d+)/.exec(second.text)?.[1];
      assert.ok(newCode);
      if (newCode !== code) {
        const old = await signer().post(`/api/v1/signing/${token}/identity/otp/verify`, { code });
        assert.equal(old.body.code, 'OTP_WRONG', 'a new code replaces the old one');
      }
      assert.equal(
        (await signer().post(`/api/v1/signing/${token}/identity/otp/verify`, { code: newCode })).status,
        200,
      );
      await finish(token);
      const events = JSON.stringify(await auditOf(envelopeId));
      // As a whole token: six digits in a row also turn up by chance inside hashes and ids.
      const standsAlone = (digits: string) =>
        new RegExp(`(?<![0-9a-zA-Z])${digits}(?![0-9a-zA-Z])`).test(events);
      assert.ok(!standsAlone(newCode) && !standsAlone(code), 'codes are never audited');
      const [row] = await signet.platform.db.query<{ sealed_body: string | null }>(
        `select sealed_body from mail_messages where kind = 'one-time-code' and to_address = $1 and state = 'sent' limit 1`,
        [email],
      );
      assert.equal(row?.sealed_body, null, 'the relay has the code; we keep no copy');
    });

    it(`voids a one-time code after ${ONE_TIME_CODE_MAX_ATTEMPTS} wrong entries`, async () => {
      const email = 'guess@client.test';
      const { token } = await envelopeFor(email, [{ kind: 'otp', channel: 'email' }]);
      await signer().post(`/api/v1/signing/${token}/identity/otp/send`);
      const mail = await smtp.waitFor((m) => m.to.includes(email) && /one-time code/.test(m.text), 'code');
      const code = /one-time code is (\d+)/.exec(mail.text)?.[1];
      assert.ok(code);
      const wrongCode = code === '123456' ? '654321' : '123456';
      for (let i = 0; i < ONE_TIME_CODE_MAX_ATTEMPTS; i++) {
        await signer().post(`/api/v1/signing/${token}/identity/otp/verify`, { code: wrongCode });
      }
      const late = await signer().post(`/api/v1/signing/${token}/identity/otp/verify`, { code });
      assert.equal(late.body.code, 'OTP_ATTEMPTS_EXHAUSTED', 'the right code no longer works');
    });

    it('sends the code by text message through the SMS outbox and never shows the full number', async () => {
      const { token } = await envelopeFor('sms@client.test', [
        { kind: 'otp', channel: 'sms', phone: '+447700900123' },
      ]);
      const session = await signer().get<{ identity: { sentTo?: string }[] }>(`/api/v1/signing/${token}`);
      assert.equal(session.body.identity[0]?.sentTo, '+44••••••••23');
      assert.equal((await signer().post(`/api/v1/signing/${token}/identity/otp/send`)).status, 202);
      const sms = await eventually(async () => {
        const outbox = await api.get<{ messages: { to: string; body: string; state: string }[] }>(
          '/api/v1/outbox/sms',
        );
        return outbox.body.messages.find((m) => m.to === '+447700900123' && m.state === 'sent');
      }, 'the text message');
      const code = /^(\d{6}) is your Signet code/.exec(sms.body)?.[1];
      assert.ok(code, sms.body);
      assert.equal(
        (await signer().post(`/api/v1/signing/${token}/identity/otp/verify`, { code })).status,
        200,
      );
    });

    it('refuses methods it cannot carry out when the envelope is created, and nothing is stored', async () => {
      const pdf = await makePdf();
      const cases: [unknown[], number, string][] = [
        [[{ kind: 'oidc' }], 422, 'OIDC_NOT_CONFIGURED'],
        [[{ kind: 'saml' }], 422, 'SAML_NOT_CONFIGURED'],
        [[{ kind: 'otp', channel: 'sms' }], 400, 'VALIDATION_FAILED'],
        [[{ kind: 'email' }, { kind: 'email' }], 400, 'VALIDATION_FAILED'],
        [[{ kind: 'accessCode', code: '12' }], 400, 'VALIDATION_FAILED'],
      ];
      for (const [identity, status, code] of cases) {
        const created = await api.post(
          '/api/v1/envelopes',
          envelopeJson(pdf, {
            recipients: [{ name: 'Sam Signer', email: 'sam@client.test', role: 'signer', identity }],
          }),
        );
        assert.equal(created.status, status, JSON.stringify(identity));
        assert.equal(created.body.code, code, JSON.stringify(created.body));
      }
    });
  });
}

describe('text messages through a Twilio-compatible API', () => {
  let twilio: Server;
  let signet: TestSignet;
  const received: { path: string; authorization: string; form: URLSearchParams }[] = [];

  before(async () => {
    // Twilio itself is out of reach from here; this endpoint answers as its Messages API does
    // (form-encoded POST, basic auth with the account SID, 201 with a sid).
    twilio = createServer(async (request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      received.push({
        path: request.url ?? '',
        authorization: String(request.headers.authorization ?? ''),
        form,
      });
      if (form.get('To') === '+1000') {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            code: 21211,
            message: "The 'To' number +1000 is not a valid phone number.",
            status: 400,
          }),
        );
        return;
      }
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' }));
    });
    await new Promise<void>((resolve) => twilio.listen(0, '127.0.0.1', resolve));
    const address = twilio.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    signet = await startTestSignet('pglite', {
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC0123456789',
      TWILIO_AUTH_TOKEN: 'twilio-secret',
      TWILIO_FROM: '+15005550006',
      TWILIO_API_URL: `http://127.0.0.1:${port}`,
    });
  });
  after(async () => {
    await signet?.stop();
    twilio?.close();
  });

  it('posts To, From and Body with basic auth to the account’s Messages resource, and keeps no copy', async () => {
    const api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
    const created = await api.post(
      '/api/v1/envelopes?send=true',
      envelopeJson(await makePdf(), {
        recipients: [
          {
            name: 'Sam Signer',
            email: 'sam@client.test',
            identity: [{ kind: 'otp', channel: 'sms', phone: '+447700900123' }],
          },
        ],
      }),
    );
    assert.equal(created.status, 201);
    const token = await latestTokenFor(api, 'sam@client.test');
    assert.equal(
      (await apiClient(signet.app).post(`/api/v1/signing/${token}/identity/otp/send`)).status,
      202,
    );
    const request = await eventually(async () => received[0], 'the Twilio request');
    assert.equal(request.path, '/2010-04-01/Accounts/AC0123456789/Messages.json');
    assert.equal(
      request.authorization,
      `Basic ${Buffer.from('AC0123456789:twilio-secret').toString('base64')}`,
    );
    assert.equal(request.form.get('To'), '+447700900123');
    assert.equal(request.form.get('From'), '+15005550006');
    assert.match(request.form.get('Body') ?? '', /^\d{6} is your Signet code/);
    const row = await eventually(async () => {
      const [sms] = await signet.platform.db.query<{
        state: string;
        provider_id: string;
        sealed_body: string | null;
      }>('select state, provider_id, sealed_body from sms_messages');
      return sms?.state === 'sent' ? sms : undefined;
    }, 'the sent row');
    assert.equal(row.provider_id, 'SM0123456789abcdef0123456789abcdef');
    assert.equal(row.sealed_body, null, 'the code is not kept once the provider has it');
  });

  it('reports a refusal by status and Twilio error code, without the message that repeats the number', async () => {
    const transport = createSmsTransport(signet.platform.config.twilio);
    await assert.rejects(
      transport.send({ id: 'x', to: '+1000', body: '123456 is your code' }),
      (error: Error) => {
        assert.equal(error.message, 'Twilio answered 400 (Twilio error 21211)');
        return true;
      },
    );
  });
});
