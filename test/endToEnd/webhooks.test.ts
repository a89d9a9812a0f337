import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { expireOverdueEnvelopes } from '../../src/envelopes/expiry.ts';
import { createOutboundClient, type ResolvedAddress } from '../../src/outbound/outboundHttp.ts';
import { deliverWebhook } from '../../src/webhooks/delivery.ts';
import { assertDeliverableUrl } from '../../src/webhooks/endpoints.ts';
import { deliveryLog, webhookPayload, webhookView } from '../../src/webhooks/schema.ts';
import { generateSecret } from '../../src/webhooks/signing.ts';
import {
  type ApiClient,
  apiClient,
  envelopeJson,
  latestTokenFor,
  openEveryDocument,
  outboxMail,
} from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
  webhookHeaders,
} from '../support/webhookReceiver.ts';

/*
 * Webhooks against a real receiver (a Node HTTP server on loopback), verified with the
 * Standard Webhooks specification's own library (npm standardwebhooks), never with Signet's
 * code. The instances that deliver here set WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true, as an
 * operator with a receiver beside Signet would; the SSRF suite at the end leaves it unset.
 */

interface Envelope {
  id: string;
  status: string;
  recipients: { id: string; email: string; status: string }[];
  seal: { state: string };
}

type Attempt = ReturnType<typeof deliveryLog.parse>['data'][number];

const sigField = (email: string, y = 600) => ({
  recipient: email,
  type: 'signature',
  page: 1,
  x: 50,
  y,
  width: 150,
  height: 40,
});

/** The body of a received request, verified under `secret` by the specification's library. */
function verified(request: ReceivedWebhook, secret: string) {
  return webhookPayload.parse(new Webhook(secret).verify(request.body, webhookHeaders(request)));
}

