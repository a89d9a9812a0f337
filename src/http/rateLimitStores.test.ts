import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import {
  deleteRedisKeys,
  type PrivateRedis,
  redisServerProblem,
  SHARED_REDIS_URL,
  sharedRedisProblem,
  startPrivateRedis,
  uniqueRedisPrefix,
} from '../../test/support/redis.ts';
import {
  createPostgresDatabase,
  databaseKinds,
  eventually,
  freePort,
  pgliteTemplate,
} from '../../test/support/signetHarness.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import {
  chooseRateLimitStore,
  databaseRateLimitStore,
  memoryRateLimitStore,
  type RateLimitStore,
} from './rateLimitStores.ts';
import { openRedisRateLimitStore } from './redisRateLimitStore.ts';

/*
 * Every store against the same contract, on real peers: PGlite and PostgreSQL (when
 * DATABASE_URL is set), the shared Redis (keys under a prefix of this suite's own), and a
 * private redis-server that the fail-open tests stop and start again.
 */

/** A logger that keeps what it was told, to check what an outage logs. */
function recordingLog() {
  const lines: { level: 'warn' | 'info'; message: string }[] = [];
  const record =
    (level: 'warn' | 'info') =>
    (...args: unknown[]) => {
      lines.push({ level, message: String(args.find((arg) => typeof arg === 'string') ?? '') });
    };
  const log = { warn: record('warn'), info: record('info') } as unknown as Pick<
    FastifyBaseLogger,
    'warn' | 'info'
  >;
  return { log, lines };
}

interface StoreUnderTest {
  name: string;
  open(): Promise<{ store: RateLimitStore; cleanUp(): Promise<void> }>;
}

const redisProblem = await sharedRedisProblem();

const stores: StoreUnderTest[] = [
  { name: 'memory', open: async () => ({ store: memoryRateLimitStore(), cleanUp: async () => undefined }) },
  ...databaseKinds().map(
    (kind): StoreUnderTest => ({
      name: `database on ${kind}`,
      async open() {
        const postgres = kind === 'postgres' ? await createPostgresDatabase() : undefined;
        // PGlite from the harness's migrated template: initdb would cost seconds.
        const db: Database = await openDatabase(
          postgres
            ? { kind: 'postgres', url: postgres.url }
            : { kind: 'pglite', template: await pgliteTemplate() },
        );
        await migrate(db);
        return {
          store: databaseRateLimitStore(db),
          async cleanUp() {
            await db.close();
            await postgres?.drop();
          },
        };
      },
    }),
  ),
  {
    name: 'redis',
    async open() {
      const keyPrefix = uniqueRedisPrefix('stores');
      const store = await openRedisRateLimitStore({ url: SHARED_REDIS_URL, keyPrefix }, recordingLog().log);
      return {
        store,
        async cleanUp() {
          await store.close();
          await deleteRedisKeys(keyPrefix);
        },
      };
    },
  },
];

for (const candidate of stores) {
  const skip = candidate.name === 'redis' ? redisProblem : undefined;
  describe(`the ${candidate.name} rate-limit store`, { skip }, () => {
    let store: RateLimitStore;
    let cleanUp: () => Promise<void>;
    before(async () => {
      ({ store, cleanUp } = await candidate.open());
    });
    after(async () => cleanUp?.());

    it('counts 50 hits sent at once as exactly 1 … 50, none lost or doubled', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => store.hit('parallel', 60_000)));
      const counts = results.map((result) => result?.count).sort((a, b) => (a ?? 0) - (b ?? 0));
      assert.deepEqual(
        counts,
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    });

    it('keeps one count per key, and says how long the window has left', async () => {
      await store.hit('alice', 60_000);
      const second = await store.hit('alice', 60_000);
      const other = await store.hit('bob', 60_000);
      assert.equal(second?.count, 2);
      assert.equal(other?.count, 1);
      assert.ok(second && second.resetMs > 0 && second.resetMs <= 60_000, `resetMs ${second?.resetMs}`);
      assert.equal(store.health().counting, true);
    });

    it('starts a new window once the last one has ended', async () => {
      assert.equal((await store.hit('short', 200))?.count, 1);
      assert.equal((await store.hit('short', 200))?.count, 2);
      await sleep(400);
      assert.equal((await store.hit('short', 200))?.count, 1);
    });
  });
}

