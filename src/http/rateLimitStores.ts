import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config.ts';
import type { Database, Sql } from '../db/database.ts';
import type { RateLimitStore, RateLimitStoreKind, WindowCount } from './rateLimitStore.ts';
import { openRedisRateLimitStore } from './redisRateLimitStore.ts';

/*
 * Where rate limits are counted. Every store counts a fixed window per key: the first hit opens
 * a window of `windowMs`, every hit in it adds one, and the next hit after it opens a new one.
 * Each hit is one atomic step (an INCR in a Lua script, one upsert, one synchronous map update),
 * so parallel requests never share a stale count: 50 requests at once against a limit of 20
 * let exactly 20 through.
 *
 * Which store (chooseRateLimitStore):
 *   REDIS_URL set          → Redis: shared by every instance, ~0.2 ms a hit, no database write.
 *   PostgreSQL, no Redis   → the database (migrations 008, 012): still shared by every
 *                            instance — an in-process count would not be once there are two —
 *                            at the price of one upsert a hit (~0.5 ms: the table is unlogged,
 *                            so no WAL flush), and a row per key, swept hourly.
 *   PGlite, no Redis       → memory: PGlite is one process (its pid lock refuses a second), so
 *                            memory is as shared as the database would be, and a hit costs no
 *                            write on the single connection every request's queries share.
 *                            Counts restart with the process; lockouts that matter for security
 *                            (wrong passwords, wrong codes) are counted in the database anyway.
 * `npm run bench` (bench/rateLimitStores.ts) measures each.
 */

export type {
  RateLimitStore,
  RateLimitStoreHealth,
  RateLimitStoreKind,
  WindowCount,
} from './rateLimitStore.ts';

/** Redis when configured; else the database when it is PostgreSQL (shared); else memory. */
export function chooseRateLimitStore(
  config: Pick<Config, 'redis'>,
  databaseKind: Database['kind'],
): RateLimitStoreKind {
  if (config.redis) return 'redis';
  return databaseKind === 'postgres' ? 'database' : 'memory';
}

/** Opens the store the configuration chooses; an unreachable Redis is logged, not fatal. */
export async function openRateLimitStore(
  config: Pick<Config, 'redis'>,
  db: Database,
  log: Pick<FastifyBaseLogger, 'warn' | 'info'>,
): Promise<RateLimitStore> {
  const kind = chooseRateLimitStore(config, db.kind);
  if (kind === 'redis' && config.redis) return openRedisRateLimitStore(config.redis, log);
  return kind === 'database' ? databaseRateLimitStore(db) : memoryRateLimitStore();
}

/** Counts in the database: one atomic upsert per hit (migration 008's table). */
export function databaseRateLimitStore(sql: Sql): RateLimitStore {
  return {
    kind: 'database',
    hit: (key, windowMs) => countHitInDatabase(sql, key, windowMs),
    // The database's own health is /readyz's first check; this store has none of its own.
    health: () => ({ store: 'database', counting: true }),
    close: async () => undefined,
  };
}

/** One hit on `key` in a fixed window of `windowMs`: the window's count so far, and its time left. */
export async function countHitInDatabase(sql: Sql, key: string, windowMs: number): Promise<WindowCount> {
  const [row] = await sql.query<{ hits: number; ttl_ms: number }>(
    `insert into rate_limit_counters as c (key, window_started_at, hits) values ($1, now(), 1)
     on conflict (key) do update set
       window_started_at = case when c.window_started_at <= now() - make_interval(secs => $2::float8)
                                then now() else c.window_started_at end,
       hits = case when c.window_started_at <= now() - make_interval(secs => $2::float8)
                   then 1 else c.hits + 1 end
     returning hits,
       greatest(0, extract(epoch from (window_started_at + make_interval(secs => $2::float8) - now())) * 1000)::float8 as ttl_ms`,
    [key, windowMs / 1000],
  );
  return { count: Number(row?.hits ?? 1), resetMs: Math.ceil(Number(row?.ttl_ms ?? windowMs)) };
}

/** Deletes counters whose window ended long ago (the longest rule is an hour). */
export async function sweepRateLimitCounters(sql: Sql): Promise<void> {
  await sql.query(`delete from rate_limit_counters where window_started_at < now() - interval '1 day'`);
}

/** How often the memory store drops windows that have ended. */
const MEMORY_SWEEP_MS = 60_000;

/**
 * Counts in this process's memory. A hit is one synchronous map update, so it is atomic on the
 * event loop. Ended windows are dropped at most once a minute, on the next hit.
 */
export function memoryRateLimitStore(
  now: () => number = Date.now,
): RateLimitStore & { /** Windows held (tests). */ windows(): number } {
  const windows = new Map<string, { count: number; endsAt: number }>();
  let nextSweepAt = now() + MEMORY_SWEEP_MS;
  const sweep = (at: number) => {
    for (const [key, window] of windows) if (window.endsAt <= at) windows.delete(key);
    nextSweepAt = at + MEMORY_SWEEP_MS;
  };
  return {
    kind: 'memory',
    async hit(key, windowMs) {
      const at = now();
      if (at >= nextSweepAt) sweep(at);
      let window = windows.get(key);
      if (!window || window.endsAt <= at) {
        window = { count: 0, endsAt: at + windowMs };
        windows.set(key, window);
      }
      window.count += 1;
      return { count: window.count, resetMs: window.endsAt - at };
    },
    health: () => ({ store: 'memory', counting: true }),
    windows: () => windows.size,
    async close() {
      windows.clear();
    },
  };
}