for (const kind of databaseKinds()) {
  describe(`webhooks end to end on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let ownerEmail: string;
    let receiver: WebhookReceiver;
    let pdf: Buffer;
    const signer = () => apiClient(signet.app);

    before(async () => {
      receiver = await startWebhookReceiver();
      signet = await startTestSignet(kind, { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
      const org = await createTestOrganization(signet);
      api = apiClient(signet.app, org.apiKey);
      ownerEmail = org.adminEmail;
      pdf = await makePdf();
    });
    after(async () => {
      await signet?.stop();
      await receiver?.close();
    });

    const createWebhook = async (path: string, extra: Record<string, unknown> = {}) => {
      const created = await api.post<{ id: string; secret: string }>('/api/v1/webhooks', {
        url: receiver.url(path),
        ...extra,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body;
    };
    const attemptsOf = async (webhookId: string): Promise<Attempt[]> =>
      deliveryLog.parse((await api.get(`/api/v1/webhooks/${webhookId}/deliveries?limit=500`)).body).data;
    const waitForRequests = (path: string, count: number, what = `${count} request(s) at ${path}`) =>
      eventually(async () => (receiver.to(path).length >= count ? receiver.to(path) : undefined), what);
    const waitForAttempts = (webhookId: string, count: number) =>
      eventually(async () => {
        const attempts = await attemptsOf(webhookId);
        return attempts.length >= count ? attempts : undefined;
      }, `${count} attempt(s) in the delivery log`);
    const sendTest = async (webhookId: string) => {
      const queued = await api.post<{ messageId: string; deliveryId: string }>(
        `/api/v1/webhooks/${webhookId}/test`,
      );
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      return queued.body;
    };
    const createEnvelope = async (recipients: { name: string; email: string }[]) => {
      const created = await api.post<Envelope>(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf, { recipients, fields: recipients.map((r, i) => sigField(r.email, 500 + 60 * i)) }),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body;
    };
    /** The verified messages at `path` about one envelope, with the envelope each one carries. */
    const eventsFor = (path: string, secret: string, envelopeId: string) =>
      receiver.to(path).flatMap((request) => {
        const payload = verified(request, secret);
        const envelope = 'id' in payload.data ? payload.data : undefined;
        return envelope?.id === envelopeId ? [{ request, payload, envelope }] : [];
      });

    it('announces every step of an envelope’s life, each verified by Webhook.verify, and only what each endpoint asked for', async () => {
      const all = await createWebhook('/life');
      const completedOnly = await createWebhook('/completed-only', { events: ['envelope.completed'] });
      const disabled = await createWebhook('/disabled');
      assert.equal((await api.patch(`/api/v1/webhooks/${disabled.id}`, { enabled: false })).status, 200);

      const envelope = await createEnvelope([{ name: 'Sam Signer', email: 'sam@client.test' }]);
      const token = await latestTokenFor(api, 'sam@client.test');
      // Two openings: one view (sent → delivered), announced once.
      assert.equal((await signer().get(`/api/v1/signing/${token}`)).status, 200);
      assert.equal((await signer().get(`/api/v1/signing/${token}`)).status, 200);
      assert.equal((await signer().post(`/api/v1/signing/${token}/consent`)).status, 200);
      await openEveryDocument(signer(), token);
      const finished = await signer().post(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'typed', text: 'Sam Signer' },
      });
      assert.equal(finished.status, 200, JSON.stringify(finished.body));

      const completed = await eventually(
        async () =>
          eventsFor('/life', all.secret, envelope.id).find((e) => e.payload.type === 'envelope.completed'),
        'envelope.completed',
      );
      const events = eventsFor('/life', all.secret, envelope.id);
      assert.deepEqual(events.map((e) => e.payload.type).sort(), [
        'envelope.completed',
        'envelope.created',
        'envelope.sent',
        'recipient.invited',
        'recipient.signed',
        'recipient.viewed',
      ]);
      const ids = events.map((e) => e.request.headers['webhook-id']);
      assert.equal(new Set(ids).size, ids.length, 'one message per event');
      for (const { request } of events) {
        assert.equal(request.headers['content-type'], 'application/json');
        assert.throws(
          () => new Webhook(completedOnly.secret).verify(request.body, webhookHeaders(request)),
          WebhookVerificationError,
        );
      }

      // `data` is the envelope as GET returns it, as the event left it.
      const byType = (type: string) => {
        const event = events.find((e) => e.payload.type === type)!;
        return { ...event.payload, data: event.envelope };
      };
      const recipientId = envelope.recipients[0]!.id;
      assert.equal(byType('envelope.created').data.status, 'draft');
      assert.equal(byType('envelope.sent').data.status, 'sent');
      for (const type of ['recipient.invited', 'recipient.viewed', 'recipient.signed']) {
        assert.equal(byType(type).recipientId, recipientId, type);
      }
      assert.equal(byType('envelope.sent').recipientId, undefined);
      const statusOf = (type: string) => byType(type).data.recipients[0]!.status;
      assert.equal(statusOf('recipient.invited'), 'sent');
      assert.equal(statusOf('recipient.viewed'), 'delivered');
      assert.equal(statusOf('recipient.signed'), 'completed');
      assert.equal(byType('recipient.signed').data.status, 'sent', 'before the routing moved on');
      const now = (await api.get<Envelope>(`/api/v1/envelopes/${envelope.id}`)).body;
      assert.equal(now.seal.state, 'done');
      // As sent, not as the schema reads it (which would drop a property GET does not have).
      const sent = JSON.parse(completed.request.body) as { data: unknown };
      assert.deepEqual(sent.data, now, 'envelope.completed comes once the sealed PDF exists');
      assert.equal((await api.get(`/api/v1/envelopes/${envelope.id}/download`)).status, 200);

      const onlyCompleted = await waitForRequests('/completed-only', 1);
      assert.deepEqual(
        onlyCompleted.map((request) => verified(request, completedOnly.secret).type),
        ['envelope.completed'],
      );
      assert.equal(receiver.to('/disabled').length, 0);
      const log = await attemptsOf(all.id);
      assert.ok(log.length >= 6);
      for (const attempt of log) {
        assert.equal(attempt.status, 'succeeded');
        assert.equal(attempt.responseStatus, 204);
        assert.equal(attempt.attempt, 1);
      }
      for (const webhook of [all, completedOnly, disabled])
        await api.delete(`/api/v1/webhooks/${webhook.id}`);
    });

    it('announces a void, a decline and an expiry', async () => {
      const ends = await createWebhook('/ends');
      const voided = await createEnvelope([{ name: 'V', email: 'v@client.test' }]);
      assert.equal(
        (await api.post(`/api/v1/envelopes/${voided.id}/void`, { reason: 'wrong file' })).status,
        200,
      );

      const declined = await createEnvelope([{ name: 'D', email: 'd@client.test' }]);
      const token = await latestTokenFor(api, 'd@client.test');
      assert.equal((await signer().post(`/api/v1/signing/${token}/decline`, { reason: 'No.' })).status, 200);

      const expired = await createEnvelope([{ name: 'E', email: 'e@client.test' }]);
      await signet.platform.db.query(
        `update envelopes set expires_at = now() - interval '1 minute' where id = $1`,
        [expired.id],
      );
      assert.deepEqual(await expireOverdueEnvelopes(signet.platform), [expired.id]);

      const typesOf = (envelopeId: string) =>
        eventsFor('/ends', ends.secret, envelopeId)
          .map((e) => e.payload.type)
          .filter(
            (type) => type !== 'envelope.created' && type !== 'envelope.sent' && type !== 'recipient.invited',
          )
          .sort();
      await eventually(
        async () =>
          typesOf(expired.id).length > 0 && typesOf(declined.id).length > 1 && typesOf(voided.id).length > 0
            ? true
            : undefined,
        'the ends',
      );
      assert.deepEqual(typesOf(voided.id), ['envelope.voided']);
      assert.deepEqual(typesOf(declined.id), ['envelope.declined', 'recipient.declined']);
      assert.deepEqual(typesOf(expired.id), ['envelope.expired']);
      const voidedEvent = eventsFor('/ends', ends.secret, voided.id).find(
        (e) => e.payload.type === 'envelope.voided',
      );
      assert.equal(voidedEvent?.envelope.voidReason, 'wrong file');
      await api.delete(`/api/v1/webhooks/${ends.id}`);
    });

    it('sends nothing for a change that rolled back', async () => {
      const webhook = await createWebhook('/rolled-back');
      const count = async () =>
        (await signet.platform.db.query<{ n: number }>('select count(*)::int as n from webhook_messages'))[0]!
          .n;
      const before = await count();
      // Created and audited, then refused in the same transaction when sending (a signer without a field).
      const refused = await api.post(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf, {
          recipients: [
            { name: 'A', email: 'a@client.test' },
            { name: 'B', email: 'b@client.test' },
          ],
          fields: [sigField('a@client.test')],
        }),
      );
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(await count(), before);
      assert.equal((await attemptsOf(webhook.id)).length, 0);
      await api.delete(`/api/v1/webhooks/${webhook.id}`);
    });

    it('retries after a 500 under the same webhook-id, each attempt signed afresh, and logs both', async () => {
      let calls = 0;
      receiver.answer('/flaky', () =>
        ++calls === 1 ? { status: 500, body: 'try later' } : { status: 200, body: 'ok' },
      );
      const webhook = await createWebhook('/flaky');
      const { messageId } = await sendTest(webhook.id);
      const [first, second] = await waitForRequests('/flaky', 2);
      assert.equal(first!.headers['webhook-id'], messageId);
      assert.equal(second!.headers['webhook-id'], messageId);
      assert.equal(first!.body, second!.body, 'the same bytes');
      for (const request of [first!, second!]) {
        const payload = verified(request, webhook.secret);
        assert.equal(payload.type, 'webhook.test');
        assert.deepEqual(payload.data, { webhookId: webhook.id });
      }
      const log = await waitForAttempts(webhook.id, 2);
      const [latest, earliest] = log;
      assert.deepEqual(
        [earliest!.attempt, earliest!.status, earliest!.responseStatus, earliest!.responseExcerpt],
        [1, 'failed', 500, 'try later'],
      );
      assert.deepEqual(
        [latest!.attempt, latest!.status, latest!.responseStatus, latest!.responseExcerpt],
        [2, 'succeeded', 200, 'ok'],
      );
      assert.ok(
        log.every((attempt) => attempt.messageId === messageId && attempt.eventType === 'webhook.test'),
      );
      const view = webhookView.parse((await api.get(`/api/v1/webhooks/${webhook.id}`)).body);
      assert.equal(view.failingSince, null, 'a success ends the run of failures');
      await api.delete(`/api/v1/webhooks/${webhook.id}`);
    });

    it('replays a message under the same webhook-id', async () => {
      const webhook = await createWebhook('/replay');
      const { messageId } = await sendTest(webhook.id);
      await waitForRequests('/replay', 1);
      const replayed = await api.post(`/api/v1/webhooks/${webhook.id}/messages/${messageId}/replay`);
      assert.equal(replayed.status, 202, JSON.stringify(replayed.body));
      const [first, second] = await waitForRequests('/replay', 2);
      assert.equal(second!.headers['webhook-id'], messageId);
      assert.equal(second!.body, first!.body);
      verified(second!, webhook.secret);
      const log = await waitForAttempts(webhook.id, 2);
      assert.deepEqual(
        log.map((attempt) => [attempt.attempt, attempt.status]),
        [
          [2, 'succeeded'],
          [1, 'succeeded'],
        ],
      );
      await api.delete(`/api/v1/webhooks/${webhook.id}`);
    });

    it('signs with the old and the new secret for 24 hours after a rotation, then with the new one only', async () => {
      const webhook = await createWebhook('/rotate');
      const rotated = await api.post<{ secret: string }>(`/api/v1/webhooks/${webhook.id}/rotate-secret`);
      assert.equal(rotated.status, 200);
      await sendTest(webhook.id);
      const [during] = await waitForRequests('/rotate', 1);
      assert.equal(String(during!.headers['webhook-signature']).split(' ').length, 2);
      verified(during!, rotated.body.secret);
      verified(during!, webhook.secret);

      // A day later (the clock moved in the database, not by waiting).
      await signet.platform.db.query(
        `update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = $1`,
        [webhook.id],
      );
      await sendTest(webhook.id);
      const [, later] = await waitForRequests('/rotate', 2);
      assert.equal(String(later!.headers['webhook-signature']).split(' ').length, 1);
      verified(later!, rotated.body.secret);
      assert.throws(() => verified(later!, webhook.secret), WebhookVerificationError);
      await api.delete(`/api/v1/webhooks/${webhook.id}`);
    });

    it('follows no redirect: a 3xx is a failed attempt, and its target is never asked', async () => {
      receiver.answer('/moved', () => ({ status: 302, headers: { location: receiver.url('/target') } }));
      const webhook = await createWebhook('/moved');
      await sendTest(webhook.id);
      const [attempt] = await waitForAttempts(webhook.id, 1);
      assert.equal(attempt!.status, 'failed');
      assert.equal(attempt!.responseStatus, 302);
      assert.equal(receiver.to('/moved').length, 1);
      assert.equal(receiver.to('/target').length, 0);
      await api.delete(`/api/v1/webhooks/${webhook.id}`);
    });

    it('reads at most 64 kB of an answer into the log', async () => {
      receiver.answer('/chatty', () => ({ status: 200, body: 'a'.repeat(200 * 1024) }));
      const webhook = await createWebhook('/chatty');
      await sendTest(webhook.id);
      const [attempt] = await waitForAttempts(webhook.id, 1);
      assert.equal(attempt!.status, 'succeeded');
      assert.equal(attempt!.responseExcerpt, 'a'.repeat(64 * 1024));
      await api.delete(`/api/v1/webhooks/${webhook.id}`);
    });

    it('stops retrying a message once its three days are over', async () => {
      receiver.answer('/down-for-good', () => ({ status: 503 }));
      const webhook = await createWebhook('/down-for-good');
      const { deliveryId } = await sendTest(webhook.id);
      await waitForAttempts(webhook.id, 1);
      // Three days on: the database's clock for this delivery, not a wait.
      await signet.platform.db.query(`update webhook_deliveries set retry_until = now() where id = $1`, [
        deliveryId,
      ]);
      const state = await eventually(async () => {
        const [row] = await signet.platform.db.query<{
          state: string;
          attempts: number;
          next_attempt_at: Date | null;
        }>('select state, attempts, next_attempt_at from webhook_deliveries where id = $1', [deliveryId]);
        return row?.state === 'failed' ? row : undefined;
      }, 'the delivery to give up');
      assert.equal(state.attempts, 2, 'the retry already scheduled was the last');
      assert.equal(state.next_attempt_at, null);
      assert.equal((await attemptsOf(webhook.id)).length, 2);
      await api.delete(`/api/v1/webhooks/${webhook.id}`);
    });

    it('disables an endpoint failing for five days and mails the owner; four days are not enough', async () => {
      receiver.answer('/gone', () => ({ status: 500 }));
      const fiveDays = await createWebhook('/gone');
      const fourDays = await createWebhook('/gone');
      // The failures began days ago: the database's clock, not a wait.
      await signet.platform.db.query(
        `update webhook_endpoints set failing_since = now() - interval '5 days 1 minute' where id = $1`,
        [fiveDays.id],
      );
      await signet.platform.db.query(
        `update webhook_endpoints set failing_since = now() - interval '4 days' where id = $1`,
        [fourDays.id],
      );
      await sendTest(fiveDays.id);
      await sendTest(fourDays.id);
      await waitForAttempts(fiveDays.id, 1);
      await waitForAttempts(fourDays.id, 1);
      const disabled = webhookView.parse((await api.get(`/api/v1/webhooks/${fiveDays.id}`)).body);
      assert.equal(disabled.enabled, false);
      assert.equal(disabled.disabledReason, 'failing');
      const stillOn = webhookView.parse((await api.get(`/api/v1/webhooks/${fourDays.id}`)).body);
      assert.equal(stillOn.enabled, true);
      const mails = (await outboxMail(api)).filter((mail) => mail.kind === 'webhook-disabled');
      assert.equal(mails.length, 1);
      assert.equal(mails[0]!.to, ownerEmail);
      assert.match(mails[0]!.text ?? '', new RegExp(fiveDays.id));
      assert.equal((await api.post(`/api/v1/webhooks/${fiveDays.id}/test`)).status, 409);
      for (const webhook of [fiveDays, fourDays]) await api.delete(`/api/v1/webhooks/${webhook.id}`);
    });

    it('never connects to a link-local or metadata address, even with private networks allowed', async () => {
      // A row written as if its URL had been allowed once: the delivery checks again.
      const id = await insertEndpoint(signet, 'http://169.254.169.254/latest/meta-data/', api);
      const { deliveryId } = await sendTest(id);
      const [attempt] = await waitForAttempts(id, 1);
      assert.equal(attempt!.error, 'OUTBOUND_ADDRESS_REFUSED');
      assert.equal(attempt!.responseStatus, null);
      assert.match(deliveryId, /^[0-9a-f-]{36}$/);
      await api.delete(`/api/v1/webhooks/${id}`);
    });
  });

  describe(`webhook SSRF rules without WEBHOOKS_ALLOW_PRIVATE_NETWORKS, on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let internal: WebhookReceiver;

    before(async () => {
      internal = await startWebhookReceiver();
      signet = await startTestSignet(kind);
      api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
    });
    after(async () => {
      await signet?.stop();
      await internal?.close();
    });

    it('refuses an endpoint on this test’s own loopback listener, by any spelling, and the listener sees no connection', async () => {
      const port = internal.port;
      for (const url of [
        `http://127.0.0.1:${port}/hook`,
        `http://localhost:${port}/hook`,
        `http://[::1]:${port}/hook`,
        `http://[::ffff:127.0.0.1]:${port}/hook`,
        `http://2130706433:${port}/hook`,
        `http://0x7f000001:${port}/hook`,
        `http://127.1:${port}/hook`,
        `https://127.0.0.1:${port}/hook`,
      ]) {
        const refused = await api.post('/api/v1/webhooks', { url });
        assert.equal(refused.status, 422, url);
        assert.equal(refused.body.code, 'WEBHOOK_URL_REFUSED', url);
        assert.doesNotMatch(String(refused.body.detail), new RegExp(String(port)));
      }
      // A public address is taken without a connection; moving it onto loopback is refused.
      const created = await api.post<{ id: string }>('/api/v1/webhooks', {
        url: 'http://93.184.215.14/hook',
      });
      assert.equal(created.status, 201);
      await api.patch(`/api/v1/webhooks/${created.body.id}`, { enabled: false });
      const moved = await api.patch(`/api/v1/webhooks/${created.body.id}`, {
        url: `http://127.0.0.1:${port}/hook`,
      });
      assert.equal(moved.status, 422);
      await api.delete(`/api/v1/webhooks/${created.body.id}`);
      assert.equal(internal.connections, 0);
    });

    it('checks the address again at delivery: an endpoint that leads to loopback now is refused as it connects', async () => {
      const id = await insertEndpoint(signet, internal.url('/hook'), api);
      await queueTestMessage(api, id);
      const [attempt] = await waitForLog(api, id, 1);
      assert.equal(attempt!.status, 'failed');
      assert.equal(attempt!.error, 'OUTBOUND_ADDRESS_REFUSED');
      assert.equal(internal.connections, 0);
      await api.delete(`/api/v1/webhooks/${id}`);
    });

    it('refuses a host name that resolved to an allowed address when set and to loopback at delivery (DNS rebinding)', async () => {
      // 127.0.0.2 stands for a public address (allowed by CIDR); the name then rebinds to 127.0.0.1.
      const answers: ResolvedAddress[][] = [[{ address: '127.0.0.2', family: 4 }]];
      const rebinding = createOutboundClient({
        allowedNetworks: ['127.0.0.2/32'],
        refuseLinkLocal: true,
        resolve: async () => answers.shift() ?? [{ address: '127.0.0.1', family: 4 }],
      });
      try {
        const url = `http://rebind.example.test:${internal.port}/hook`;
        await assertDeliverableUrl(rebinding, url);
        const id = await insertEndpoint(signet, url, api);
        // The delivery made by hand, with the rebinding resolver: no job is queued for it.
        const deliveryId = await insertDelivery(signet, id);
        await deliverWebhook({ ...signet.platform, webhookOutbound: rebinding }, { deliveryId, attempt: 1 });
        const [attempt] = await waitForLog(api, id, 1);
        assert.equal(attempt!.error, 'OUTBOUND_ADDRESS_REFUSED');
        // Its retry would resolve with the system resolver: the endpoint goes before it runs.
        await api.delete(`/api/v1/webhooks/${id}`);
      } finally {
        await rebinding.close();
      }
      assert.equal(internal.connections, 0);
    });
  });
}

