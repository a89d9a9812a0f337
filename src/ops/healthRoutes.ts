import type { FastifyInstance } from 'fastify';
import type { Platform } from '../platform.ts';

/**
 * Liveness and readiness (SPEC §L). Readiness checks the database answers, and says whether rate
 * limits are being counted. A Redis that cannot be reached leaves the instance ready (200, status
 * "degraded"): requests are then let through uncounted (http/redisRateLimitStore.ts), and taking
 * every instance out of the load balancer for it would turn a missing limit into an outage.
 * Neither route is rate limited: a load balancer must always reach them.
 */
export async function healthRoutes(app: FastifyInstance, platform: Platform) {
  const unlimited = { config: { rateLimit: false as const } };
  app.get('/healthz', unlimited, async () => ({ status: 'ok' }));
  app.get('/readyz', unlimited, async (_request, reply) => {
    try {
      await platform.db.query('select 1');
    } catch {
      return reply.status(503).type('application/problem+json').send({
        type: 'urn:signet:problem:not-ready',
        title: 'Service Unavailable',
        status: 503,
        code: 'NOT_READY',
        detail: 'The database is not reachable',
      });
    }
    const rateLimits = platform.rateLimits.health();
    return {
      status: rateLimits.counting ? 'ready' : 'degraded',
      database: platform.db.kind,
      rateLimits,
    };
  });
}
