import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/db/database.ts';
import { listMigrations, migrate } from '../../src/db/migrate.ts';
import { eraseExpiredMailBodies } from '../../src/notify/outbox.ts';
import { eraseExpiredSmsBodies } from '../../src/notify/sms.ts';
import { type ApiClient, apiClient, envelopeJson, latestTokenFor, outboxMail } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createPostgresDatabase,
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../support/smtpReceiver.ts';

/*
 * Security issue "Secrets at rest": a signing link's token, the link itself and a one-time code
 * are never readable in clear in the database — not while the message waits for delivery, not
 * after. Bodies are stored sealed under the master key; once a real transport (an SMTP relay,
 * Twilio) has a message its body is erased; in the local outbox (the mailbox of the zero-set-up
 * install) a one-time code's message keeps its body only while the code can still be used.
 */

const OLIVE = 'olive@client.test';
const TOM = 'tom@client.test';
const TOM_PHONE = '+447700900123';

interface StoredRow {
  table: string;
  row: Record<string, unknown>;
}

/** Every stored mail and text message, every column, as the database holds them. */
async function storedMessages(signet: TestSignet): Promise<StoredRow[]> {
  const mail = await signet.platform.db.query<Record<string, unknown>>('select * from mail_messages');
  const sms = await signet.platform.db.query<Record<string, unknown>>('select * from sms_messages');
  return [
    ...mail.map((row) => ({ table: 'mail_messages', row })),
    ...sms.map((row) => ({ table: 'sms_messages', row })),
  ];
}

interface Secrets {
  tokens: string[];
  codes: string[];
}

/**
 * Whether any row holds a token, a signing link or a code in clear. A code is looked for as a
 * whole token: six digits in a row also turn up by chance inside ids and sealed base64.
 */
function assertNothingInClear(rows: StoredRow[], secrets: Secrets, when: string) {
  const text = JSON.stringify(rows);
  assert.ok(!text.includes('/sign/'), `a signing link is stored in clear ${when}`);
  for (const token of secrets.tokens) {
    assert.ok(!text.includes(token), `a signing token is stored in clear ${when}`);
  }
  for (const code of secrets.codes) {
    const standsAlone = new RegExp(`(?<![0-9A-Za-z.+/])${code}(?![0-9A-Za-z.+/])`);
    assert.ok(!standsAlone.test(text), `a one-time code is stored in clear ${when}`);
  }
}

/** The columns that hold (or held) a message's body and still have one. */
const bodiesOf = (row: Record<string, unknown>) =>
  Object.entries(row).filter(([column, value]) => column.includes('body') && typeof value === 'string');

