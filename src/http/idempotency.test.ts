import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import { createPostgresDatabase, databaseKinds, pgliteTemplate } from '../../test/support/signetHarness.ts';
import { masterKeyFrom } from '../blobs/blobStore.ts';
import { sealedSecrets } from '../blobs/sealedSecrets.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { SignetError } from '../errors.ts';
import { createApiKey } from '../orgs/apiKeys.ts';
import { registerApiKeyAuth } from './apiKeyAuth.ts';
import { claimIdempotencyKey, MAX_STORED_BODY_BYTES, registerIdempotency } from './idempotency.ts';
import { sweepIdempotencyKeys } from './idempotencyKeys.ts';
import { handleError, handleNotFound } from './problem.ts';
import { MultipartDigest } from './requestFingerprint.ts';

/*
 * The Idempotency-Key plugin alone, on a small app with the real API-key authentication, error
 * handler and database (PGlite, and PostgreSQL when DATABASE_URL is set). Its routes count how
 * often their handler ran: that count is what idempotency is about.
 */

/** A promise the test resolves, to hold a handler in flight for as long as the test needs. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

for (const kind of databaseKinds()) {
  describe(`Idempotency-Key on ${kind}`, () => {
    let db: Database;
    let dropDatabase: (() => Promise<void>) | undefined;
    let app: FastifyInstance;
    let keyA: string;
    let keyB: string;
    let runs = 0;
    /** When set, the next handler run waits for it, after saying it has started. */
    let hold: { started: () => void; until: Promise<void> } | undefined;

    before(async () => {
      if (kind === 'postgres') {
        const postgres = await createPostgresDatabase();
        dropDatabase = postgres.drop;
        db = await openDatabase({ kind: 'postgres', url: postgres.url });
        await migrate(db);
      } else {
        db = await openDatabase({ kind: 'pglite', template: await pgliteTemplate() });
      }
      const organizationId = randomUUID();
      await db.query(`insert into organizations (id, name) values ($1, 'Acme')`, [organizationId]);
      keyA = (await createApiKey(db, { organizationId })).key;
      keyB = (await createApiKey(db, { organizationId })).key;

      app = Fastify();
      app.setErrorHandler(handleError);
      app.setNotFoundHandler(handleNotFound);
      await app.register(multipart);
      // An onSend hook that takes a moment, as hooks doing I/O do: a replay must stop the request
      // even though its answer is not out yet when the hook that sent it returns.
      app.addHook('onSend', async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
      });
      const secrets = sealedSecrets(masterKeyFrom(randomBytes(32)));
      registerApiKeyAuth(app, { db, secrets, publicUrl: 'http://127.0.0.1:3000' });
      registerIdempotency(app, { db, secrets });
      const write = { config: { scope: 'envelopes:write' as const } };

      app.post('/api/v1/things', write, async (request, reply) => {
        runs++;
        const run = runs;
        if (hold) {
          const { started, until } = hold;
          hold = undefined;
          started();
          await until;
        }
        const query = request.query as { fail?: string };
        if (query.fail === '500') throw new Error('injected fault');
        if (query.fail === '429') throw new SignetError('RATE_LIMITED', 'slow down');
        const body = (request.body ?? {}) as { name?: unknown };
        if (typeof body.name !== 'string') {
          throw new SignetError('VALIDATION_FAILED', 'Give the thing a name', [
            { path: 'name', message: 'required' },
          ]);
        }
        return reply
          .status(201)
          .header('location', `/api/v1/things/${run}`)
          .header('x-not-replayed', 'yes')
          .send({ run, name: body.name, secret: `whsec_${run}_shown_once` });
      });
      app.post('/api/v1/things/:id/archive', write, async () => {
        runs++;
        return null;
      });
      app.post('/api/v1/huge', write, async () => {
        runs++;
        return { filler: 'x'.repeat(MAX_STORED_BODY_BYTES) };
      });
      app.post('/api/v1/public', async () => {
        runs++;
        return { run: runs };
      });
      // Reads its multipart body itself and claims the key with the parts' digest.
      app.post(
        '/api/v1/uploads',
        { config: { ...write.config, claimsIdempotencyKey: true } },
        async (request, reply) => {
          const digest = new MultipartDigest();
          for await (const part of request.parts()) {
            if (part.type === 'file') digest.add(part.fieldname, part.filename, await part.toBuffer());
            else digest.add(part.fieldname, undefined, part.value);
          }
          if ((await claimIdempotencyKey(request, reply, digest.digest())) === 'replayed') return reply;
          runs++;
          return reply.status(201).send({ run: runs });
        },
      );
      // Takes multipart but never reads it.
      app.post('/api/v1/pings', write, async () => {
        runs++;
        return { run: runs };
      });
      await app.ready();
    });
    after(async () => {
      await app?.close();
      await db?.close();
      await dropDatabase?.();
    });

    const post = (
      url: string,
      options: {
        key?: string;
        apiKey?: string;
        json?: unknown;
        raw?: string;
        headers?: Record<string, string>;
      },
    ) => {
      const inject: InjectOptions = {
        method: 'POST',
        url,
        headers: {
          authorization: `Bearer ${options.apiKey ?? keyA}`,
          ...(options.key === undefined ? {} : { 'idempotency-key': options.key }),
          ...(options.raw === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      };
      if (options.json !== undefined) inject.payload = options.json as Record<string, unknown>;
      if (options.raw !== undefined) inject.payload = options.raw;
      return app.inject(inject);
    };
    const newKey = () => randomUUID();
    const codeOf = (response: { body: string }) => (JSON.parse(response.body) as { code: string }).code;

    it('replays the first answer byte for byte — status, body, content type, location — and runs once', async () => {
      const key = newKey();
      const before = runs;
      const first = await post('/api/v1/things', { key, json: { name: 'Widget' } });
      assert.equal(first.statusCode, 201);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      const second = await post('/api/v1/things', { key, json: { name: 'Widget' } });
      assert.equal(second.statusCode, 201);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.deepEqual(second.rawPayload, first.rawPayload);
      assert.equal(second.headers['content-type'], first.headers['content-type']);
      assert.equal(second.headers.location, first.headers.location);
      assert.equal(second.headers['x-not-replayed'], undefined, 'only allow-listed headers are replayed');
      assert.equal(runs, before + 1);
    });

    it('takes a retry whose JSON differs only in key order and whitespace for the same request', async () => {
      const key = newKey();
      const before = runs;
      const first = await post('/api/v1/things', { key, raw: '{"name":"Gadget","colour":"red"}' });
      const second = await post('/api/v1/things', { key, raw: '{ "colour" : "red",\n  "name" : "Gadget" }' });
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.deepEqual(second.rawPayload, first.rawPayload);
      assert.equal(runs, before + 1);
    });

    it('refuses the key with another body, path or query (422 IDEMPOTENCY_KEY_REUSED), and runs nothing', async () => {
      const key = newKey();
      assert.equal((await post('/api/v1/things', { key, json: { name: 'A' } })).statusCode, 201);
      const before = runs;
      for (const [url, json] of [
        ['/api/v1/things', { name: 'B' }],
        ['/api/v1/things?colour=red', { name: 'A' }],
        ['/api/v1/things/1/archive', { name: 'A' }],
      ] as const) {
        const reused = await post(url, { key, json });
        assert.equal(reused.statusCode, 422, url);
        assert.equal(codeOf(reused), 'IDEMPOTENCY_KEY_REUSED');
        assert.match(JSON.parse(reused.body).detail, /POST \/api\/v1\/things\b/);
      }
      assert.equal(runs, before);
    });

    it('answers 409 IDEMPOTENCY_KEY_IN_USE with Retry-After while the first request runs, then replays', async () => {
      const key = newKey();
      const release = gate();
      const started = gate();
      hold = { started: started.open, until: release.opened };
      const first = post('/api/v1/things', { key, json: { name: 'Slow' } });
      await started.opened;
      const during = await post('/api/v1/things', { key, json: { name: 'Slow' } });
      assert.equal(during.statusCode, 409);
      assert.equal(codeOf(during), 'IDEMPOTENCY_KEY_IN_USE');
      assert.equal(during.headers['retry-after'], '1');
      // A different body is refused as a different request even while the first still runs.
      assert.equal((await post('/api/v1/things', { key, json: { name: 'Other' } })).statusCode, 422);
      release.open();
      const answered = await first;
      assert.equal(answered.statusCode, 201);
      const after = await post('/api/v1/things', { key, json: { name: 'Slow' } });
      assert.equal(after.headers['idempotent-replayed'], 'true');
      assert.deepEqual(after.rawPayload, answered.rawPayload);
    });

    it('runs exactly one of many concurrent requests with one key', async () => {
      const key = newKey();
      const before = runs;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => post('/api/v1/things', { key, json: { name: 'Race' } })),
      );
      assert.equal(runs, before + 1);
      const created = answers.filter((a) => a.statusCode === 201);
      assert.ok(created.length >= 1);
      for (const answer of created) assert.deepEqual(answer.rawPayload, created[0]!.rawPayload);
      assert.equal(created.filter((a) => a.headers['idempotent-replayed'] === undefined).length, 1);
      for (const answer of answers.filter((a) => a.statusCode !== 201)) {
        assert.equal(answer.statusCode, 409);
        assert.equal(codeOf(answer), 'IDEMPOTENCY_KEY_IN_USE');
      }
    });

    it('keeps and replays a 4xx the request earned, such as a validation error', async () => {
      const key = newKey();
      const before = runs;
      const first = await post('/api/v1/things', { key, json: { colour: 'blue' } });
      assert.equal(first.statusCode, 400);
      assert.equal(codeOf(first), 'VALIDATION_FAILED');
      const second = await post('/api/v1/things', { key, json: { colour: 'blue' } });
      assert.equal(second.statusCode, 400);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.equal(second.headers['content-type'], first.headers['content-type']);
      assert.deepEqual(second.rawPayload, first.rawPayload);
      assert.equal(runs, before + 1);
    });

    it('releases the key after a 500 or a 429, so the retry runs', async () => {
      for (const fail of ['500', '429']) {
        const key = newKey();
        const before = runs;
        const failed = await post(`/api/v1/things?fail=${fail}`, { key, json: { name: 'Flaky' } });
        assert.equal(failed.statusCode, Number(fail));
        const retried = await post(`/api/v1/things?fail=${fail}`, { key, json: { name: 'Flaky' } });
        assert.equal(retried.headers['idempotent-replayed'], undefined);
        assert.equal(runs, before + 2, `the retry after ${fail} ran`);
        const [row] = await db.query('select 1 from idempotency_keys where key = $1', [key]);
        assert.equal(row, undefined);
      }
    });

    it('scopes keys per API key', async () => {
      const key = newKey();
      const before = runs;
      const a = await post('/api/v1/things', { key, json: { name: 'Mine' } });
      const b = await post('/api/v1/things', { key, apiKey: keyB, json: { name: 'Mine' } });
      assert.equal(a.statusCode, 201);
      assert.equal(b.statusCode, 201);
      assert.equal(b.headers['idempotent-replayed'], undefined);
      assert.notDeepEqual(a.rawPayload, b.rawPayload);
      assert.equal(runs, before + 2);
    });

    it('frees a key whose process died once its lease ran out, and the late first answer is not kept', async () => {
      const key = newKey();
      const release = gate();
      const started = gate();
      hold = { started: started.open, until: release.opened };
      const first = post('/api/v1/things', { key, json: { name: 'Orphan' } });
      await started.opened;
      // As if the process holding the claim had died: no renewal, the lease runs out.
      await db.query(`update idempotency_keys set lease_until = now() - interval '1 second' where key = $1`, [
        key,
      ]);
      const retry = await post('/api/v1/things', { key, json: { name: 'Orphan' } });
      assert.equal(retry.statusCode, 201);
      assert.equal(retry.headers['idempotent-replayed'], undefined);
      release.open();
      assert.equal((await first).statusCode, 201);
      const replay = await post('/api/v1/things', { key, json: { name: 'Orphan' } });
      assert.deepEqual(replay.rawPayload, retry.rawPayload, 'the claim that was taken over settles nothing');
    });

    it('frees a key after 24 hours, and the sweep deletes it', async () => {
      const key = newKey();
      const fresh = newKey();
      await post('/api/v1/things', { key, json: { name: 'Old' } });
      await post('/api/v1/things', { key: fresh, json: { name: 'New' } });
      await db.query(
        `update idempotency_keys set created_at = now() - interval '24 hours 1 second' where key = $1`,
        [key],
      );
      const before = runs;
      const again = await post('/api/v1/things', { key, json: { name: 'Old' } });
      assert.equal(again.headers['idempotent-replayed'], undefined);
      assert.equal(runs, before + 1);
      await db.query(`update idempotency_keys set created_at = now() - interval '25 hours' where key = $1`, [
        key,
      ]);
      assert.equal(await sweepIdempotencyKeys(db), 1);
      const left = await db.query<{ key: string }>('select key from idempotency_keys where key = any($1)', [
        [key, fresh],
      ]);
      assert.deepEqual(
        left.map((row) => row.key),
        [fresh],
      );
    });

    it('keeps the answer sealed, never in clear', async () => {
      const key = newKey();
      const answer = await post('/api/v1/things', { key, json: { name: 'Secretive' } });
      const { secret } = JSON.parse(answer.body) as { secret: string };
      const [row] = await db.query<Record<string, unknown>>('select * from idempotency_keys where key = $1', [
        key,
      ]);
      assert.ok(row?.sealed_response_body);
      assert.ok(!JSON.stringify(row).includes(secret));
      assert.ok(!JSON.stringify(row).includes('Secretive'));
    });

    it('replays the answer to a POST without a body, and tells no body from an empty JSON one', async () => {
      const key = newKey();
      const before = runs;
      const first = await post('/api/v1/things/7/archive', { key });
      const second = await post('/api/v1/things/7/archive', { key });
      assert.equal(second.statusCode, first.statusCode);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.deepEqual(second.rawPayload, first.rawPayload);
      assert.equal(runs, before + 1);
      assert.equal((await post('/api/v1/things/7/archive', { key, json: {} })).statusCode, 422);
    });

    it('does not keep an answer over the cap, and says so to a retry instead of running again', async () => {
      const key = newKey();
      const before = runs;
      assert.equal((await post('/api/v1/huge', { key })).statusCode, 200);
      const retry = await post('/api/v1/huge', { key });
      assert.equal(retry.statusCode, 422);
      assert.equal(codeOf(retry), 'IDEMPOTENCY_ANSWER_NOT_KEPT');
      assert.equal(runs, before + 1);
    });

    const form = (boundary: string, parts: { name: string; filename?: string; content: string }[]) => {
      const encoded = parts.map(
        (part) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"` +
          `${part.filename ? `; filename="${part.filename}"\r\nContent-Type: application/pdf` : ''}` +
          `\r\n\r\n${part.content}\r\n`,
      );
      return `${encoded.join('')}--${boundary}--\r\n`;
    };
    const upload = (url: string, key: string, boundary: string, parts: Parameters<typeof form>[1]) =>
      post(url, {
        key,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        raw: form(boundary, parts),
      });
    const parts = [
      { name: 'envelope', content: '{"title":"Lease"}' },
      { name: 'file', filename: 'lease.pdf', content: '%PDF-1.7 lease' },
    ];

    it('matches a multipart retry by its parts, whatever its boundary', async () => {
      const key = newKey();
      const before = runs;
      const first = await upload('/api/v1/uploads', key, 'boundary-one', parts);
      assert.equal(first.statusCode, 201);
      const second = await upload('/api/v1/uploads', key, 'another-boundary-2', parts);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.deepEqual(second.rawPayload, first.rawPayload);
      assert.equal(runs, before + 1);
      const changed = await upload('/api/v1/uploads', key, 'boundary-one', [
        parts[0]!,
        { ...parts[1]!, content: '%PDF-1.7 another lease' },
      ]);
      assert.equal(changed.statusCode, 422);
      assert.equal(codeOf(changed), 'IDEMPOTENCY_KEY_REUSED');
      assert.equal(runs, before + 1);
    });

    it('still claims a multipart body on a route that does not read it, before its handler', async () => {
      const key = newKey();
      const before = runs;
      const first = await upload('/api/v1/pings', key, 'b1', parts);
      const second = await upload('/api/v1/pings', key, 'b2', parts);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.deepEqual(second.rawPayload, first.rawPayload);
      assert.equal(runs, before + 1);
    });

    it('refuses a malformed key with 400 IDEMPOTENCY_KEY_INVALID before the handler runs', async () => {
      const before = runs;
      for (const key of ['', 'x'.repeat(256), '"unterminated']) {
        const refused = await post('/api/v1/things', { key, json: { name: 'Bad key' } });
        assert.equal(refused.statusCode, 400, JSON.stringify(key));
        assert.equal(codeOf(refused), 'IDEMPOTENCY_KEY_INVALID');
      }
      assert.equal(runs, before);
    });

    it('treats the quoted (Structured Field) and the bare form of a key as one key', async () => {
      const key = newKey();
      const first = await post('/api/v1/things', { key: `"${key}"`, json: { name: 'Quoted' } });
      const second = await post('/api/v1/things', { key, json: { name: 'Quoted' } });
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.deepEqual(second.rawPayload, first.rawPayload);
    });

    it('leaves requests without a key, and routes without a principal, alone', async () => {
      const before = runs;
      await post('/api/v1/things', { json: { name: 'No key' } });
      await post('/api/v1/things', { json: { name: 'No key' } });
      const key = newKey();
      const publicRoute = { key, headers: { authorization: '' } };
      const one = await post('/api/v1/public', publicRoute);
      const two = await post('/api/v1/public', publicRoute);
      assert.equal(two.headers['idempotent-replayed'], undefined);
      assert.notDeepEqual(one.rawPayload, two.rawPayload);
      assert.equal(runs, before + 4);
    });
  });
}
