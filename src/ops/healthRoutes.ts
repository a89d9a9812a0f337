import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SignetError } from '../errors.ts';
import { errorAnswers } from '../http/contract.ts';
import type { Platform } from '../platform.ts';

/**
 * Liveness and readiness (SPEC §L). Readiness checks the database answers, and says whether rate
 * limits are being counted. A Redis that cannot be reached leaves the instance ready (200, status
 * "degraded"): requests are then let through uncounted (http/redisRateLimitStore.ts), and taking
 * every instance out of the load balancer for it would turn a missing limit into an outage.
 * Neither route is rate limited: a load balancer must always reach them.
 */
export async function healthRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const tags = ['operations'];
  const config = { rateLimit: false as const };
  app.get(
    '/healthz',
    {
      config,
      schema: {
        tags,
        summary: 'Liveness: the process answers',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      config,
      schema: {
        tags,
        summary: 'Readiness: the database answers; whether rate limits are counted',
        response: {
          200: z.object({
            status: z
              .enum(['ready', 'degraded'])
              .describe('degraded: ready, but rate limits are not counted (Redis unreachable)'),
            database: z.enum(['pglite', 'postgres']),
            rateLimits: z.object({
              store: z.enum(['redis', 'database', 'memory']),
              counting: z.boolean().describe('false while the store cannot count: requests are let through'),
            }),
          }),
          ...errorAnswers,
        },
      },
    },
    async () => {
      try {
        await platform.db.query('select 1');
      } catch {
        throw new SignetError('NOT_READY', 'The database is not reachable');
      }
      const rateLimits = platform.rateLimits.health();
      return {
        status: rateLimits.counting ? ('ready' as const) : ('degraded' as const),
        database: platform.db.kind,
        rateLimits,
      };
    },
  );
}
