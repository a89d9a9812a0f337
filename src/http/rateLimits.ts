import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Config } from '../config/config.ts';
import { SignetError } from '../errors.ts';
import {
  type PolicyLimit,
  rateLimitField,
  rateLimitPolicyField,
  type ServiceLimit,
} from './rateLimitFields.ts';
import type { RateLimitStore, WindowCount } from './rateLimitStores.ts';

/*
 * Rate limits (SPEC §L: they must hold across instances and under parallel requests), counted
 * in the store the configuration chooses (rateLimitStores.ts: Redis, the database or memory).
 *
 * Every request is limited once by who is asking — per API key or staff session on the
 * authenticated API ("api", RATE_LIMIT_API_PER_MINUTE), per client address on every other
 * route ("public", RATE_LIMIT_PUBLIC_PER_MINUTE) — and public routes add tighter rules of
 * their own (`rateLimited`): per address, per signing link, per account. Each rule is a named
 * policy with its own count, and every answer says where each stands (rateLimitFields.ts):
 *   RateLimit-Policy: "public";q=1200;w=60, "verify-ip";q=30;w=60
 *   RateLimit: "public";r=1187;t=42, "verify-ip";r=29;t=42
 * Over a limit: 429 RATE_LIMITED with Retry-After, the seconds until that window ends.
 */

export interface RateRule {
  /** Names the counter (with the key) and the policy in the response fields. */
  name: string;
  /** What the 429 says there were too many of, e.g. "sign-in attempts from this address". */
  what: string;
  max: number;
  perSeconds: number;
  /** The key this rule counts by; undefined skips the rule for this request. */
  key: (request: FastifyRequest) => string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    rateLimitStore: RateLimitStore;
  }
  interface FastifyContextConfig {
    /** `false`: not limited at all — health checks, which a load balancer must always reach. */
    rateLimit?: false;
  }
}

/**
 * Registers the limits every request gets, counted in `store`: per API key or session on
 * authenticated routes (after authentication: in preParsing, so before the body is read, and
 * whichever order the onRequest hooks were added in), per client address on all others.
 */
export function registerRateLimits(
  app: FastifyInstance,
  store: RateLimitStore,
  limits: Config['rateLimits'],
): void {
  app.decorate('rateLimitStore', store);
  const perAddress = perClientIp('public', 'requests', limits.publicPerMinute);
  const perCaller = perPrincipal('api', 'API requests', limits.apiPerMinute);
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (config?.rateLimit === false || config?.scope) return;
    await enforce(store, request, reply, [perAddress]);
  });
  app.addHook('preParsing', async (request, reply, payload) => {
    if (request.principal && request.routeOptions.config?.rateLimit !== false) {
      await enforce(store, request, reply, [perCaller]);
    }
    return payload;
  });
}

/**
 * A hook that applies every rule in turn and answers 429 (with Retry-After) at the first one
 * exceeded. Needs `registerRateLimits` on an ancestor of `app`.
 */
export function rateLimited(app: FastifyInstance, ...rules: RateRule[]): preHandlerAsyncHookHandler {
  return async (request, reply) => enforce(app.rateLimitStore, request, reply, rules);
}

/** The policies applied to a request so far, for its response fields. */
interface Applied {
  policy: PolicyLimit;
  /** Undefined when the store could not count (failing open): the policy is named, not its state. */
  state: ServiceLimit | undefined;
}
const appliedTo = new WeakMap<FastifyRequest, Applied[]>();

async function enforce(
  store: RateLimitStore,
  request: FastifyRequest,
  reply: FastifyReply,
  rules: readonly RateRule[],
): Promise<void> {
  for (const rule of rules) {
    const key = rule.key(request);
    if (key === undefined) continue;
    const window = await store.hit(`${rule.name}:${key}`, rule.perSeconds * 1000);
    report(request, reply, rule, window);
    if (window === undefined || window.count <= rule.max) continue;
    // draft-ietf-httpapi-ratelimit-headers §6: Retry-After no earlier than the window's end.
    const retryAfter = Math.max(1, Math.ceil(window.resetMs / 1000));
    reply.header('retry-after', String(retryAfter));
    throw new SignetError('RATE_LIMITED', `Too many ${rule.what}; try again in ${retryAfter} s.`);
  }
}

/** Adds the rule's policy and state to the request's RateLimit-Policy and RateLimit fields. */
function report(
  request: FastifyRequest,
  reply: FastifyReply,
  rule: RateRule,
  window: WindowCount | undefined,
): void {
  const applied = appliedTo.get(request) ?? [];
  appliedTo.set(request, applied);
  applied.push({
    policy: { name: rule.name, quota: rule.max, windowSeconds: rule.perSeconds },
    state: window && {
      name: rule.name,
      remaining: rule.max - window.count,
      resetSeconds: Math.ceil(window.resetMs / 1000),
    },
  });
  reply.header('ratelimit-policy', rateLimitPolicyField(applied.map((entry) => entry.policy)));
  const states = applied.flatMap((entry) => (entry.state ? [entry.state] : []));
  if (states.length > 0) reply.header('ratelimit', rateLimitField(states));
}

/** Counted per API key or signed-in staff user (the principal authentication found). */
export function perPrincipal(name: string, what: string, max: number, perSeconds = 60): RateRule {
  return {
    name,
    what: `${what} for this API key or session`,
    max,
    perSeconds,
    key: (request) => request.principal?.actor,
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
