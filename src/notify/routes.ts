import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { principalOf } from '../http/apiKeyAuth.ts';
import { parseInput } from '../http/parseInput.ts';
import type { Platform } from '../platform.ts';
import { listOutbox } from './outbox.ts';
import { listSmsOutbox } from './sms.ts';

const outboxQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

/**
 * The outbox, for an organisation's admin only and only that organisation's messages. Without
 * SMTP_URL (or SMS_PROVIDER) it is the mailbox of the zero-set-up install, holding every signing
 * link and one-time code, so it needs `organization:admin`. With a real transport it is the
 * delivery log: `transport` names it and bodies are null (the relay has them; they are erased).
 */
export async function outboxRoutes(app: FastifyInstance, platform: Platform) {
  const admin = { config: { scope: 'organization:admin' as const } };
  app.get('/api/v1/outbox/mail', admin, async (request) => {
    const { limit } = parseInput(outboxQuery, request.query);
    const organizationId = principalOf(request).organizationId;
    const withBodies = platform.mail.kind === 'outbox';
    return {
      transport: platform.mail.kind,
      messages: await listOutbox(platform.db, platform.secrets, { organizationId, limit, withBodies }),
    };
  });
  app.get('/api/v1/outbox/sms', admin, async (request) => {
    const { limit } = parseInput(outboxQuery, request.query);
    const organizationId = principalOf(request).organizationId;
    const withBodies = platform.sms.kind === 'outbox';
    return {
      transport: platform.sms.kind,
      messages: await listSmsOutbox(platform.db, platform.secrets, { organizationId, limit, withBodies }),
    };
  });
}
