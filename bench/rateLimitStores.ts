import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import {
  databaseRateLimitStore,
  memoryRateLimitStore,
  type RateLimitStore,
} from '../src/http/rateLimitStores.ts';
import { openRedisRateLimitStore } from '../src/http/redisRateLimitStore.ts';
import {
  deleteRedisKeys,
  SHARED_REDIS_URL,
  sharedRedisProblem,
  uniqueRedisPrefix,
} from '../test/support/redis.ts';
import { createPostgresDatabase, pgliteTemplate } from '../test/support/signetHarness.ts';
import { describeMachine } from './machine.ts';
import { type RunPlan, type Sample, timeRuns } from './stats.ts';
import { formatMs, formatRate, type Row, renderMarkdownTable } from './table.ts';

/*
 * What one rate-limit hit costs in each store (src/http/rateLimitStores.ts): latency one at a
 * time, and hits/s with 50 in flight (a burst of parallel requests). A request makes one hit per
 * rule that applies to it: one on the authenticated API, two or three on public routes. The
 * memory store is the reference. Part of `npm run bench` (section "ratelimits"), or alone:
 *   node --import tsx bench/rateLimitStores.ts
 */

export interface StoreMeasurement {
  store: string;
  oneAtATime: Sample;
  /** Hits per second with `inFlight` hits outstanding at all times. */
  concurrentPerSecond: number;
  inFlight: number;
}

export type RateLimitBench = { stores: StoreMeasurement[]; unavailable: string[] };

interface Candidate {
  label: string;
  open(): Promise<{ store: RateLimitStore; close(): Promise<void> } | string>;
}

const IN_FLIGHT = 50;

async function measure(store: RateLimitStore, plan: RunPlan, concurrentHits: number) {
  let key = 0;
  // Distinct keys spread over a few hundred counters, as many clients would.
  const hit = () => store.hit(`bench:${key++ % 500}`, 60_000);
  const oneAtATime = await timeRuns(hit, plan);
  let started = 0;
  const worker = async () => {
    while (started < concurrentHits) {
      started++;
      await hit();
    }
  };
  const begin = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const concurrentPerSecond = (concurrentHits * 1000) / (performance.now() - begin);
  return { oneAtATime, concurrentPerSecond, inFlight: IN_FLIGHT };
}

function databaseCandidate(label: string, connect: () => Promise<{ db: Database; drop(): Promise<void> }>) {
  return {
    label,
    async open() {
      const { db, drop } = await connect();
      await migrate(db);
      return {
        store: databaseRateLimitStore(db),
        async close() {
          await db.close();
          await drop();
        },
      };
    },
  };
}

function candidates(): Candidate[] {
  const list: Candidate[] = [
    {
      label: 'memory (PGlite without Redis)',
      open: async () => ({ store: memoryRateLimitStore(), close: async () => undefined }),
    },
    databaseCandidate('database on PGlite (not used: for comparison)', async () => ({
      db: await openDatabase({ kind: 'pglite', template: await pgliteTemplate() }),
      drop: async () => undefined,
    })),
  ];
  if (process.env.DATABASE_URL) {
    list.push(
      databaseCandidate('database on PostgreSQL (PostgreSQL without Redis)', async () => {
        const postgres = await createPostgresDatabase();
        return { db: await openDatabase({ kind: 'postgres', url: postgres.url }), drop: postgres.drop };
      }),
    );
  }
  list.push({
    label: 'Redis (REDIS_URL set)',
    async open() {
      const problem = await sharedRedisProblem();
      if (problem) return problem;
      const keyPrefix = uniqueRedisPrefix('bench');
      const store = await openRedisRateLimitStore(
        { url: SHARED_REDIS_URL, keyPrefix },
        pino({ level: 'silent' }),
      );
      return {
        store,
        async close() {
          await store.close();
          await deleteRedisKeys(keyPrefix);
        },
      };
    },
  });
  return list;
}

export async function measureRateLimitStores(plan: RunPlan, concurrentHits: number): Promise<RateLimitBench> {
  const stores: StoreMeasurement[] = [];
  const unavailable: string[] = [];
  for (const candidate of candidates()) {
    const opened = await candidate.open();
    if (typeof opened === 'string') {
      unavailable.push(`${candidate.label}: ${opened}`);
      continue;
    }
    try {
      stores.push({ store: candidate.label, ...(await measure(opened.store, plan, concurrentHits)) });
    } finally {
      await opened.close();
    }
  }
  return { stores, unavailable };
}

/** Milliseconds, or microseconds below a tenth of one (a memory hit is well under). */
const formatLatency = (ms: number) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : formatMs(ms));

export function rateLimitRows(bench: RateLimitBench | undefined): Row[] {
  if (!bench) return [];
  const memory = bench.stores.find((entry) => entry.store.startsWith('memory'));
  return [
    ...bench.stores.map((entry) => ({
      measure: `rate-limit hit, ${entry.store}: median / p99 one at a time; ${entry.inFlight} in flight`,
      value: `${formatLatency(entry.oneAtATime.median)} / ${formatLatency(entry.oneAtATime.p99)}; ${formatRate(entry.concurrentPerSecond, 'hits')}`,
      peer: memory ? `memory ${formatLatency(memory.oneAtATime.median)}` : '—',
      ratio:
        memory && entry !== memory
          ? `+${formatLatency(entry.oneAtATime.median - memory.oneAtATime.median)} a hit`
          : '—',
    })),
    ...bench.unavailable.map((reason) => ({
      measure: 'rate-limit hit',
      value: `not measured: ${reason}`,
      peer: '—',
      ratio: '—',
    })),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bench = await measureRateLimitStores({ warmup: 200, runs: 2000 }, 5000);
  process.stdout.write(`${renderMarkdownTable(rateLimitRows(bench), describeMachine())}\n`);
}
