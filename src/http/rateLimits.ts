import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Database, Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';

/*
 * Rate limits counted in the database (SPEC §L: they must hold across instances and under
 * parallel requests). @fastify/rate-limit does the HTTP side (key generation, windows,
 * headers); its pluggable store is this one, where each hit is one atomic upsert, so twenty
 * parallel requests are twenty hits on every instance, never a lost update.
 *
 * A route may be limited by several keys at once — per client IP, and per recipient (the
 * signing link) or per account — each its own named rule with its own count.
 */

export interface RateRule {
  /** Names the counter (with the key). */
  name: string;
  /** What the 429 says there were too many of, e.g. "sign-in attempts from this address". */
  what: string;
  max: number;
  perSeconds: number;
  /** The key this rule counts by; undefined skips the rule for this request. */
  key: (request: FastifyRequest) => string | undefined;
}

interface StoreResult {
  current: number;
  ttl: number;
}

/** What the plugin hands a store's `child`: a rule's options merged into the route's. */
interface RuleOptions {
  namespace?: string;
}

/** Registers the limiter once for the whole app, counting in `db`. */
export async function registerRateLimits(app: FastifyInstance, db: Database): Promise<void> {
  class DatabaseStore {
    readonly #namespace: string;
    constructor(options: RuleOptions = {}) {
      this.#namespace = options.namespace ?? 'global';
    }
    incr(key: string, callback: (error: Error | null, result?: StoreResult) => void, timeWindowMs: number) {
      countHit(db, `${this.#namespace}:${key}`, timeWindowMs).then(
        (result) => callback(null, result),
        (error: Error) => callback(error),
      );
    }
    child(options: object) {
      return new DatabaseStore(options as RuleOptions);
    }
  }
  await app.register(rateLimit, { global: false, store: DatabaseStore });
}

/** One hit on `key` in a fixed window of `windowMs`: the window's count so far, and its time left. */
export async function countHit(sql: Sql, key: string, windowMs: number): Promise<StoreResult> {
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
  return { current: Number(row?.hits ?? 1), ttl: Math.ceil(Number(row?.ttl_ms ?? windowMs)) };
}

/** Deletes counters whose window ended long ago (the longest rule is an hour). */
export async function sweepRateLimitCounters(sql: Sql): Promise<void> {
  await sql.query(`delete from rate_limit_counters where window_started_at < now() - interval '1 day'`);
}

/**
 * A preHandler that applies every rule in turn and answers 429 (with Retry-After) at the first
 * one exceeded. Needs `registerRateLimits` on an ancestor of `app`.
 */
export function rateLimited(app: FastifyInstance, ...rules: RateRule[]): preHandlerAsyncHookHandler {
  const limiters = rules.map((rule) => ({
    rule,
    check: app.createRateLimit({
      max: rule.max,
      timeWindow: rule.perSeconds * 1000,
      keyGenerator: (request: FastifyRequest) => rule.key(request) ?? '',
      namespace: rule.name,
    } as Parameters<FastifyInstance['createRateLimit']>[0]),
  }));
  return async (request, reply) => {
    for (const { rule, check } of limiters) {
      if (rule.key(request) === undefined) continue;
      const result = await check(request);
      if (result.isAllowed || !result.isExceeded) continue;
      reply.header('retry-after', String(result.ttlInSeconds));
      throw new SignetError('RATE_LIMITED', `Too many ${rule.what}; try again in ${result.ttlInSeconds} s.`);
    }
  };
}

/** Counted per client address (as Fastify resolved it: only trusted proxies are believed, see TRUST_PROXY). */
export function perClientIp(name: string, what: string, max: number, perSeconds = 60): RateRule {
  return { name, what: `${what} from this address`, max, perSeconds, key: (request) => request.ip };
}

/**
 * Counted per signing link, i.e. per recipient, whatever addresses the requests come from. The
 * token is hashed into the key: the counter table never holds a usable link.
 */
export function perSigningLink(name: string, what: string, max: number, perSeconds = 60): RateRule {
  return {
    name,
    what: `${what} for this signing link`,
    max,
    perSeconds,
    key: (request) => {
      const token = (request.params as { token?: unknown } | undefined)?.token;
      return typeof token === 'string' && token.length > 0 ? hashed(token) : undefined;
    },
  };
}

/** Counted per value of a body field (an account's email), case-insensitively; needs a parsed body. */
export function perBodyField(
  name: string,
  what: string,
  field: string,
  max: number,
  perSeconds = 60,
): RateRule {
  return {
    name,
    what,
    max,
    perSeconds,
    key: (request) => {
      const value = (request.body as Record<string, unknown> | undefined)?.[field];
      return typeof value === 'string' && value.length > 0 ? hashed(value.trim().toLowerCase()) : undefined;
    },
  };
}

const hashed = (secret: string) => createHash('sha256').update(secret).digest('base64url');

/**
 * Every signer request (the signing API, its identity checks and round trips, the signing page)
 * counts per address — generous: a whole office may sign from behind one NAT — and per link,
 * so no one link can be hammered from many addresses.
 */
export const SIGNER_RATE_LIMITS: RateRule[] = [
  perClientIp('signer-ip', 'signing requests', 600),
  perSigningLink('signer-link', 'requests', 120),
];
