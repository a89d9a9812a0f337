import type { FastifyBaseLogger } from 'fastify';
import { Redis, type Result } from 'ioredis';
import type { RateLimitStore, WindowCount } from './rateLimitStore.ts';

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
 * (enableOfflineQueue: false) and one that gets no answer is given up after ANSWER_DEADLINE_MS.
 */

/** A hung Redis delays a request by at most about this much before it is let through. */
const ANSWER_DEADLINE_MS = 500;
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
        const [count, resetMs] = await withDeadline(
          client.signetRateLimitHit(`${options.keyPrefix}ratelimit:${key}`, Math.ceil(windowMs)),
          ANSWER_DEADLINE_MS,
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

/**
 * `answer`, or an error once `ms` have passed without it. Not ioredis's commandTimeout: after the
 * event loop was busy for longer than the deadline (a burst of requests, a slow machine), timers
 * run before sockets are read, so an answer that had long arrived would count as none and the
 * request would go uncounted. The deadline's timer only schedules the verdict for the check
 * phase of the same turn, after the poll phase has read whatever Redis sent.
 */
function withDeadline<T>(answer: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new Error(`Redis gave no answer within ${ms} ms`));
      });
    }, ms);
    answer.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
