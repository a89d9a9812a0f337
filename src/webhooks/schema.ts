import { z } from 'zod';
import { envelopeView } from '../envelopes/schema.ts';
import { ENVELOPE_EVENT_TYPES, TEST_EVENT_TYPE } from './events.ts';

/*
 * Request and response schemas of the webhook routes (routes.ts): Fastify validates requests
 * and serialises answers with them, and the OpenAPI document is made from them
 * (http/contract.ts). Requests are strict: an unknown property is refused with its path.
 */

const MAX_URL_LENGTH = 2048;

export const webhookEventType = z.enum(ENVELOPE_EVENT_TYPES);

/** An absolute http(s) URL without credentials; where it leads is checked by the service. */
export const webhookUrl = z
  .string()
  .max(MAX_URL_LENGTH)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute http:// or https:// URL without user name or password' },
  );

/** The types to send; absent (on creation) or null (on update): every type, later ones too. */
const eventList = z
  .array(webhookEventType)
  .min(1)
  .max(ENVELOPE_EVENT_TYPES.length)
  .transform((types) => [...new Set(types)]);

const description = z.string().max(500);

export const createWebhookBody = z
  .strictObject({
    url: webhookUrl,
    events: eventList.optional().describe('The event types to send; every type (later ones too) when absent'),
    description: description.default(''),
  })
  .meta({ id: 'NewWebhook' });
export type CreateWebhookInput = z.infer<typeof createWebhookBody>;

export const updateWebhookBody = z
  .strictObject({
    url: webhookUrl.optional(),
    events: eventList.nullable().optional(),
    description: description.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one property to change' })
  .meta({ id: 'WebhookChange' });
export type UpdateWebhookInput = z.infer<typeof updateWebhookBody>;

/** Ids are checked by the service: one that is not a UUID is as unknown as another organisation's. */
export const webhookParams = z.strictObject({ id: z.string().describe('UUID') });
export const webhookMessageParams = z.strictObject({
  id: z.string().describe('UUID'),
  messageId: z.string().describe('The `webhook-id` of the message (msg_…)'),
});

/** Actions (test, rotate, replay) take no body; an empty object is accepted, anything in it is not. */
export const noBody = z.strictObject({}).optional();

export const deliveriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

const timestamp = z.iso.datetime({ offset: true });

export const webhookView = z
  .strictObject({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    /** null: every event type. */
    events: z.array(webhookEventType).nullable(),
    enabled: z.boolean(),
    disabledAt: timestamp.nullable(),
    /** Why it stopped: `failing` (five days of failed attempts) or `api` (PATCH enabled: false). */
    disabledReason: z.enum(['failing', 'api']).nullable(),
    /** When the current run of failed attempts began; null after a success. */
    failingSince: timestamp.nullable(),
    /** Until when the secret replaced by the last rotation still signs, beside the new one. */
    previousSecretExpiresAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Webhook' });
export type WebhookView = z.infer<typeof webhookView>;

/** The only answers that show a secret: creation and rotation. */
export const createdWebhook = webhookView
  .extend({ secret: z.string().startsWith('whsec_').describe('The signing secret, shown this once') })
  .meta({ id: 'CreatedWebhook' });
export const webhookList = z.strictObject({ data: z.array(webhookView) }).meta({ id: 'WebhookList' });
export const rotatedSecret = z
  .strictObject({
    secret: z.string().startsWith('whsec_').describe('The new signing secret, shown this once'),
    previousSecretExpiresAt: timestamp.describe('Until then the old secret signs too'),
  })
  .meta({ id: 'RotatedSecret' });
export const queuedMessage = z
  .strictObject({ messageId: z.string().describe('Its `webhook-id`'), deliveryId: z.uuid() })
  .meta({ id: 'QueuedWebhookMessage' });

/** One attempt of the delivery log. */
export const deliveryAttempt = z
  .strictObject({
    id: z.uuid(),
    messageId: z.string(),
    eventType: z.string(),
    attempt: z.number().int().min(1),
    status: z.enum(['succeeded', 'failed']),
    responseStatus: z.number().int().nullable(),
    latencyMs: z.number().int().min(0),
    /** At most the first 64 kB of the answer. */
    responseExcerpt: z.string().nullable(),
    /** An outbound error code when no HTTP answer came (OUTBOUND_TIMEOUT, OUTBOUND_ADDRESS_REFUSED, …). */
    error: z.string().nullable(),
    at: timestamp,
  })
  .meta({ id: 'WebhookAttempt' });
export const deliveryLog = z
  .strictObject({
    data: z.array(deliveryAttempt),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'WebhookDeliveryLog' });

/** What an endpoint receives (the body of every POST), for receivers' own validation. */
export const webhookPayload = z
  .strictObject({
    type: z.union([webhookEventType, z.literal(TEST_EVENT_TYPE)]),
    timestamp,
    recipientId: z.uuid().optional(),
    /** The envelope as GET /api/v1/envelopes/:id returns it; for webhook.test, `{ webhookId }`. */
    data: z.union([envelopeView, z.strictObject({ webhookId: z.uuid() })]),
  })
  .meta({ id: 'WebhookPayload' });