/**
 * An endpoint whose URL is written directly, as if it had been allowed when it was set. It is
 * made with a public address (no connection is made to check one) listening for an event no
 * test causes, so nothing is ever sent there.
 */
async function insertEndpoint(signet: TestSignet, url: string, api: ApiClient): Promise<string> {
  const created = await api.post<{ id: string }>('/api/v1/webhooks', {
    url: 'http://93.184.215.14/placeholder',
    events: ['recipient.acknowledged'],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await signet.platform.db.query('update webhook_endpoints set url = $2, sealed_secret = $3 where id = $1', [
    created.body.id,
    url,
    signet.platform.secrets.seal(generateSecret()),
  ]);
  return created.body.id;
}

/** A webhook.test message and its delivery, without the job that would deliver it. */
async function insertDelivery(signet: TestSignet, endpointId: string): Promise<string> {
  const [endpoint] = await signet.platform.db.query<{ organization_id: string }>(
    'select organization_id from webhook_endpoints where id = $1',
    [endpointId],
  );
  const messageId = `msg_${randomUUID().replaceAll('-', '')}`;
  const deliveryId = randomUUID();
  await signet.platform.db.query(
    `insert into webhook_messages (id, organization_id, type, body) values ($1, $2, 'webhook.test', '{}')`,
    [messageId, endpoint!.organization_id],
  );
  await signet.platform.db.query(
    `insert into webhook_deliveries (id, message_id, endpoint_id, organization_id, next_attempt_at, retry_until)
     values ($1, $2, $3, $4, now(), now() + interval '3 days')`,
    [deliveryId, messageId, endpointId, endpoint!.organization_id],
  );
  return deliveryId;
}

async function queueTestMessage(api: ApiClient, webhookId: string) {
  const queued = await api.post(`/api/v1/webhooks/${webhookId}/test`);
  assert.equal(queued.status, 202, JSON.stringify(queued.body));
}

function waitForLog(api: ApiClient, webhookId: string, count: number) {
  return eventually(async () => {
    const log = deliveryLog.parse((await api.get(`/api/v1/webhooks/${webhookId}/deliveries`)).body).data;
    return log.length >= count ? log : undefined;
  }, `${count} attempt(s) in the delivery log`);
}