/** One envelope, two signers in parallel: Olive proves her mailbox with a code, Tom his phone. */
async function sendEnvelope(api: ApiClient) {
  const created = await api.post<{ id: string }>(
    '/api/v1/envelopes?send=true',
    envelopeJson(await makePdf(), {
      recipients: [
        { name: 'Olive', email: OLIVE, identity: [{ kind: 'otp', channel: 'email' }] },
        { name: 'Tom', email: TOM, identity: [{ kind: 'otp', channel: 'sms', phone: TOM_PHONE }] },
      ],
      fields: [
        { recipient: OLIVE, type: 'signature', page: 1, x: 50, y: 500, width: 150, height: 40 },
        { recipient: TOM, type: 'signature', page: 1, x: 50, y: 600, width: 150, height: 40 },
      ],
    }),
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id;
}

async function askForCode(signet: TestSignet, token: string) {
  const sent = await apiClient(signet.app).post(`/api/v1/signing/${token}/identity/otp/send`);
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
}

async function allDelivered(signet: TestSignet, expected: number) {
  await eventually(async () => {
    const rows = await storedMessages(signet);
    return rows.length >= expected && rows.every(({ row }) => row.state === 'sent') ? true : undefined;
  }, 'every message delivered');
}

for (const kind of databaseKinds()) {
  describe(`secrets at rest in the local outbox, on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    const secrets: Secrets = { tokens: [], codes: [] };
    let oliveToken = '';
    let oliveCode = '';

    before(async () => {
      signet = await startTestSignet(kind);
      api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
      await sendEnvelope(api);
      oliveToken = await latestTokenFor(api, OLIVE);
      const tomToken = await latestTokenFor(api, TOM);
      await askForCode(signet, oliveToken);
      await askForCode(signet, tomToken);
      const codeMail = await eventually(
        async () => (await outboxMail(api)).find((m) => m.to === OLIVE && m.kind === 'one-time-code'),
        'the code mail',
      );
      oliveCode = /one-time code is (\d{6})/.exec(codeMail.text ?? '')?.[1] ?? '';
      const sms = await api.get<{ messages: { to: string; body: string | null }[] }>('/api/v1/outbox/sms');
      const tomCode = /^(\d{6}) is your Signet code/.exec(sms.body.messages[0]?.body ?? '')?.[1] ?? '';
      assert.ok(oliveCode && tomCode, 'the admin reads both codes in the outbox');
      secrets.tokens.push(oliveToken, tomToken);
      secrets.codes.push(oliveCode, tomCode);
    });
    after(() => signet?.stop());

    it('stores invitation links and one-time codes only sealed, though the admin can read them', async () => {
      await allDelivered(signet, 4);
      const rows = await storedMessages(signet);
      assert.equal(rows.length, 4, 'two invitations, a code mail and a text message');
      assertNothingInClear(rows, secrets, 'in the local outbox');
      for (const { table, row } of rows) {
        assert.equal(bodiesOf(row).length, 1, `${table}: one sealed body, kept for the outbox`);
      }
    });

    it('erases a code’s message once the code has been used', async () => {
      const verified = await apiClient(signet.app).post(`/api/v1/signing/${oliveToken}/identity/otp/verify`, {
        code: oliveCode,
      });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      const [row] = await signet.platform.db.query<Record<string, unknown>>(
        `select * from mail_messages where kind = 'one-time-code' and to_address = $1`,
        [OLIVE],
      );
      assert.ok(row);
      assert.deepEqual(bodiesOf(row), [], 'no body left');
      assert.equal(row.subject, 'Your code to sign "Service agreement"', 'the rest stays for the record');
      const shown = (await outboxMail(api)).find((m) => m.to === OLIVE && m.kind === 'one-time-code');
      assert.equal(shown?.text, null);
      const invitation = (await outboxMail(api)).find((m) => m.to === OLIVE && m.kind === 'invitation');
      assert.match(invitation?.text ?? '', /\/sign\//, 'the invitation stays in the mailbox');
    });

    it('erases a code’s message once the code has expired: hidden at once, erased by the sweep', async () => {
      // Ten minutes later (the row's clock is moved back rather than waited for).
      await signet.platform.db.query(
        `update sms_messages set body_expires_at = now() - interval '1 second' where to_number = $1`,
        [TOM_PHONE],
      );
      const shown = await api.get<{ messages: { body: string | null }[] }>('/api/v1/outbox/sms');
      assert.equal(shown.body.messages[0]?.body, null, 'an expired code is not shown');
      await eraseExpiredSmsBodies(signet.platform.db);
      await eraseExpiredMailBodies(signet.platform.db);
      const [row] = await signet.platform.db.query<Record<string, unknown>>('select * from sms_messages');
      assert.ok(row);
      assert.deepEqual(bodiesOf(row), [], 'the sweep erased it');
      assert.equal(row.to_number, TOM_PHONE);
    });
  });

  describe(`secrets at rest with a real SMTP relay and SMS provider, on ${kind}`, () => {
    let signet: TestSignet;
    let smtp: SmtpReceiver;
    let twilio: Server;
    /** What the database held while each message was on its way (the transport waiting to answer). */
    const inFlight: { messageId: string; rows: StoredRow[] }[] = [];
    const texts: string[] = [];

    before(async () => {
      smtp = await startSmtpReceiver({
        async beforeAccepting(mail) {
          const messageId = /^<?([0-9a-f-]{36})@/.exec(mail.messageId)?.[1] ?? '';
          inFlight.push({ messageId, rows: await storedMessages(signet) });
        },
      });
      // Twilio is out of reach from here; this endpoint answers as its Messages API does.
      twilio = createServer(async (request, response) => {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        texts.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('Body') ?? '');
        const messageId = String(request.headers['x-signet-message-id'] ?? '');
        inFlight.push({ messageId, rows: await storedMessages(signet) });
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' }));
      });
      await new Promise<void>((resolve) => twilio.listen(0, '127.0.0.1', resolve));
      const address = twilio.address();
      signet = await startTestSignet(kind, {
        SMTP_URL: smtp.url,
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'AC0123456789',
        TWILIO_AUTH_TOKEN: 'twilio-secret',
        TWILIO_FROM: '+15005550006',
        TWILIO_API_URL: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
      });
    });
    after(async () => {
      await signet?.stop();
      await smtp?.close();
      twilio?.close();
    });

    it('never holds a link or a code in clear, while queued or once delivered, and keeps no body after', async () => {
      const api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
      await sendEnvelope(api);
      const tokenIn = async (email: string) => {
        const mail = await smtp.waitFor((m) => m.to.includes(email) && /\/sign\//.test(m.text), email);
        return /\/sign\/([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1] ?? '';
      };
      const oliveToken = await tokenIn(OLIVE);
      const tomToken = await tokenIn(TOM);
      await askForCode(signet, oliveToken);
      await askForCode(signet, tomToken);
      const codeMail = await smtp.waitFor(
        (m) => m.to.includes(OLIVE) && /one-time code/.test(m.text),
        'code',
      );
      const oliveCode = /one-time code is (\d{6})/.exec(codeMail.text)?.[1] ?? '';
      const text = await eventually(async () => texts[0], 'the text message');
      const tomCode = /^(\d{6}) is your Signet code/.exec(text)?.[1] ?? '';
      assert.ok(oliveToken && tomToken && oliveCode && tomCode);
      const secrets = { tokens: [oliveToken, tomToken], codes: [oliveCode, tomCode] };

      await allDelivered(signet, 4);
      assert.equal(inFlight.length, 4, 'each message was looked at on its way');
      for (const { messageId, rows } of inFlight) {
        const own = rows.find(({ row }) => row.id === messageId);
        assert.equal(own?.row.state, 'queued', 'the message was still queued when looked at');
        assertNothingInClear(rows, secrets, 'while a message is queued');
      }
      const rows = await storedMessages(signet);
      assertNothingInClear(rows, secrets, 'after delivery');
      for (const { table, row } of rows) {
        assert.equal(row.state, 'sent');
        assert.deepEqual(bodiesOf(row), [], `${table}: the transport has it, no body is kept`);
      }
      const invitation = rows.find(({ row }) => row.to_address === OLIVE && row.kind === 'invitation');
      assert.match(String(invitation?.row.subject), /Please sign/, 'subject, recipient and kind stay');
      assert.match(String(invitation?.row.message_id), /@127\.0\.0\.1>$/);
    });
  });
}

for (const kind of databaseKinds()) {
  describe(`an installation whose earlier version stored message bodies in clear, on ${kind}`, () => {
    it('erases them on upgrade, and fails the mail still queued rather than send it empty', async () => {
      const postgres = kind === 'postgres' ? await createPostgresDatabase() : undefined;
      const db = await openDatabase(postgres ? { kind: 'postgres', url: postgres.url } : { kind: 'pglite' });
      try {
        const before010 = listMigrations().filter((m) => m.name < '010');
        await migrate(db, before010);
        const link = 'https://sign.example/sign/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
        for (const [id, state] of [
          ['00000000-0000-4000-8000-000000000001', 'sent'],
          ['00000000-0000-4000-8000-000000000002', 'queued'],
        ]) {
          await db.query(
            `insert into mail_messages (id, organization_id, kind, to_address, subject, text_body, html_body, state)
             values ($1, $2, 'invitation', 'ada@example.com', 'Please sign', $3, $3, $4)`,
            [id, '00000000-0000-4000-8000-00000000000a', `Review and sign: ${link}`, state],
          );
        }
        await db.query(
          `insert into sms_messages (id, organization_id, to_number, body, state)
           values ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-00000000000a',
                   '+447700900123', '424242 is your Signet code.', 'sent')`,
        );

        assert.equal((await migrate(db))[0], '010_sealed_message_bodies');
        const mail = await db.query<Record<string, unknown>>('select * from mail_messages order by id');
        const sms = await db.query<Record<string, unknown>>('select * from sms_messages');
        const text = JSON.stringify([mail, sms]);
        assert.ok(!text.includes('/sign/') && !text.includes('424242'), 'nothing of the bodies is left');
        assert.deepEqual(
          mail.map((row) => [row.state, row.subject]),
          [
            ['sent', 'Please sign'],
            ['failed', 'Please sign'],
          ],
        );
        assert.match(String(mail[1]?.last_error), /erased on upgrade/);
        assert.deepEqual([...mail, ...sms].flatMap(bodiesOf), []);
      } finally {
        await db.close();
        await postgres?.drop();
      }
    });
  });
}