describe('the memory store', () => {
  it('forgets windows that ended, so memory does not grow with every address ever seen', async () => {
    let now = 1_000_000;
    const store = memoryRateLimitStore(() => now);
    for (let i = 0; i < 100; i++) await store.hit(`address-${i}`, 60_000);
    assert.equal(store.windows(), 100);
    now += 30_000;
    await store.hit('address-0', 60_000);
    assert.equal(store.windows(), 100, 'windows still open are kept');
    now += 31_000;
    assert.equal((await store.hit('later', 60_000))?.count, 1);
    assert.equal(store.windows(), 1, 'the 100 ended windows were dropped at the first hit a minute on');
  });
});

describe('which store counts', () => {
  const table: [
    string,
    { redis: { url: string; keyPrefix: string } | undefined },
    'pglite' | 'postgres',
    string,
  ][] = [
    [
      'Redis when REDIS_URL is set, on PGlite',
      { redis: { url: 'redis://r', keyPrefix: 's:' } },
      'pglite',
      'redis',
    ],
    [
      'Redis when REDIS_URL is set, on PostgreSQL',
      { redis: { url: 'redis://r', keyPrefix: 's:' } },
      'postgres',
      'redis',
    ],
    [
      'the database on PostgreSQL without Redis (shared by instances)',
      { redis: undefined },
      'postgres',
      'database',
    ],
    ['memory on PGlite without Redis (one process only)', { redis: undefined }, 'pglite', 'memory'],
  ];
  for (const [what, config, databaseKind, expected] of table) {
    it(`chooses ${what}`, () => assert.equal(chooseRateLimitStore(config, databaseKind), expected));
  }
});

describe('the Redis store when Redis is down, hung, or answered while the process was busy', {
  skip: redisServerProblem(),
}, () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await startPrivateRedis();
  });
  after(async () => redis?.stop());

  it('lets requests through uncounted, warns once, and counts again once Redis is back', async () => {
    const { log, lines } = recordingLog();
    const store = await openRedisRateLimitStore({ url: redis.url, keyPrefix: 'down:' }, log);
    try {
      assert.equal((await store.hit('k', 60_000))?.count, 1);
      await redis.stop();
      const whileDown = await Promise.all([1, 2, 3].map(() => store.hit('k', 60_000)));
      assert.deepEqual(whileDown, [undefined, undefined, undefined], 'failing open');
      assert.deepEqual(store.health(), { store: 'redis', counting: false });
      assert.equal(lines.filter((line) => line.level === 'warn').length, 1, 'one warning per outage');
      assert.match(lines[0]?.message ?? '', /not counted/);

      await redis.start();
      const counted = await eventually(async () => (await store.hit('k', 60_000)) ?? undefined, 'Redis back');
      // The restarted server is empty: counting starts again from 1.
      assert.equal(counted.count, 1);
      assert.deepEqual(store.health(), { store: 'redis', counting: true });
      assert.ok(lines.some((line) => line.level === 'info' && /again/.test(line.message)));
    } finally {
      await store.close();
    }
  });

  it('counts hits Redis answered while the event loop was busy for longer than the deadline', async () => {
    const { log, lines } = recordingLog();
    const store = await openRedisRateLimitStore({ url: redis.url, keyPrefix: 'busy:' }, log);
    try {
      const hits = Array.from({ length: 50 }, () => store.hit('k', 60_000));
      // A burst of CPU work (or a starved process) holds the loop past the 0.5 s deadline.
      const until = Date.now() + 1500;
      while (Date.now() < until) {}
      const counts = (await Promise.all(hits)).map((hit) => hit?.count).sort((a, b) => (a ?? 0) - (b ?? 0));
      assert.deepEqual(
        counts,
        Array.from({ length: 50 }, (_, i) => i + 1),
        'counted, not let through as if Redis were down',
      );
      assert.equal(lines.length, 0);
    } finally {
      await store.close();
    }
  });

  it('lets a request through when Redis accepts the connection but does not answer', async () => {
    const { log } = recordingLog();
    const store = await openRedisRateLimitStore({ url: redis.url, keyPrefix: 'hung:' }, log);
    const admin = redis.client();
    try {
      assert.equal((await store.hit('k', 60_000))?.count, 1);
      // Every client waits 5 s for an answer: the hit gives up long before (COMMAND_TIMEOUT_MS).
      await admin.client('PAUSE', 5_000, 'ALL');
      assert.equal(await store.hit('k', 60_000), undefined);
      assert.equal(store.health().counting, false);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it('starts even when Redis is unreachable from the first moment, and fails open', async () => {
    const { log, lines } = recordingLog();
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const store = await openRedisRateLimitStore({ url: nowhere, keyPrefix: 'never:' }, log);
    try {
      assert.equal(await store.hit('k', 60_000), undefined);
      assert.equal(store.health().counting, false);
      assert.equal(lines.filter((line) => line.level === 'warn').length, 1);
    } finally {
      await store.close();
    }
  });
});
