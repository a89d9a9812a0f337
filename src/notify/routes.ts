import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../http/apiKeyAuth.ts';
import { errorAnswers } from '../http/contract.ts';
import type { Platform } from '../platform.ts';
import { listOutbox } from './outbox.ts';
import { listSmsOutbox } from './sms.ts';

const outboxQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const instant = z.string().nullable();

const mailOutbox = z
  .object({
    transport: z.string().describe('`outbox` on an install without SMTP_URL, else the relay'),
    messages: z.array(
      z.object({
        id: z.string(),
        kind: z.string(),
        envelopeId: z.string().nullable().describe('The envelope the message is about, if any'),
        to: z.string(),
        fromName: z.string().nullable().describe('The display name the mail is sent under'),
        replyTo: z.string().nullable(),
        subject: z.string(),
        state: z.string(),
        transport: z.string().nullable(),
        messageId: z.string().nullable(),
        lastError: z.string().nullable(),
        createdAt: z.string(),
        sentAt: instant,
        text: z.string().nullable().describe('Only while the outbox is the transport'),
        html: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'MailOutbox' });

const smsOutbox = z
  .object({
    transport: z.string(),
    messages: z.array(
      z.object({
        id: z.string(),
        to: z.string(),
        state: z.string(),
        transport: z.string().nullable(),
        providerId: z.string().nullable(),
        lastError: z.string().nullable(),
        createdAt: z.string(),
        sentAt: instant,
        body: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'SmsOutbox' });

/**
 * The outbox, for an organisation's admin only and only that organisation's messages. Without
 * SMTP_URL (or SMS_PROVIDER) it is the mailbox of the zero-set-up install, holding every signing
 * link and one-time code, so it needs `organization:admin`. With a real transport it is the
 * delivery log: `transport` names it and bodies are null (the relay has them; they are erased).
 */
export async function outboxRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const admin = { config: { scope: 'organization:admin' as const } };
  const tags = ['outbox'];
  app.get(
    '/api/v1/outbox/mail',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Mail sent for this organisation, newest first',
        querystring: outboxQuery,
        response: { 200: mailOutbox, ...errorAnswers },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const withBodies = platform.mail.kind === 'outbox';
      return {
        transport: platform.mail.kind,
        messages: await listOutbox(platform.db, platform.secrets, {
          organizationId: principal.organizationId,
          limit: request.query.limit,
          withBodies,
          reader: principal.role === 'owner' ? 'owner' : 'admin',
        }),
      };
    },
  );
  app.get(
    '/api/v1/outbox/sms',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Text messages sent for this organisation, newest first',
        querystring: outboxQuery,
        response: { 200: smsOutbox, ...errorAnswers },
      },
    },
    async (request) => {
      const organizationId = principalOf(request).organizationId;
      const withBodies = platform.sms.kind === 'outbox';
      return {
        transport: platform.sms.kind,
        messages: await listSmsOutbox(platform.db, platform.secrets, {
          organizationId,
          limit: request.query.limit,
          withBodies,
        }),
      };
    },
  );
}
