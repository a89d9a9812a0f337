import { z } from 'zod';
import { LANGUAGES } from '../../orgs/settings.ts';
import {
  ADOPTION_KINDS,
  ENVELOPE_STATUSES,
  FIELD_TYPES,
  RECIPIENT_ROLES,
  RECIPIENT_STATUSES,
  SEAL_STATES,
  SIGNING_LINK_PURPOSES,
} from './statuses.ts';

/*
 * The aggregate's rows as the database returns them, parsed rather than cast: a column renamed
 * or retyped by a migration, or a value outside its vocabulary, fails loudly where the row is
 * read (`RowShapeError`) instead of travelling on as `undefined`. Columns a row type does not
 * name are dropped.
 */

const timestamp = z.date();
const uuid = z.string();

const pageSchema = z.object({ width: z.number(), height: z.number(), rotation: z.number() });

export const envelopeRowSchema = z.object({
  id: uuid,
  organization_id: uuid,
  title: z.string(),
  message: z.string(),
  status: z.enum(ENVELOPE_STATUSES),
  sender_name: z.string(),
  sender_email: z.string(),
  created_at: timestamp,
  sent_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  declined_at: timestamp.nullable(),
  voided_at: timestamp.nullable(),
  void_reason: z.string().nullable(),
  expires_at: timestamp.nullable(),
  seal_state: z.enum(SEAL_STATES),
  seal_attempts: z.number().int(),
  seal_last_error: z.string().nullable(),
  seal_requested_at: timestamp.nullable(),
  seal_lease_until: timestamp.nullable(),
  sealed_at: timestamp.nullable(),
  sealed_sha256: z.string().nullable(),
  sealed_size: z.number().int().nullable(),
  audit_count: z.number().int(),
  audit_head_hash: z.string().nullable(),
  /** The lifetime and reminder schedule the envelope was created with (null: the platform's, none). */
  expiry_days: z.number().int().nullable(),
  reminder_first_days: z.number().int().nullable(),
  reminder_every_days: z.number().int().nullable(),
  next_reminder_at: timestamp.nullable(),
});
export type EnvelopeRow = z.infer<typeof envelopeRowSchema>;

export const documentRowSchema = z.object({
  id: uuid,
  position: z.number().int(),
  name: z.string(),
  sha256: z.string(),
  size: z.number().int(),
  page_count: z.number().int(),
  pages: z.array(pageSchema),
});
export type DocumentRow = z.infer<typeof documentRowSchema>;

export const recipientRowSchema = z.object({
  id: uuid,
  envelope_id: uuid,
  position: z.number().int(),
  name: z.string(),
  email: z.string(),
  role: z.enum(RECIPIENT_ROLES),
  routing_order: z.number().int(),
  status: z.enum(RECIPIENT_STATUSES),
  /** The identity methods asked for, without their secrets (identity/checks.ts#publicMethod). */
  identity: z.array(z.looseObject({ kind: z.string() })),
  invited_at: timestamp.nullable(),
  viewed_at: timestamp.nullable(),
  consented_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  declined_at: timestamp.nullable(),
  decline_reason: z.string().nullable(),
  signature_kind: z.enum(ADOPTION_KINDS).nullable(),
  signature_text: z.string().nullable(),
  /** The drawn or uploaded image, or a typed signature as the signer saw it in a handwriting font. */
  signature_png_sha256: z.string().nullable(),
  /** Initials adopted like the signature; without them initials fields show the signature's. */
  initials_kind: z.enum(ADOPTION_KINDS).nullable(),
  initials_text: z.string().nullable(),
  initials_png_sha256: z.string().nullable(),
  last_ip: z.string().nullable(),
  last_user_agent: z.string().nullable(),
  /** The language mail to the recipient is written in; null: the organisation's default. */
  language: z.enum(LANGUAGES).nullable(),
});
export type RecipientRow = z.infer<typeof recipientRowSchema>;

export const fieldValueSchema = z.union([z.string(), z.boolean(), z.null()]);
export type FieldValue = z.infer<typeof fieldValueSchema>;

export const fieldRowSchema = z.object({
  id: uuid,
  recipient_id: uuid,
  document_id: uuid,
  position: z.number().int(),
  type: z.enum(FIELD_TYPES),
  page: z.number().int(),
  x: z.number(),
  y: z.number(),
  width: z.number(),
  height: z.number(),
  required: z.boolean(),
  value: z.object({ v: fieldValueSchema }).nullable(),
  filled_at: timestamp.nullable(),
});
export type FieldRow = z.infer<typeof fieldRowSchema>;

export const signingTokenRowSchema = z.object({
  envelope_id: uuid,
  recipient_id: uuid,
  purpose: z.enum(SIGNING_LINK_PURPOSES),
  expires_at: timestamp,
  revoked_at: timestamp.nullable(),
  return_url: z.string().nullable(),
});
export type SigningTokenRow = z.infer<typeof signingTokenRowSchema>;

/** A row that does not have the shape its table promises: a schema drift, never the user's fault. */
export class RowShapeError extends Error {
  constructor(table: string, issues: z.core.$ZodIssue[]) {
    const where = issues.map((issue) => `${issue.path.join('.') || '(row)'}: ${issue.message}`).join('; ');
    super(`a ${table} row does not have the expected shape: ${where}`);
    this.name = 'RowShapeError';
  }
}

export function parseRows<Schema extends z.ZodType>(
  table: string,
  schema: Schema,
  rows: unknown[],
): z.infer<Schema>[] {
  return rows.map((row) => {
    const parsed = schema.safeParse(row);
    if (!parsed.success) throw new RowShapeError(table, parsed.error.issues);
    return parsed.data;
  });
}
