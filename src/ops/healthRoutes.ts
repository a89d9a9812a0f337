import type { FastifyInstance } from 'fastify';
import type { Platform } from '../platform.ts';

/** Liveness and readiness (SPEC §L). Readiness checks the database answers. */
export async function healthRoutes(app: FastifyInstance, platform: Platform) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await platform.db.query('select 1');
      return { status: 'ready', database: platform.db.kind };
    } catch {
      return reply.status(503).type('application/problem+json').send({
        type: 'urn:signet:problem:not-ready',
        title: 'Service Unavailable',
        status: 503,
        code: 'NOT_READY',
        detail: 'The database is not reachable',
      });
    }
  });
}
