import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createSignetClient,
  type EnvelopeDraftInput,
  type EnvelopeJsonInput,
  SignetApiError,
  type SignetClient,
  verifyWebhook,
  WebhookVerificationError,
} from '@signet/sdk';
import { payloadBody } from '../../src/webhooks/events.ts';
import { generateSecret, signedHeaders } from '../../src/webhooks/signing.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.ts';

/*
 * The SDK against a live server (issue 15 item 6): every helper over real HTTP, on each
 * database, with the types the generator made (a wrong shape does not compile: see the
 * @ts-expect-error lines).
 */

const draft = (title: string): EnvelopeDraftInput => ({
  title,
  recipients: [{ name: 'Ada Lovelace', email: 'ada@example.com', role: 'signer', routingOrder: 1 }],
  fields: [
    { recipient: 'ada@example.com', type: 'signature', page: 1, x: 60, y: 600, width: 180, height: 50 },
  ],
});

/** A fetch that counts the requests it passes on, by method and path. */
function countingFetch() {
  const seen: { method: string; url: URL; headers: Headers }[] = [];
  const fetchImpl: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    seen.push({ method: request.method, url: new URL(request.url), headers: request.headers });
    return fetch(request);
  };
  return { fetch: fetchImpl, seen };
}

for (const kind of databaseKinds()) {
  describe(`the SDK against a live Signet on ${kind}`, () => {
    let server: TestSignet;
    let receiver: WebhookReceiver;
    let apiKey: string;
    let signet: SignetClient;
    let pdf: Uint8Array;

    before(async () => {
      receiver = await startWebhookReceiver();
      server = await startTestSignet(kind, { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
      apiKey = (await createTestOrganization(server)).apiKey;
      signet = createSignetClient({ baseUrl: server.url, apiKey });
      pdf = new Uint8Array(await makePdf({ text: 'Consulting agreement' }));
    });
    after(async () => {
      await server?.stop();
      await receiver?.close();
    });

    it('creates an envelope from PDFs as multipart, the envelope part as typed JSON', async () => {
      const { fetch: counted, seen } = countingFetch();
      const client = createSignetClient({ baseUrl: server.url, apiKey, fetch: counted });
      const envelope = await client.createEnvelope(draft('Multipart'), [
        { name: 'contract.pdf', bytes: pdf },
        { name: 'annex.pdf', bytes: new Blob([new Uint8Array(await makePdf({ text: 'Annex' }))]) },
      ]);
      assert.equal(envelope.title, 'Multipart');
      assert.equal(envelope.status, 'draft');
      assert.deepEqual(
        envelope.documents.map((d) => d.name),
        ['contract.pdf', 'annex.pdf'],
      );
      assert.equal(envelope.recipients[0]?.email, 'ada@example.com');
      const [request] = seen;
      assert.match(request?.headers.get('content-type') ?? '', /^multipart\/form-data; boundary=/);
      assert.match(request?.headers.get('idempotency-key') ?? '', /^[0-9a-f-]{36}$/, 'a key is made');
      // The original comes back byte for byte.
      const original = await signet.downloadDocument(envelope.id, envelope.documents[0]!.id);
      assert.deepEqual(original, pdf);
    });

    it('creates the same envelope from JSON with the documents in base64, and sends it with ?send=true', async () => {
      const body: EnvelopeJsonInput = {
        ...draft('JSON'),
        documents: [{ name: 'contract.pdf', content: Buffer.from(pdf).toString('base64') }],
      };
      const fromJson = await signet.post('/api/v1/envelopes', { body, params: { query: { send: 'true' } } });
      const fromParts = await signet.createEnvelope(draft('JSON'), [{ name: 'contract.pdf', bytes: pdf }], {
        send: true,
      });
      assert.equal(fromJson.status, 'sent');
      const shape = (e: typeof fromJson) => ({
        title: e.title,
        status: e.status,
        documents: e.documents.map(({ name, pages }) => ({ name, pages })),
        recipients: e.recipients.map(({ name, email, role, routingOrder, status }) => ({
          name,
          email,
          role,
          routingOrder,
          status,
        })),
        fields: e.fields.map(({ type, page, x, y, width, height }) => ({ type, page, x, y, width, height })),
      });
      assert.deepEqual(shape(fromParts), shape(fromJson));
    });

    it('gets an envelope and voids it, typed end to end', async () => {
      const created = await signet.createEnvelope(draft('To void'), [{ name: 'a.pdf', bytes: pdf }], {
        send: true,
      });
      const got = await signet.get('/api/v1/envelopes/{id}', { params: { path: { id: created.id } } });
      assert.equal(got.id, created.id);
      assert.equal(got.status, 'sent');
      const voided = await signet.post('/api/v1/envelopes/{id}/void', {
        params: { path: { id: created.id } },
        body: { reason: 'Sent to the wrong client' },
      });
      assert.equal(voided.status, 'voided');
      assert.equal(
        (await signet.get('/api/v1/envelopes/{id}', { params: { path: { id: created.id } } })).status,
        'voided',
      );
      // A body of the wrong shape does not compile…
      await assert.rejects(
        signet.post('/api/v1/envelopes/{id}/void', {
          params: { path: { id: created.id } },
          // @ts-expect-error `reasons` is not a property of the void body
          body: { reasons: 'typo' },
        }),
        // …and the server refuses it too, naming the property.
        (error: unknown) => error instanceof SignetApiError && error.status === 400,
      );
    });

    it('throws a typed SignetApiError with the code and the JSON pointer of every invalid input', async () => {
      const error = await signet
        .createEnvelope(
          {
            ...draft('Typo'),
            // @ts-expect-error `rol` is not a recipient property (the typo the issue reports)
            recipients: [{ name: 'Grace', email: 'grace@example.com', rol: 'cc' }],
          },
          [{ name: 'a.pdf', bytes: pdf }],
        )
        .then(
          () => assert.fail('an unknown property was accepted'),
          (thrown: unknown) => thrown,
        );
      assert.ok(error instanceof SignetApiError);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'VALIDATION_FAILED');
      assert.equal(error.problem?.code, 'VALIDATION_FAILED');
      assert.ok(error.requestId);
      assert.deepEqual(error.errors, [{ path: '/recipients/0/rol', message: 'unknown property' }]);
      // As JSON, every problem at once, each with its path (an untyped caller's body: the typed
      // one would not compile).
      const badBody: unknown = {
        ...draft('Bad'),
        recipients: [{ name: 'Ada', email: 'not-an-address' }],
        fields: [{ recipient: 'ada@example.com', type: 'signature', x: -5, y: 0, width: 10, height: 10 }],
        documents: [{ name: 'a.pdf', content: Buffer.from(pdf).toString('base64') }],
      };
      const twice = await signet
        .post('/api/v1/envelopes', { body: badBody as EnvelopeJsonInput })
        .catch((thrown: unknown) => thrown);
      assert.ok(twice instanceof SignetApiError);
      assert.equal(twice.code, 'VALIDATION_FAILED');
      const paths = twice.errors.map((problem) => problem.path);
      assert.ok(paths.includes('/recipients/0/email'), paths.join(', '));
      assert.ok(
        paths.some((path) => path.startsWith('/fields/0')),
        paths.join(', '),
      );
    });

    it('lists every envelope across several pages with paginate', async () => {
      const { organizationId: _, apiKey: ownKey } = await createTestOrganization(server, 'Pages Ltd');
      const { fetch: counted, seen } = countingFetch();
      const pages = createSignetClient({ baseUrl: server.url, apiKey: ownKey, fetch: counted });
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        created.push(
          (await pages.createEnvelope(draft(`Page item ${i}`), [{ name: 'a.pdf', bytes: pdf }])).id,
        );
      }
      seen.length = 0;
      const listed: string[] = [];
      for await (const summary of pages.paginate('/api/v1/envelopes', {
        query: { limit: 2, status: 'draft' },
      })) {
        assert.equal(summary.status, 'draft');
        listed.push(summary.id);
      }
      assert.deepEqual(listed, [...created].reverse(), 'every envelope once, newest first');
      assert.equal(seen.length, 3, 'pages of 2, 2 and 1');
      assert.equal(seen[0]?.url.searchParams.get('cursor'), null);
      assert.ok(seen[1]?.url.searchParams.get('cursor'));
      assert.equal(seen[2]?.url.searchParams.get('limit'), '2');
    });

    it('makes a retried create happen once: the same Idempotency-Key gives the same envelope', async () => {
      const { apiKey: ownKey } = await createTestOrganization(server, 'Retry Ltd');
      const client = createSignetClient({ baseUrl: server.url, apiKey: ownKey });
      const key = crypto.randomUUID();
      const first = await client.createEnvelope(draft('Once'), [{ name: 'a.pdf', bytes: pdf }], {
        idempotencyKey: key,
      });
      const again = await client.createEnvelope(draft('Once'), [{ name: 'a.pdf', bytes: pdf }], {
        idempotencyKey: key,
      });
      assert.equal(again.id, first.id);
      const all = [];
      for await (const summary of client.paginate('/api/v1/envelopes')) all.push(summary.id);
      assert.deepEqual(all, [first.id], 'one envelope');
      // The same key for another body is refused, typed.
      const reused = await client
        .createEnvelope(draft('Other'), [{ name: 'a.pdf', bytes: pdf }], { idempotencyKey: key })
        .catch((thrown: unknown) => thrown);
      assert.ok(reused instanceof SignetApiError);
      assert.equal(reused.status, 422);
      assert.equal(reused.code, 'IDEMPOTENCY_KEY_REUSED');
    });

    it('retries once, with the same generated key, when the answer to the first attempt is lost', async () => {
      const { apiKey: ownKey } = await createTestOrganization(server, 'Lost Answer Ltd');
      const keys: (string | null)[] = [];
      let attempts = 0;
      // The request reaches Signet and the envelope is made; the connection then fails, as a
      // network error after the server acted would.
      const losingFetch: typeof fetch = async (input, init) => {
        const request = new Request(input, init);
        if (request.method === 'POST') keys.push(request.headers.get('idempotency-key'));
        const response = await fetch(request);
        if (request.method === 'POST' && ++attempts === 1) {
          await response.arrayBuffer();
          throw new TypeError('fetch failed');
        }
        return response;
      };
      const client = createSignetClient({ baseUrl: server.url, apiKey: ownKey, fetch: losingFetch });
      const envelope = await client.createEnvelope(draft('Lost'), [{ name: 'a.pdf', bytes: pdf }]);
      assert.equal(attempts, 2);
      assert.equal(keys.length, 2);
      assert.ok(keys[0]);
      assert.equal(keys[1], keys[0], 'the retry carries the same key');
      const all = [];
      for await (const summary of client.paginate('/api/v1/envelopes')) all.push(summary.id);
      assert.deepEqual(all, [envelope.id], 'one envelope, not two');
      // The replay is visible on the raw client too.
      const replay = await client.api.POST('/api/v1/envelopes', {
        params: { header: { 'idempotency-key': keys[0]! } },
        body: { envelope: draft('Lost'), file: [] },
        bodySerializer: () => {
          const form = new FormData();
          form.append(
            'envelope',
            new Blob([JSON.stringify(draft('Lost'))], { type: 'application/json' }),
            'envelope.json',
          );
          form.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'a.pdf');
          return form;
        },
      });
      assert.equal(replay.response.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.data?.id, envelope.id);
    });

    it('signs through the signer API, downloads the sealed PDF, and verifies the webhook that announced it', async () => {
      const hook = await signet.post('/api/v1/webhooks', {
        body: { url: receiver.url('/sdk'), events: ['envelope.completed'] },
      });
      assert.match(hook.secret, /^whsec_/);
      const envelope = await signet.createEnvelope(draft('To seal'), [{ name: 'contract.pdf', bytes: pdf }], {
        send: true,
      });
      const outbox = await signet.get('/api/v1/outbox/mail', { params: { query: { limit: 500 } } });
      const invitation = outbox.messages.find(
        (m) => m.envelopeId === envelope.id && m.to === 'ada@example.com' && m.kind === 'invitation',
      );
      const token = /\/sign\/([A-Za-z0-9_-]+)/.exec(invitation?.text ?? '')?.[1];
      assert.ok(token, 'an invitation with a signing link');

      const signer = createSignetClient({ baseUrl: server.url }); // the link is the credential
      const session = await signer.get('/api/v1/signing/{token}', { params: { path: { token } } });
      assert.equal(session.envelope.id, envelope.id);
      const shown = await signer.downloadSigningDocument(token, session.documents[0]!.id);
      assert.deepEqual(shown, pdf);
      await signer.post('/api/v1/signing/{token}/consent', { params: { path: { token } } });
      const finished = await signer.post('/api/v1/signing/{token}/finish', {
        params: { path: { token } },
        body: { signature: { kind: 'typed', text: 'Ada Lovelace' } },
      });
      assert.equal(finished.recipient.status, 'completed');

      const sealed = await eventually(async () => {
        const now = await signet.get('/api/v1/envelopes/{id}', { params: { path: { id: envelope.id } } });
        assert.notEqual(now.seal?.state, 'failed', now.seal?.lastError ?? '');
        return now.seal?.state === 'done' ? now : undefined;
      }, 'the seal');
      assert.equal(sealed.status, 'completed');
      const signed = await signet.downloadSealedPdf(envelope.id);
      const text = Buffer.from(signed).toString('latin1');
      assert.ok(text.startsWith('%PDF-'));
      assert.match(text, /\/ByteRange/, 'a signed PDF');
      assert.ok(signed.length > pdf.length);
      assert.deepEqual(await signer.downloadSignedPdf(token), signed, 'the signer gets the same file');
      const certificate = await signet.downloadCertificate(envelope.id);
      assert.ok(Buffer.from(certificate).toString('latin1').startsWith('%PDF-'));
      const verification = await signer.post('/api/v1/verify', {
        body: new Blob([new Uint8Array(signed)], { type: 'application/pdf' }),
        bodySerializer: (blob) => blob,
        headers: { 'content-type': 'application/pdf' },
      });
      assert.deepEqual(verification.sealedBySignet, { envelopeId: envelope.id });
      assert.equal(verification.verdict, 'valid');

      // The webhook Signet delivered verifies with the endpoint's secret, typed.
      const [delivery] = await eventually(
        async () => (receiver.to('/sdk').length > 0 ? receiver.to('/sdk') : undefined),
        'the envelope.completed webhook',
      );
      const event = verifyWebhook(delivery!.body, delivery!.headers, hook.secret);
      assert.equal(event.type, 'envelope.completed');
      assert.equal(event.data.id, envelope.id);
      assert.equal(event.data.status, 'completed');
      assert.throws(
        () => verifyWebhook(delivery!.body.replace('completed', 'voided'), delivery!.headers, hook.secret),
        WebhookVerificationError,
      );
    });

    it('verifies a payload signed by Signet’s webhook signing, and refuses a tampered one', async () => {
      const envelope = await signet.createEnvelope(draft('Hooked'), [{ name: 'a.pdf', bytes: pdf }]);
      const data = await signet.get('/api/v1/envelopes/{id}', { params: { path: { id: envelope.id } } });
      const body = payloadBody({ type: 'envelope.created', timestamp: new Date().toISOString(), data });
      const secret = generateSecret();
      const headers = signedHeaders([secret], 'msg_sdk_test', Math.floor(Date.now() / 1000), body);

      const event = verifyWebhook(body, headers, secret);
      assert.equal(event.type, 'envelope.created');
      assert.deepEqual(event.data, data);
      // Headers as fetch gives them work the same.
      assert.equal(verifyWebhook(body, new Headers({ ...headers }), [secret]).type, 'envelope.created');

      const tampered = body.replace('"Hooked"', '"Hacked"');
      assert.notEqual(tampered, body);
      assert.throws(() => verifyWebhook(tampered, headers, secret), WebhookVerificationError);
      assert.throws(
        () => verifyWebhook(body, headers, generateSecret()),
        WebhookVerificationError,
        'another secret',
      );
      const old = Math.floor(Date.now() / 1000) - 10 * 60;
      assert.throws(
        () => verifyWebhook(body, signedHeaders([secret], 'msg_sdk_test', old, body), secret),
        WebhookVerificationError,
        'signed ten minutes ago',
      );
      // During a rotation Signet signs with both; a receiver holding either (or both) accepts.
      const rotated = generateSecret();
      const both = signedHeaders([rotated, secret], 'msg_sdk_rotation', Math.floor(Date.now() / 1000), body);
      assert.equal(verifyWebhook(body, both, secret).type, 'envelope.created');
      assert.equal(verifyWebhook(body, both, [generateSecret(), rotated]).type, 'envelope.created');
    });
  });
}
