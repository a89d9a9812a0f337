/*
 * Which webhook events exist and which audit event each one follows. Pure.
 *
 * Every transition of an envelope and of its recipients is recorded in the audit chain inside
 * the transaction that makes it (evidence/auditLog.ts), so the audit chain is the one place
 * webhooks listen: a transition that is audited is announced, wherever its code lives.
 */

/** What an endpoint may subscribe to. */
export const ENVELOPE_EVENT_TYPES = [
  'envelope.created',
  'envelope.sent',
  'envelope.completed',
  'envelope.declined',
  'envelope.voided',
  'envelope.expired',
  'recipient.invited',
  'recipient.viewed',
  'recipient.signed',
  'recipient.approved',
  'recipient.acknowledged',
  'recipient.declined',
] as const;
export type EnvelopeEventType = (typeof ENVELOPE_EVENT_TYPES)[number];

/** Sent to one endpoint on request (POST /api/v1/webhooks/:id/test), whatever it subscribes to. */
export const TEST_EVENT_TYPE = 'webhook.test';
export type WebhookEventType = EnvelopeEventType | typeof TEST_EVENT_TYPE;

/** Audit event type → webhook event type; audit events not listed announce nothing. */
const FROM_AUDIT: Readonly<Record<string, EnvelopeEventType>> = {
  'envelope.created': 'envelope.created',
  'envelope.sent': 'envelope.sent',
  // The audit's `envelope.completed` is the last recipient finishing; integrators hear of the
  // completion once the sealed PDF exists, so they can download it when told.
  'envelope.sealed': 'envelope.completed',
  'envelope.declined': 'envelope.declined',
  'envelope.voided': 'envelope.voided',
  'envelope.expired': 'envelope.expired',
  'recipient.invited': 'recipient.invited',
  'recipient.viewed': 'recipient.viewed',
  'recipient.signed': 'recipient.signed',
  'recipient.approved': 'recipient.approved',
  'recipient.acknowledged': 'recipient.acknowledged',
  'recipient.declined': 'recipient.declined',
};

export function webhookTypeOfAudit(auditType: string): EnvelopeEventType | undefined {
  return Object.hasOwn(FROM_AUDIT, auditType) ? FROM_AUDIT[auditType] : undefined;
}

/** The recipient a recipient event is about, as its audit event names it. */
export function recipientIdOf(
  type: EnvelopeEventType,
  auditData: Record<string, unknown>,
): string | undefined {
  if (!type.startsWith('recipient.')) return undefined;
  return typeof auditData.recipientId === 'string' ? auditData.recipientId : undefined;
}

/**
 * The body of every message (Standard Webhooks §payload structure: `type`, `timestamp`,
 * `data`). Recipient events also name their recipient beside `data`, which is the envelope
 * exactly as `GET /api/v1/envelopes/:id` returns it at the moment of the event.
 */
export interface WebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  recipientId?: string;
  data: Record<string, unknown>;
}

export function payloadBody(payload: WebhookPayload): string {
  const { type, timestamp, recipientId, data } = payload;
  return JSON.stringify({ type, timestamp, ...(recipientId === undefined ? {} : { recipientId }), data });
}
