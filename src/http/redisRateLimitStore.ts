import type { FastifyBaseLogger } from 'fastify';
import { Redis, type Result } from 'ioredis';
import type { RateLimitStore, WindowCount } from './rateLimitStores.ts';

/*
 * Rate limits counted in Redis (REDIS_URL), shared by every instance. One hit is one script run
 * on the server — INCR, then PEXPIRE when the key has no expiry yet — so it is atomic however
 * many instances and requests race, and costs one round trip.
 *
 * When Redis cannot be reached, requests are let through uncounted (fail open) and a warning is
 * logged once per outage; /readyz reports it. Why open rather than 503: the limits shape
 * traffic, while what guards secrets does not depend on them — wrong passwords lock an
 * account, wrong codes lock an identity check, both counted in the database — so a Redis
 * outage should not take signing down with it (Stripe-style APIs make the same trade). A
 * request never waits for Redis to come back: commands are not queued while disconnected
 * (enableOfflineQueue: false) and one that gets no answer fails after COMMAND_TIMEOUT_MS.
 */

/** A hung Redis delays a request by at most this much before it is let through. */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;
/** Reconnects for ever, every 0.2 s, 0.4 s … at most every 2 s. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 200, 2000);

/** KEYS[1] the counter, ARGV[1] the window in ms. Returns {hits in the window, ms left}. */
const HIT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    signetRateLimitHit(key: string, windowMs: number): Result<[number, number], Context>;
  }
}

export interface RedisStoreOptions {
  url: string;
  /** Before every key, so several installations (or tests) can share one Redis. */
  keyPrefix: string;
}

type StoreLog = Pick<FastifyBaseLogger, 'warn' | 'info'>;

/**
 * Connects (waiting at most CONNECT_TIMEOUT_MS) and returns the store. An unreachable Redis
 * does not stop the start: the store fails open and keeps reconnecting.
 */
export async function openRedisRateLimitStore(
  options: RedisStoreOptions,
  log: StoreLog,
): Promise<RateLimitStore> {
  const client = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectDelay,
  });
  client.defineCommand('signetRateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });

  // One warning when counting stops, one note when it resumes: not one line per request.
  let failingOpen = false;
  const stoppedCounting = (reason: string) => {
    if (failingOpen) return;
    failingOpen = true;
    log.warn(
      { rateLimitStore: 'redis', reason },
      'Redis is unreachable: rate limits are not counted (requests are let through) until it is back',
    );
  };
  // Without a listener every failed reconnect would be printed as an unhandled error event.
  client.on('error', (error: Error) => stoppedCounting(error.message));
  client.on('close', () => stoppedCounting('connection closed'));
  const countingAgain = () => {
    if (!failingOpen) return;
    failingOpen = false;
    log.info({ rateLimitStore: 'redis' }, 'Redis is reachable again: rate limits are counted');
  };
  client.on('ready', countingAgain);

  try {
    await client.connect();
  } catch (error) {
    stoppedCounting(error instanceof Error ? error.message : String(error));
  }

  return {
    kind: 'redis',
    async hit(key, windowMs): Promise<WindowCount | undefined> {
      try {
        const [count, resetMs] = await client.signetRateLimitHit(
          `${options.keyPrefix}ratelimit:${key}`,
          Math.ceil(windowMs),
        );
        // After a command timed out the connection may never have dropped: an answer is the sign.
        countingAgain();
        return { count: Number(count), resetMs: Number(resetMs) };
      } catch (error) {
        stoppedCounting(error instanceof Error ? error.message : String(error));
        return undefined;
      }
    },
    health: () => ({ store: 'redis', counting: client.status === 'ready' && !failingOpen }),
    async close() {
      client.removeAllListeners('close');
      client.disconnect();
    },
  };
}
