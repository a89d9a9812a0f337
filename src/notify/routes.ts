import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../http/parseInput.ts';
import { listSmsOutbox } from '../identity/sms.ts';
import type { Platform } from '../platform.ts';
import { listOutbox } from './outbox.ts';

/** The development outbox (registered only in development mode): every mail the platform queued. */
export async function devOutboxRoutes(app: FastifyInstance, platform: Platform) {
  app.get('/dev/outbox', async (request) => {
    const { limit } = parseInput(
      z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
      request.query,
    );
    return { transport: platform.mail.kind, messages: await listOutbox(platform.db, limit) };
  });
  app.get('/dev/sms-outbox', async (request) => {
    const { limit } = parseInput(
      z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
      request.query,
    );
    return { transport: platform.sms.kind, messages: await listSmsOutbox(platform.db, limit) };
  });
}
