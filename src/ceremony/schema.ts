import { z } from 'zod';
import { ENVELOPE_STATUSES, RECIPIENT_ROLES, RECIPIENT_STATUSES } from '../envelopes/aggregate/statuses.ts';
import { documentView, fieldView } from '../envelopes/schema.ts';

/** Requests and answers of the signer API (by link token, SPEC §B). */

export const tokenParams = z.strictObject({ token: z.string().max(100) });
export const signingDocumentParams = tokenParams.extend({ documentId: z.string().max(100) });

export const fieldValuesBody = z.strictObject({
  values: z
    .record(z.string(), z.union([z.string(), z.boolean(), z.null()]))
    .describe('Field id → value: text for text fields, true/false for checkboxes, null to clear'),
});

const MAX_PNG_BYTES = 512 * 1024;

export const finishBody = z.strictObject({
  signature: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('typed'), text: z.string().trim().min(1).max(200) }),
      z.strictObject({
        kind: z.literal('drawn'),
        png: z
          .base64()
          .max(Math.ceil((MAX_PNG_BYTES * 4) / 3) + 4)
          .describe('A PNG image, base64, up to 512 KiB and 4000×4000 pixels'),
      }),
    ])
    .optional()
    .describe('Required for a signer; approvers and viewers finish without one'),
});

export const declineBody = z.strictObject({ reason: z.string().trim().min(1).max(2000) });

export const identityCheckView = z
  .object({
    kind: z.enum(['email', 'accessCode', 'otp', 'saml', 'oidc']),
    status: z.enum(['pending', 'passed', 'failed', 'locked']),
    reason: z.string().nullable(),
    channel: z.enum(['email', 'sms']).optional(),
    sentTo: z.string().optional(),
    codeSent: z.boolean().optional(),
  })
  .meta({ id: 'IdentityCheck' });

export const signingSessionView = z
  .object({
    envelope: z.object({
      id: z.string(),
      title: z.string(),
      message: z.string(),
      status: z.enum(ENVELOPE_STATUSES),
      organizationName: z.string(),
      sealed: z.boolean(),
    }),
    recipient: z.object({
      id: z.string(),
      name: z.string(),
      email: z.string(),
      role: z.enum(RECIPIENT_ROLES),
      status: z.enum(RECIPIENT_STATUSES),
      consentedAt: z.string().nullable(),
      completedAt: z.string().nullable(),
    }),
    consent: z.object({ version: z.string(), text: z.string() }),
    identity: z.array(identityCheckView),
    identityVerified: z.boolean(),
    documents: z.array(documentView),
    fields: z.array(fieldView).describe('This recipient’s own fields'),
    actions: z.object({ canSign: z.boolean(), canDecline: z.boolean(), canDownloadCompleted: z.boolean() }),
  })
  .meta({ id: 'SigningSession' });
