import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SignetError } from '../errors.ts';
import { errorAnswers } from '../http/contract.ts';
import type { Platform } from '../platform.ts';

/** Liveness and readiness (SPEC §L). Readiness checks the database answers. */
export async function healthRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const tags = ['operations'];
  app.get(
    '/healthz',
    {
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
      schema: {
        tags,
        summary: 'Readiness: the database answers',
        response: {
          200: z.object({ status: z.literal('ready'), database: z.enum(['pglite', 'postgres']) }),
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
      return { status: 'ready' as const, database: platform.db.kind };
    },
  );
}
