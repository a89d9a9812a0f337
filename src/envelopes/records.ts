import type { Config } from '../config/config.ts';
import type { Sql } from '../db/database.ts';
import type { DocumentRow, EnvelopeRow, FieldRow, RecipientRow } from './aggregate/rows.ts';
import { loadDocuments, loadFields, loadRecipients } from './aggregate/store.ts';

/* What the envelope API answers about an envelope and its parts, from the aggregate's rows. */

const DAY_MS = 86_400_000;

/**
 * When links issued now expire: the envelope's own lifetime (`days`, chosen at creation) or the
 * configured one, from this moment.
 */
export const expiryFromNow = (config: Config, days?: number | null) =>
  new Date(Date.now() + (days ?? config.envelopeExpiryDays) * DAY_MS);

/** `days` from now. */
export const daysFromNow = (days: number) => new Date(Date.now() + days * DAY_MS);

/** A safe download / attachment file name for a document or envelope title. */
export const pdfFileName = (name: string) =>
  `${
    name
      .replace(/[^\w .-]+/g, '_')
      .replace(/\.pdf$/i, '')
      .slice(0, 100) || 'document'
  }.pdf`;

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

export function documentView(d: DocumentRow) {
  return { id: d.id, name: d.name, pages: d.page_count, size: d.size, sha256: d.sha256 };
}

export function recipientView(r: RecipientRow) {
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    role: r.role,
    routingOrder: r.routing_order,
    status: r.status,
    invitedAt: iso(r.invited_at),
    viewedAt: iso(r.viewed_at),
    consentedAt: iso(r.consented_at),
    completedAt: iso(r.completed_at),
    declinedAt: iso(r.declined_at),
    declineReason: r.decline_reason,
    language: r.language,
  };
}

export function fieldView(f: FieldRow) {
  return {
    id: f.id,
    recipientId: f.recipient_id,
    documentId: f.document_id,
    type: f.type,
    page: f.page,
    x: f.x,
    y: f.y,
    width: f.width,
    height: f.height,
    required: f.required,
    value: f.value?.v ?? null,
  };
}

export function envelopeSummaryView(e: EnvelopeRow) {
  return {
    id: e.id,
    title: e.title,
    message: e.message,
    status: e.status,
    createdAt: iso(e.created_at),
    sentAt: iso(e.sent_at),
    completedAt: iso(e.completed_at),
    declinedAt: iso(e.declined_at),
    voidedAt: iso(e.voided_at),
    voidReason: e.void_reason,
    expiresAt: iso(e.expires_at),
    seal: {
      state: e.seal_state,
      attempts: e.seal_attempts,
      lastError: e.seal_last_error,
      sealedAt: iso(e.sealed_at),
      sha256: e.sealed_sha256,
      size: e.sealed_size,
    },
  };
}

export async function envelopeView(sql: Sql, envelope: EnvelopeRow) {
  const [documents, recipients, fields] = await Promise.all([
    loadDocuments(sql, envelope.id),
    loadRecipients(sql, envelope.id),
    loadFields(sql, envelope.id),
  ]);
  return {
    ...envelopeSummaryView(envelope),
    expiryDays: envelope.expiry_days,
    reminders:
      envelope.reminder_first_days === null
        ? null
        : { firstAfterDays: envelope.reminder_first_days, everyDays: envelope.reminder_every_days },
    nextReminderAt: iso(envelope.next_reminder_at),
    documents: documents.map(documentView),
    recipients: recipients.map(recipientView),
    fields: fields.map(fieldView),
  };
}
