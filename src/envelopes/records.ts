import type { Config } from '../config/config.ts';
import type { Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import type { EnvelopeFacts } from '../notify/messages.ts';
import { findOrganization, isUuid } from '../orgs/organizations.ts';
import type { RecipientRole, RecipientStatus, RoutedRecipient } from './routing.ts';
import type { FieldType } from './schema.ts';
import type { EnvelopeStatus } from './state.ts';

/** Rows of the envelope aggregate as stored, and their loading. Tenancy is enforced here. */
export interface EnvelopeRow {
  id: string;
  organization_id: string;
  title: string;
  message: string;
  status: EnvelopeStatus;
  sender_name: string;
  sender_email: string;
  created_at: Date;
  sent_at: Date | null;
  completed_at: Date | null;
  declined_at: Date | null;
  voided_at: Date | null;
  void_reason: string | null;
  expires_at: Date | null;
  seal_state: 'none' | 'pending' | 'running' | 'failed' | 'done';
  seal_attempts: number;
  seal_last_error: string | null;
  sealed_at: Date | null;
  sealed_sha256: string | null;
  sealed_size: number | null;
  audit_count: number;
  audit_head_hash: string | null;
}

export interface DocumentRow {
  id: string;
  position: number;
  name: string;
  sha256: string;
  size: number;
  page_count: number;
  pages: { width: number; height: number; rotation: number }[];
}

export interface RecipientRow {
  id: string;
  envelope_id: string;
  position: number;
  name: string;
  email: string;
  role: RecipientRole;
  routing_order: number;
  status: RecipientStatus;
  identity: { kind: string }[];
  invited_at: Date | null;
  viewed_at: Date | null;
  consented_at: Date | null;
  completed_at: Date | null;
  declined_at: Date | null;
  decline_reason: string | null;
  signature_kind: 'typed' | 'drawn' | null;
  signature_text: string | null;
  signature_png_sha256: string | null;
  last_ip: string | null;
  last_user_agent: string | null;
}

export type FieldValue = string | boolean | null;

export interface FieldRow {
  id: string;
  recipient_id: string;
  document_id: string;
  position: number;
  type: FieldType;
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
  required: boolean;
  value: { v: FieldValue } | null;
  filled_at: Date | null;
}

/** What every mail about an envelope says about it: its title, the sending organisation and person. */
export async function loadMailFacts(sql: Sql, envelope: EnvelopeRow): Promise<EnvelopeFacts> {
  const organization = await findOrganization(sql, envelope.organization_id);
  return {
    title: envelope.title,
    organizationName: organization?.name ?? '',
    senderName: envelope.sender_name,
  };
}

const DAY_MS = 86_400_000;

/** When links issued now expire: the configured envelope lifetime from this moment. */
export const expiryFromNow = (config: Config) => new Date(Date.now() + config.envelopeExpiryDays * DAY_MS);

/** A safe download / attachment file name for a document or envelope title. */
export const pdfFileName = (name: string) =>
  `${
    name
      .replace(/[^\w .-]+/g, '_')
      .replace(/\.pdf$/i, '')
      .slice(0, 100) || 'document'
  }.pdf`;

export const envelopeNotFound = () => new SignetError('ENVELOPE_NOT_FOUND', 'No such envelope');

/** Loads an envelope of this organisation; another organisation's id is indistinguishable from none. */
export async function loadEnvelope(
  sql: Sql,
  organizationId: string,
  envelopeId: string,
  options: { lock?: boolean } = {},
): Promise<EnvelopeRow> {
  if (!isUuid(envelopeId)) throw envelopeNotFound();
  const [row] = await sql.query<EnvelopeRow>(
    `select * from envelopes where id = $1 and organization_id = $2${options.lock ? ' for update' : ''}`,
    [envelopeId, organizationId],
  );
  if (!row) throw envelopeNotFound();
  return row;
}

export async function loadEnvelopeById(sql: Sql, envelopeId: string, options: { lock?: boolean } = {}) {
  const [row] = await sql.query<EnvelopeRow>(
    `select * from envelopes where id = $1${options.lock ? ' for update' : ''}`,
    [envelopeId],
  );
  if (!row) throw envelopeNotFound();
  return row;
}

export const loadDocuments = (sql: Sql, envelopeId: string) =>
  sql.query<DocumentRow>(
    'select id, position, name, sha256, size, page_count, pages from documents where envelope_id = $1 order by position',
    [envelopeId],
  );

export const loadRecipients = (sql: Sql, envelopeId: string) =>
  sql.query<RecipientRow>(
    'select * from recipients where envelope_id = $1 order by routing_order, position',
    [envelopeId],
  );

export const loadFields = (sql: Sql, envelopeId: string) =>
  sql.query<FieldRow>(
    'select id, recipient_id, document_id, position, type, page, x, y, width, height, required, value, filled_at from fields where envelope_id = $1 order by position',
    [envelopeId],
  );

export const toRouted = (r: RecipientRow): RoutedRecipient => ({
  id: r.id,
  role: r.role,
  routingOrder: r.routing_order,
  status: r.status,
});

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
    documents: documents.map(documentView),
    recipients: recipients.map(recipientView),
    fields: fields.map(fieldView),
  };
}
