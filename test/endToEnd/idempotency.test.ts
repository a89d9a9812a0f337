import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createOrganization } from '../../src/orgs/organizations.ts';
import { envelopeJson } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * Idempotency-Key end to end (issue 15 item 3): a real instance over HTTP, the real envelope
 * route with JSON and multipart bodies, API keys and a staff session. What is counted is what
 * an integrator fears: envelopes created twice.
 */

interface Answer {
  status: number;
  bytes: Buffer;
  headers: Headers;
  json: Record<string, unknown>;
}

for (const kind of databaseKinds()) {
  describe(`Idempotency-Key on POST /api/v1 (${kind})`, () => {
    let signet: TestSignet;
    let pdf: Buffer;
    let apiKey: string;
    let otherApiKey: string;
    let admin: { email: string; password: string; organizationId: string };

    before(async () => {
      signet = await startTestSignet(kind);
      pdf = await makePdf();
      const organization = await createOrganization(signet.platform.db, {
        name: 'Acme Ltd',
        adminEmail: `owner-${randomUUID()}@acme.test`,
      });
      apiKey = organization.apiKey;
      admin = {
        email: organization.adminEmail,
        password: organization.adminPassword,
        organizationId: organization.organizationId,
      };
      otherApiKey = (await createTestOrganization(signet, 'Other Ltd')).apiKey;
    });
    after(() => signet?.stop());

    async function call(
      path: string,
      init: { bearer?: string; key?: string; body?: string | Buffer; type?: string },
    ) {
      const headers: Record<string, string> = { authorization: `Bearer ${init.bearer ?? apiKey}` };
      if (init.key !== undefined) headers['idempotency-key'] = init.key;
      if (init.type) headers['content-type'] = init.type;
      const response = await fetch(`${signet.url}${path}`, {
        method: 'POST',
        headers,
        body: init.body ?? null,
      });
      const bytes = Buffer.from(await response.arrayBuffer());
      const json = bytes.length > 0 ? (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>) : {};
      return { status: response.status, bytes, headers: response.headers, json } satisfies Answer;
    }
    const createJson = (body: unknown, key?: string, bearer?: string) =>
      call('/api/v1/envelopes', { key, bearer, body: JSON.stringify(body), type: 'application/json' });

    /** A multipart body as a client library makes it: its boundary is random on every call. */
    async function multipartBody(title: string) {
      const form = new FormData();
      const { documents: _documents, ...envelope } = envelopeJson(pdf, { title });
      form.append('envelope', JSON.stringify(envelope));
      form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'agreement.pdf');
      const encoded = new Response(form);
      return {
        type: encoded.headers.get('content-type') ?? '',
        body: Buffer.from(await encoded.arrayBuffer()),
      };
    }

    async function envelopesTitled(title: string, bearer = apiKey): Promise<number> {
      const response = await fetch(`${signet.url}/api/v1/envelopes?limit=100`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      const list = (await response.json()) as { data: { title: string }[] };
      return list.data.filter((envelope) => envelope.title === title).length;
    }

    function assertReplayOf(replay: Answer, first: Answer) {
      assert.equal(replay.status, first.status);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(first.headers.get('idempotent-replayed'), null);
      assert.deepEqual(replay.bytes, first.bytes);
      assert.equal(replay.headers.get('content-type'), first.headers.get('content-type'));
      assert.equal(replay.headers.get('location'), first.headers.get('location'));
    }

    it('replays a retried JSON create — same status, body and location — and makes one envelope', async () => {
      const title = `JSON ${randomUUID()}`;
      const key = randomUUID();
      const first = await createJson(envelopeJson(pdf, { title }), key);
      assert.equal(first.status, 201, first.bytes.toString());
      assert.equal(first.headers.get('location'), `/api/v1/envelopes/${first.json.id}`);
      const retry = await createJson(envelopeJson(pdf, { title }), key);
      assertReplayOf(retry, first);
      assert.equal(await envelopesTitled(title), 1);
    });

    it('replays a retried multipart create sent with another boundary, and makes one envelope', async () => {
      const title = `Multipart ${randomUUID()}`;
      const key = randomUUID();
      const one = await multipartBody(title);
      const two = await multipartBody(title);
      assert.notEqual(one.type, two.type, 'the two attempts have different boundaries');
      const first = await call('/api/v1/envelopes', { key, ...one });
      assert.equal(first.status, 201, first.bytes.toString());
      const retry = await call('/api/v1/envelopes', { key, ...two });
      assertReplayOf(retry, first);
      assert.equal(await envelopesTitled(title), 1);

      const changed = await multipartBody(`${title} (changed)`);
      const refused = await call('/api/v1/envelopes', { key, ...changed });
      assert.equal(refused.status, 422);
      assert.equal(refused.json.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.equal(await envelopesTitled(`${title} (changed)`), 0);
    });

    it('refuses the key with a different body: 422 IDEMPOTENCY_KEY_REUSED, and nothing is created', async () => {
      const title = `Reused ${randomUUID()}`;
      const key = randomUUID();
      assert.equal((await createJson(envelopeJson(pdf, { title }), key)).status, 201);
      const refused = await createJson(envelopeJson(pdf, { title: `${title} 2` }), key);
      assert.equal(refused.status, 422);
      assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(refused.json.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.equal(await envelopesTitled(`${title} 2`), 0);
      // The query is part of the request too: ?send=true is another request.
      const withSend = await call('/api/v1/envelopes?send=true', {
        key,
        body: JSON.stringify(envelopeJson(pdf, { title })),
        type: 'application/json',
      });
      assert.equal(withSend.json.code, 'IDEMPOTENCY_KEY_REUSED');
    });

    it('makes exactly one envelope of 20 concurrent requests with one key', async () => {
      const title = `Race ${randomUUID()}`;
      const key = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => createJson(envelopeJson(pdf, { title }), key)),
      );
      assert.equal(await envelopesTitled(title), 1);
      const created = answers.filter((answer) => answer.status === 201);
      const original = created.filter((answer) => answer.headers.get('idempotent-replayed') === null);
      assert.equal(original.length, 1);
      for (const answer of created) assert.deepEqual(answer.bytes, original[0]!.bytes);
      for (const answer of answers.filter((a) => a.status !== 201)) {
        assert.equal(answer.status, 409);
        assert.equal(answer.json.code, 'IDEMPOTENCY_KEY_IN_USE');
        assert.equal(answer.headers.get('retry-after'), '1');
      }
    });

    it('keeps keys apart per API key and per signed-in user', async () => {
      const title = `Shared key ${randomUUID()}`;
      const key = randomUUID();
      const mine = await createJson(envelopeJson(pdf, { title }), key);
      const theirs = await createJson(envelopeJson(pdf, { title }), key, otherApiKey);
      assert.equal(mine.status, 201);
      assert.equal(theirs.status, 201);
      assert.equal(theirs.headers.get('idempotent-replayed'), null);
      assert.equal(await envelopesTitled(title), 1);
      assert.equal(await envelopesTitled(title, otherApiKey), 1);

      const signIn = await fetch(`${signet.url}/api/v1/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: admin.email, password: admin.password }),
      });
      const { token } = (await signIn.json()) as { token: string };
      assert.ok(token, 'signed in');
      const asUser = await createJson(envelopeJson(pdf, { title }), key, token);
      assert.equal(asUser.status, 201);
      assert.equal(asUser.headers.get('idempotent-replayed'), null, 'the user is not the API key');
      assertReplayOf(await createJson(envelopeJson(pdf, { title }), key, token), asUser);
      assert.equal(await envelopesTitled(title), 2);
    });

    it('replays a 400 for invalid input', async () => {
      const key = randomUUID();
      const invalid = envelopeJson(pdf, { recipients: [{ name: 'Sam', email: 'not an address' }] });
      const first = await createJson(invalid, key);
      assert.equal(first.status, 400, first.bytes.toString());
      const retry = await createJson(invalid, key);
      assertReplayOf(retry, first);
    });

    it('releases the key when the create fails with a 500, so the retry creates the envelope', async () => {
      const title = `Fault ${randomUUID()}`;
      const key = randomUUID();
      const db = signet.platform.db;
      // An injected fault the service cannot tell from a real one: the insert itself fails.
      await db.exec(`
        create function idempotency_test_fault() returns trigger language plpgsql as
          $$ begin raise exception 'injected fault'; end $$;
        create trigger idempotency_test_fault before insert on envelopes
          for each row execute function idempotency_test_fault();`);
      let failed: Answer;
      try {
        failed = await createJson(envelopeJson(pdf, { title }), key);
      } finally {
        await db.exec(`
          drop trigger idempotency_test_fault on envelopes;
          drop function idempotency_test_fault();`);
      }
      assert.equal(failed.status, 500);
      assert.equal(failed.json.code, 'INTERNAL_ERROR');
      const retry = await createJson(envelopeJson(pdf, { title }), key);
      assert.equal(retry.status, 201, retry.bytes.toString());
      assert.equal(retry.headers.get('idempotent-replayed'), null);
      assert.equal(await envelopesTitled(title), 1);
    });

    it('frees the key after 24 hours: the same request then creates a second envelope', async () => {
      const title = `Day old ${randomUUID()}`;
      const key = randomUUID();
      assert.equal((await createJson(envelopeJson(pdf, { title }), key)).status, 201);
      await signet.platform.db.query(
        `update idempotency_keys set created_at = now() - interval '24 hours 1 minute' where key = $1`,
        [key],
      );
      const later = await createJson(envelopeJson(pdf, { title }), key);
      assert.equal(later.status, 201);
      assert.equal(later.headers.get('idempotent-replayed'), null);
      assert.equal(await envelopesTitled(title), 2);
    });

    it('documents the header on every POST that takes a key, and nowhere else', async () => {
      const document = (await (await fetch(`${signet.url}/api/v1/openapi.json`)).json()) as {
        paths: Record<
          string,
          Record<string, { parameters?: { in: string; name: string }[]; security?: unknown }>
        >;
      };
      const takesKey = (operation: { parameters?: { in: string; name: string }[] }) =>
        (operation.parameters ?? []).some((p) => p.in === 'header' && p.name === 'idempotency-key');
      assert.ok(takesKey(document.paths['/api/v1/envelopes']!.post!));
      assert.ok(takesKey(document.paths['/api/v1/envelopes/{id}/void']!.post!));
      assert.ok(!takesKey(document.paths['/api/v1/envelopes']!.get!));
      for (const [path, operations] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          const expected = method === 'post' && operation.security !== undefined;
          assert.equal(takesKey(operation), expected, `${method.toUpperCase()} ${path}`);
        }
      }
    });
  });
}
