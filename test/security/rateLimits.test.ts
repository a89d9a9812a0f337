import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../../src/orgs/apiKeys.ts';
import { type CreatedOrganization, createOrganization } from '../../src/orgs/organizations.ts';
import {
  deleteRedisKeys,
  type PrivateRedis,
  redisServerProblem,
  SHARED_REDIS_URL,
  sharedRedisProblem,
  startPrivateRedis,
  uniqueRedisPrefix,
} from '../support/redis.ts';
import {
  createTestOrganization,
  type DatabaseKind,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * Rate limits through the real routes: per API key or staff session on the authenticated API,
 * per client address on public routes, the RateLimit-Policy / RateLimit fields
 * (draft-ietf-httpapi-ratelimit-headers) on every limited answer, 429 with Retry-After; on each
 * database with the store it gets without Redis (PGlite: memory; PostgreSQL: the database), and
 * with Redis shared by two instances; and what happens when Redis goes away.
 */

const API_LIMIT = 20;
const PUBLIC_LIMIT = 30;
const LIMITS = {
  RATE_LIMIT_API_PER_MINUTE: String(API_LIMIT),
  RATE_LIMIT_PUBLIC_PER_MINUTE: String(PUBLIC_LIMIT),
};

/** `count` copies of a request, all sent at once. */
const inParallel = <T>(count: number, send: (index: number) => Promise<T>) =>
  Promise.all(Array.from({ length: count }, (_, index) => send(index)));

const asBearer = (token: string) => ({ authorization: `Bearer ${token}` });

const getWith = (app: FastifyInstance, url: string, token: string) =>
  app.inject({ method: 'GET', url, headers: asBearer(token), remoteAddress: '192.0.2.50' });

const getFrom = (app: FastifyInstance, url: string, remoteAddress: string) =>
  app.inject({ method: 'GET', url, remoteAddress });

/** The seconds a RateLimit field gives its window, checked to be a sane number. */
function windowSecondsIn(field: unknown, pattern: RegExp): number {
  const match = pattern.exec(String(field));
  assert.ok(match?.[1], `RateLimit ${String(field)} does not match ${pattern}`);
  const seconds = Number(match[1]);
  assert.ok(seconds >= 1 && seconds <= 60, `t=${seconds}`);
  return seconds;
}

const statusCounts = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((counts, status) => {
    counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }, {});

const storeWithoutRedis: Record<DatabaseKind, string> = { pglite: 'memory', postgres: 'database' };

for (const kind of databaseKinds()) {
  describe(`rate limits on ${kind}, counted in ${storeWithoutRedis[kind]}`, () => {
    let signet: TestSignet;
    let organization: CreatedOrganization;

    before(async () => {
      signet = await startTestSignet(kind, LIMITS);
      organization = await createOrganization(signet.platform.db, {
        name: 'Limited Ltd',
        adminEmail: 'owner@limited.test',
        adminName: 'Olive',
      });
    });
    after(async () => signet?.stop());

    const freshKey = async () =>
      (await createApiKey(signet.platform.db, { organizationId: organization.organizationId })).key;

    it('counts in the store this configuration calls for', () => {
      assert.equal(signet.platform.rateLimits.kind, storeWithoutRedis[kind]);
    });

    it('tells an API client its policy and what is left of it, on every authenticated route', async () => {
      const first = await getWith(signet.app, '/api/v1/envelopes', organization.apiKey);
      assert.equal(first.statusCode, 200);
      assert.equal(first.headers['ratelimit-policy'], `"api";q=${API_LIMIT};w=60`);
      windowSecondsIn(first.headers.ratelimit, new RegExp(`^"api";r=${API_LIMIT - 1};t=(\\d+)$`));
      // Another route, the same key: the same budget.
      const second = await getWith(signet.app, '/api/v1/organization/signature-policy', organization.apiKey);
      assert.equal(second.statusCode, 200);
      windowSecondsIn(second.headers.ratelimit, new RegExp(`^"api";r=${API_LIMIT - 2};t=(\\d+)$`));
      // An answer the route refuses still says where the key stands.
      const missing = await getWith(
        signet.app,
        '/api/v1/envelopes/00000000-0000-4000-8000-000000000000',
        organization.apiKey,
      );
      assert.equal(missing.statusCode, 404);
      windowSecondsIn(missing.headers.ratelimit, new RegExp(`^"api";r=${API_LIMIT - 3};t=(\\d+)$`));
    });

    it('tells a public client every policy that applies to it, per address', async () => {
      const answer = await getFrom(signet.app, '/pki/root.pem', '198.51.100.61');
      assert.equal(answer.statusCode, 200);
      assert.equal(
        answer.headers['ratelimit-policy'],
        `"public";q=${PUBLIC_LIMIT};w=60, "pki-ip";q=600;w=60`,
      );
      windowSecondsIn(
        answer.headers.ratelimit,
        new RegExp(`^"public";r=${PUBLIC_LIMIT - 1};t=(\\d+), "pki-ip";r=599;t=\\d+$`),
      );
      const unknown = await getFrom(signet.app, '/no/such/page', '198.51.100.61');
      assert.equal(unknown.statusCode, 404);
      windowSecondsIn(unknown.headers.ratelimit, new RegExp(`^"public";r=${PUBLIC_LIMIT - 2};t=(\\d+)$`));
      const health = await getFrom(signet.app, '/healthz', '198.51.100.61');
      assert.equal(health.headers.ratelimit, undefined, 'health checks are never limited');
    });

    it(`lets exactly ${API_LIMIT} of 50 parallel requests with one API key through; the rest get 429 with Retry-After`, async () => {
      const key = await freshKey();
      const answers = await inParallel(50, () => getWith(signet.app, '/api/v1/envelopes', key));
      assert.deepEqual(statusCounts(answers.map((a) => a.statusCode)), {
        200: API_LIMIT,
        429: 50 - API_LIMIT,
      });
      const refused = answers.find((a) => a.statusCode === 429);
      assert.ok(refused);
      assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(refused.json().code, 'RATE_LIMITED');
      assert.equal(refused.headers['ratelimit-policy'], `"api";q=${API_LIMIT};w=60`);
      const t = windowSecondsIn(refused.headers.ratelimit, /^"api";r=0;t=(\d+)$/);
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= t, `Retry-After ${retryAfter} ≥ t=${t}`);
    });

    it('keeps each API key and each staff session to a budget of its own', async () => {
      const spent = await freshKey();
      await inParallel(API_LIMIT + 1, () => getWith(signet.app, '/api/v1/envelopes', spent));
      assert.equal((await getWith(signet.app, '/api/v1/envelopes', spent)).statusCode, 429);

      const other = await getWith(signet.app, '/api/v1/envelopes', await freshKey());
      assert.equal(other.statusCode, 200, 'another key of the same organisation is not affected');
      windowSecondsIn(other.headers.ratelimit, new RegExp(`^"api";r=${API_LIMIT - 1};t=(\\d+)$`));

      const signIn = await signet.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        payload: { email: organization.adminEmail, password: organization.adminPassword },
        remoteAddress: '192.0.2.51',
      });
      assert.equal(signIn.statusCode, 200, signIn.body);
      const session = await getWith(signet.app, '/api/v1/auth/me', signIn.json().token);
      assert.equal(session.statusCode, 200);
      windowSecondsIn(session.headers.ratelimit, new RegExp(`^"api";r=${API_LIMIT - 1};t=(\\d+)$`));
      assert.equal((await getWith(signet.app, '/api/v1/envelopes', spent)).statusCode, 429, 'still spent');
    });

    it(`lets exactly ${PUBLIC_LIMIT} of 50 parallel requests from one address through, and no fewer from another`, async () => {
      const answers = await inParallel(50, () => getFrom(signet.app, '/pki/root.pem', '198.51.100.62'));
      assert.deepEqual(statusCounts(answers.map((a) => a.statusCode)), {
        200: PUBLIC_LIMIT,
        429: 50 - PUBLIC_LIMIT,
      });
      const refused = answers.find((a) => a.statusCode === 429);
      assert.ok(Number(refused?.headers['retry-after']) >= 1);
      assert.equal((await getFrom(signet.app, '/pki/root.pem', '198.51.100.63')).statusCode, 200);
    });
  });
}

