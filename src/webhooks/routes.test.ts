import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { type ApiClient, apiClient } from '../../test/support/apiClient.ts';
import {
  createTestOrganization,
  databaseKinds,
  startTestSignet,
  type TestSignet,
} from '../../test/support/signetHarness.ts';
import { registerContract } from '../http/contract.ts';
import { createApiKey } from '../orgs/apiKeys.ts';
import { MAX_ENDPOINTS_PER_ORGANIZATION } from './endpoints.ts';
import { webhookRoutes } from './routes.ts';
import { createdWebhook, deliveryLog, rotatedSecret, webhookList, webhookView } from './schema.ts';

/*
 * The webhook API's contract: what each route takes and answers, who may call it, and that an
 * organisation sees only its own webhooks. Deliveries are test/endToEnd/webhooks.test.ts.
 */

const RECEIVER = 'http://127.0.0.1:9/hooks';

for (const kind of databaseKinds()) {
  describe(`the webhook API on ${kind}`, () => {
    let signet: TestSignet;
    let alice: ApiClient;
    let mallory: ApiClient;
    let aliceOrganization: string;

    before(async () => {
      // Loopback endpoints are allowed here so that the contract can be tested without a public host.
      signet = await startTestSignet(kind, { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
      const a = await createTestOrganization(signet, 'Alice Corp');
      aliceOrganization = a.organizationId;
      alice = apiClient(signet.app, a.apiKey);
      mallory = apiClient(signet.app, (await createTestOrganization(signet, 'Mallory Inc')).apiKey);
    });
    after(() => signet?.stop());

    const create = async (client: ApiClient, body: Record<string, unknown> = { url: RECEIVER }) => {
      const created = await client.post('/api/v1/webhooks', body);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return createdWebhook.parse(created.body);
    };

    it('creates a webhook: 201 with its id, location and a whsec_ secret, which no later answer shows', async () => {
      const response = await alice.post('/api/v1/webhooks', {
        url: RECEIVER,
        events: ['envelope.completed', 'recipient.signed', 'envelope.completed'],
        description: 'ERP',
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const created = createdWebhook.parse(response.body);
      assert.equal(response.headers.location, `/api/v1/webhooks/${created.id}`);
      assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.deepEqual(created.events, ['envelope.completed', 'recipient.signed']);
      assert.equal(created.description, 'ERP');
      assert.equal(created.enabled, true);

      const read = await alice.get(`/api/v1/webhooks/${created.id}`);
      assert.equal(read.status, 200);
      const { secret, ...withoutSecret } = created;
      assert.deepEqual(webhookView.parse(read.body), withoutSecret);
      const list = webhookList.parse((await alice.get('/api/v1/webhooks')).body);
      assert.ok(list.data.some((webhook) => webhook.id === created.id));
      const key = secret.slice('whsec_'.length);
      for (const raw of [read.raw, (await alice.get('/api/v1/webhooks')).raw]) {
        assert.ok(!raw.toString().includes(key), 'the secret is shown once');
      }
      const [row] = await signet.platform.db.query<{ sealed_secret: string }>(
        'select sealed_secret from webhook_endpoints where id = $1',
        [created.id],
      );
      assert.ok(row && !row.sealed_secret.includes(key) && !row.sealed_secret.includes(secret));
      assert.equal(signet.platform.secrets.open(row.sealed_secret), secret, 'sealed under the master key');
    });

    it('takes every event type when none are named', async () => {
      assert.equal((await create(alice)).events, null);
    });

    it('refuses unknown properties, a URL that is not http(s) and unknown event types, all in one answer', async () => {
      const response = await alice.post<{ code: string; errors: { path: string; message: string }[] }>(
        '/api/v1/webhooks',
        { url: 'ftp://example.com/hook', events: ['envelope.signed'], colour: 'red' },
      );
      assert.equal(response.status, 400);
      assert.equal(response.body.code, 'VALIDATION_FAILED');
      const problems = response.body.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
      assert.match(problems, /^\/url: /m);
      assert.match(problems, /^\/events\/0: /m);
      assert.match(problems, /^\/colour: unknown property$/m);
      for (const body of [
        {},
        { url: RECEIVER, events: [] },
        { url: 'http://user:pw@example.com/' },
        { url: 'hooks' },
      ]) {
        assert.equal((await alice.post('/api/v1/webhooks', body)).status, 400, JSON.stringify(body));
      }
    });

    it('refuses a link-local or cloud metadata address even with private networks allowed, and a name that does not resolve', async () => {
      for (const url of [
        'http://169.254.169.254/latest/meta-data/',
        'http://169.254.1.1/',
        'http://[fe80::1]/',
        'http://[fd00:ec2::254]/',
        'http://100.100.100.200/',
        'http://0.0.0.0:9/',
      ]) {
        const response = await alice.post<{ code: string; errors: { path: string }[] }>('/api/v1/webhooks', {
          url,
        });
        assert.equal(response.status, 422, url);
        assert.equal(response.body.code, 'WEBHOOK_URL_REFUSED', url);
        assert.deepEqual(
          response.body.errors.map((e) => e.path),
          ['/url'],
        );
      }
      const unresolvable = await alice.post('/api/v1/webhooks', { url: 'http://no-such-host.invalid/' });
      assert.equal(unresolvable.status, 422);
      assert.equal(unresolvable.body.code, 'WEBHOOK_URL_UNRESOLVABLE');
      const created = await create(alice);
      const patched = await alice.patch(`/api/v1/webhooks/${created.id}`, { url: 'http://169.254.169.254/' });
      assert.equal(patched.status, 422);
      assert.equal((await alice.get<{ url: string }>(`/api/v1/webhooks/${created.id}`)).body.url, RECEIVER);
    });

    it('changes url, events, description and enabled; events null is every type again', async () => {
      const created = await create(alice, { url: RECEIVER, events: ['envelope.sent'] });
      const changed = await alice.patch(`/api/v1/webhooks/${created.id}`, {
        url: 'http://127.0.0.1:9/other',
        events: ['envelope.voided', 'envelope.expired'],
        description: 'changed',
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      const view = webhookView.parse(changed.body);
      assert.equal(view.url, 'http://127.0.0.1:9/other');
      assert.deepEqual(view.events, ['envelope.voided', 'envelope.expired']);
      assert.equal(view.description, 'changed');

      const disabled = webhookView.parse(
        (await alice.patch(`/api/v1/webhooks/${created.id}`, { enabled: false })).body,
      );
      assert.equal(disabled.enabled, false);
      assert.equal(disabled.disabledReason, 'api');
      assert.ok(disabled.disabledAt);
      const enabled = webhookView.parse(
        (await alice.patch(`/api/v1/webhooks/${created.id}`, { enabled: true, events: null })).body,
      );
      assert.equal(enabled.enabled, true);
      assert.equal(enabled.disabledReason, null);
      assert.equal(enabled.events, null);

      for (const body of [{}, { secret: 'whsec_mine' }, { enabled: 'yes' }, { events: [] }]) {
        const refused = await alice.patch(`/api/v1/webhooks/${created.id}`, body);
        assert.equal(refused.status, 400, JSON.stringify(body));
      }
    });

    it('rotates the secret: a new one, the old one signing beside it for 24 hours', async () => {
      const created = await create(alice);
      const before = Date.now();
      const response = await alice.post(`/api/v1/webhooks/${created.id}/rotate-secret`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const rotated = rotatedSecret.parse(response.body);
      assert.notEqual(rotated.secret, created.secret);
      const expires = Date.parse(rotated.previousSecretExpiresAt);
      assert.ok(Math.abs(expires - before - 24 * 3600_000) < 60_000, rotated.previousSecretExpiresAt);
      const view = webhookView.parse((await alice.get(`/api/v1/webhooks/${created.id}`)).body);
      assert.equal(view.previousSecretExpiresAt, rotated.previousSecretExpiresAt);
      const [row] = await signet.platform.db.query<{ sealed_secret: string; sealed_previous_secret: string }>(
        'select sealed_secret, sealed_previous_secret from webhook_endpoints where id = $1',
        [created.id],
      );
      assert.equal(signet.platform.secrets.open(row!.sealed_secret), rotated.secret);
      assert.equal(signet.platform.secrets.open(row!.sealed_previous_secret), created.secret);
      assert.equal(
        (await alice.post(`/api/v1/webhooks/${created.id}/rotate-secret`, { keep: true })).status,
        400,
      );
    });

    it('deletes a webhook: 204, then 404', async () => {
      const created = await create(alice);
      assert.equal((await alice.delete(`/api/v1/webhooks/${created.id}`)).status, 204);
      assert.equal((await alice.get(`/api/v1/webhooks/${created.id}`)).status, 404);
      assert.equal((await alice.delete(`/api/v1/webhooks/${created.id}`)).status, 404);
    });

    it('queues a test event (202) and lists the delivery log', async () => {
      const created = await create(alice);
      const queued = await alice.post<{ messageId: string; deliveryId: string }>(
        `/api/v1/webhooks/${created.id}/test`,
      );
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      assert.match(queued.body.messageId, /^msg_[0-9a-f]{32}$/);
      const log = await alice.get(`/api/v1/webhooks/${created.id}/deliveries?limit=10`);
      assert.equal(log.status, 200);
      deliveryLog.parse(log.body);
      assert.equal((await alice.get(`/api/v1/webhooks/${created.id}/deliveries?limit=0`)).status, 400);
      assert.equal(
        (await alice.get(`/api/v1/webhooks/${created.id}/deliveries?cursor=nonsense`)).status,
        400,
      );
      assert.equal((await alice.get(`/api/v1/webhooks/${created.id}/deliveries?sort=asc`)).status, 400);
      await alice.patch(`/api/v1/webhooks/${created.id}`, { enabled: false });
      const refused = await alice.post(`/api/v1/webhooks/${created.id}/test`);
      assert.equal(refused.status, 409);
      assert.equal(refused.body.code, 'WEBHOOK_DISABLED');
    });

    it('answers 404 to another organisation on every webhook route, and changes nothing', async () => {
      const created = await create(alice, { url: RECEIVER, description: 'alice' });
      const queued = await alice.post<{ messageId: string }>(`/api/v1/webhooks/${created.id}/test`);
      const id = created.id;
      const attempts = [
        mallory.get(`/api/v1/webhooks/${id}`),
        mallory.patch(`/api/v1/webhooks/${id}`, { url: 'http://127.0.0.1:9/mallory' }),
        mallory.delete(`/api/v1/webhooks/${id}`),
        mallory.post(`/api/v1/webhooks/${id}/rotate-secret`),
        mallory.post(`/api/v1/webhooks/${id}/test`),
        mallory.get(`/api/v1/webhooks/${id}/deliveries`),
        mallory.post(`/api/v1/webhooks/${id}/messages/${queued.body.messageId}/replay`),
      ];
      for (const response of await Promise.all(attempts)) {
        assert.equal(response.status, 404);
        assert.equal(response.body.code, 'WEBHOOK_NOT_FOUND');
      }
      const list = webhookList.parse((await mallory.get('/api/v1/webhooks')).body);
      assert.ok(!list.data.some((webhook) => webhook.id === id));
      const after = webhookView.parse((await alice.get(`/api/v1/webhooks/${id}`)).body);
      assert.equal(after.url, RECEIVER);
      assert.equal(after.previousSecretExpiresAt, null);
    });

    it('answers 404 to an id that is not a UUID and to a message never sent to this webhook', async () => {
      assert.equal((await alice.get('/api/v1/webhooks/not-a-uuid')).body.code, 'WEBHOOK_NOT_FOUND');
      const created = await create(alice);
      for (const messageId of ['msg_00000000000000000000000000000000', 'nonsense']) {
        const replay = await alice.post(`/api/v1/webhooks/${created.id}/messages/${messageId}/replay`);
        assert.equal(replay.status, 404);
        assert.equal(replay.body.code, 'WEBHOOK_MESSAGE_NOT_FOUND');
      }
    });

    it('needs webhooks:read to read and webhooks:write to change; a key made without scopes has neither', async () => {
      const plain = apiClient(
        signet.app,
        (await createApiKey(signet.platform.db, { organizationId: aliceOrganization })).key,
      );
      const reader = apiClient(
        signet.app,
        (
          await createApiKey(signet.platform.db, {
            organizationId: aliceOrganization,
            scopes: ['webhooks:read'],
          })
        ).key,
      );
      const created = await create(alice);
      for (const response of [
        await plain.get('/api/v1/webhooks'),
        await plain.post('/api/v1/webhooks', { url: RECEIVER }),
        await reader.post('/api/v1/webhooks', { url: RECEIVER }),
        await reader.patch(`/api/v1/webhooks/${created.id}`, { description: 'x' }),
        await reader.delete(`/api/v1/webhooks/${created.id}`),
        await reader.post(`/api/v1/webhooks/${created.id}/rotate-secret`),
        await reader.post(`/api/v1/webhooks/${created.id}/test`),
      ]) {
        assert.equal(response.status, 403);
        assert.equal(response.body.code, 'API_KEY_SCOPE_MISSING');
      }
      assert.equal((await reader.get('/api/v1/webhooks')).status, 200);
      assert.equal((await reader.get(`/api/v1/webhooks/${created.id}/deliveries`)).status, 200);
      assert.equal((await apiClient(signet.app).get('/api/v1/webhooks')).status, 401);
    });

    it('documents every webhook route in the OpenAPI document, with its scope', async () => {
      // The webhook plugin alone under the contract (Fastify encapsulation): its document
      // depends on nothing else registered.
      const app = Fastify({ logger: false });
      try {
        await registerContract(app, { version: 'test', publicUrl: signet.url });
        await app.register(async (scope) => webhookRoutes(scope, signet.platform));
        await app.ready();
        const document = app.swagger() as { paths: Record<string, Record<string, { description?: string }>> };
        const expected: [string, string, string][] = [
          ['/api/v1/webhooks', 'post', 'webhooks:write'],
          ['/api/v1/webhooks', 'get', 'webhooks:read'],
          ['/api/v1/webhooks/{id}', 'get', 'webhooks:read'],
          ['/api/v1/webhooks/{id}', 'patch', 'webhooks:write'],
          ['/api/v1/webhooks/{id}', 'delete', 'webhooks:write'],
          ['/api/v1/webhooks/{id}/rotate-secret', 'post', 'webhooks:write'],
          ['/api/v1/webhooks/{id}/test', 'post', 'webhooks:write'],
          ['/api/v1/webhooks/{id}/deliveries', 'get', 'webhooks:read'],
          ['/api/v1/webhooks/{id}/messages/{messageId}/replay', 'post', 'webhooks:write'],
        ];
        for (const [path, method, scope] of expected) {
          const operation = document.paths[path]?.[method];
          assert.ok(operation, `${method} ${path}`);
          assert.match(operation.description ?? '', new RegExp(scope), `${method} ${path}`);
        }
        assert.equal(Object.keys(document.paths).filter((path) => path.includes('webhooks')).length, 6);
      } finally {
        await app.close();
      }
    });

    it(`keeps an organisation to ${MAX_ENDPOINTS_PER_ORGANIZATION} webhooks`, async () => {
      const { apiKey } = await createTestOrganization(signet, 'Busy Ltd');
      const busy = apiClient(signet.app, apiKey);
      for (let i = 0; i < MAX_ENDPOINTS_PER_ORGANIZATION; i++) await create(busy);
      const refused = await busy.post('/api/v1/webhooks', { url: RECEIVER });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.code, 'WEBHOOK_LIMIT_REACHED');
    });
  });
}