const redisProblem = await sharedRedisProblem();

for (const kind of databaseKinds()) {
  const sharing =
    kind === 'postgres' ? 'one PostgreSQL database and one Redis' : 'one Redis (each its own PGlite)';
  describe(`rate limits shared by two instances on ${sharing}`, { skip: redisProblem }, () => {
    const keyPrefix = uniqueRedisPrefix('two-instances');
    let first: TestSignet;
    let second: TestSignet;
    let apiKey: string;

    before(async () => {
      const env = { ...LIMITS, REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix };
      first = await startTestSignet(kind, env);
      second = await startTestSignet(kind, {
        ...env,
        ...(first.databaseUrl ? { DATABASE_URL: first.databaseUrl } : {}),
      });
      ({ apiKey } = await createTestOrganization(first));
    });
    after(async () => {
      await second?.stop();
      await first?.stop();
      await deleteRedisKeys(keyPrefix);
    });

    it('counts in Redis on both', async () => {
      assert.equal(first.platform.rateLimits.kind, 'redis');
      assert.equal(second.platform.rateLimits.kind, 'redis');
      const ready = await getFrom(second.app, '/readyz', '192.0.2.70');
      assert.deepEqual(ready.json().rateLimits, { store: 'redis', counting: true });
    });

    it(`counts an address's requests to either instance against one limit: exactly ${PUBLIC_LIMIT} of 50 pass`, async () => {
      const answers = await inParallel(50, (i) =>
        getFrom(i % 2 ? second.app : first.app, '/pki/root.pem', '198.51.100.71'),
      );
      assert.deepEqual(statusCounts(answers.map((a) => a.statusCode)), {
        200: PUBLIC_LIMIT,
        429: 50 - PUBLIC_LIMIT,
      });
      const refusedBy = new Set(
        answers.filter((a) => a.statusCode === 429).map((a) => a.headers['x-request-id']),
      );
      assert.equal(refusedBy.size, 50 - PUBLIC_LIMIT);
    });

    it('shows a hit on one instance in the next answer of the other', async () => {
      const one = await getFrom(first.app, '/pki/root.pem', '198.51.100.72');
      const other = await getFrom(second.app, '/pki/root.pem', '198.51.100.72');
      windowSecondsIn(one.headers.ratelimit, new RegExp(`^"public";r=${PUBLIC_LIMIT - 1};t=(\\d+),`));
      windowSecondsIn(other.headers.ratelimit, new RegExp(`^"public";r=${PUBLIC_LIMIT - 2};t=(\\d+),`));
    });

    if (kind === 'postgres') {
      it(`counts an API key's requests to either instance against one limit: exactly ${API_LIMIT} of 50 pass`, async () => {
        const answers = await inParallel(50, (i) =>
          getWith(i % 2 ? second.app : first.app, '/api/v1/envelopes', apiKey),
        );
        assert.deepEqual(statusCounts(answers.map((a) => a.statusCode)), {
          200: API_LIMIT,
          429: 50 - API_LIMIT,
        });
      });
    }
  });
}

describe('rate limits when Redis goes away', { skip: redisServerProblem() }, () => {
  let redis: PrivateRedis;
  let signet: TestSignet;
  let apiKey: string;

  before(async () => {
    redis = await startPrivateRedis();
    signet = await startTestSignet('pglite', { REDIS_URL: redis.url, RATE_LIMIT_API_PER_MINUTE: '5' });
    ({ apiKey } = await createTestOrganization(signet));
  });
  after(async () => {
    await signet?.stop();
    await redis?.stop();
  });

  it('lets requests through uncounted while Redis is down, reports it on /readyz, and counts again once it is back', async () => {
    const counted = await getWith(signet.app, '/api/v1/envelopes', apiKey);
    assert.equal(counted.headers.ratelimit?.toString().startsWith('"api";r=4;'), true);
    const ready = await getFrom(signet.app, '/readyz', '192.0.2.80');
    assert.deepEqual([ready.statusCode, ready.json().status], [200, 'ready']);

    await redis.stop();
    // Twice the limit, and every one answered: failing open, not 429 and not 5xx.
    const whileDown = await inParallel(10, () => getWith(signet.app, '/api/v1/envelopes', apiKey));
    assert.deepEqual(statusCounts(whileDown.map((a) => a.statusCode)), { 200: 10 });
    for (const answer of whileDown) {
      assert.equal(answer.headers.ratelimit, undefined, 'no count to report');
      assert.equal(answer.headers['ratelimit-policy'], '"api";q=5;w=60', 'the policy still stands');
    }
    const degraded = await getFrom(signet.app, '/readyz', '192.0.2.80');
    assert.equal(degraded.statusCode, 200, 'still ready: the instance serves requests');
    assert.deepEqual(degraded.json(), {
      status: 'degraded',
      database: 'pglite',
      rateLimits: { store: 'redis', counting: false },
    });

    await redis.start();
    const back = await eventually(async () => {
      const answer = await getWith(signet.app, '/api/v1/envelopes', apiKey);
      return answer.headers.ratelimit === undefined ? undefined : answer;
    }, 'counting again');
    // The restarted Redis is empty: this is the first request of a new window.
    assert.match(String(back.headers.ratelimit), /^"api";r=4;t=\d+$/);
    assert.equal((await getFrom(signet.app, '/readyz', '192.0.2.80')).json().status, 'ready');
  });
});
