import { z } from 'zod';
import { identityMethodsInput } from '../identity/schema.ts';
import { LANGUAGES, reminderSchedule } from '../orgs/settings.ts';
import {
  ENVELOPE_STATUSES,
  FIELD_TYPES,
  RECIPIENT_ROLES,
  RECIPIENT_STATUSES,
  SEAL_STATES,
} from './aggregate/statuses.ts';

/** Request shapes of the envelope API: one source for parsing (and, later, OpenAPI). */
export const recipientInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(254),
  role: z.enum(RECIPIENT_ROLES).default('signer'),
  routingOrder: z.number().int().min(1).max(1000).default(1),
  /** Identity checks the recipient must pass before seeing the documents (SPEC §E). */
  identity: identityMethodsInput.default([{ kind: 'email' }]),
  /** The language of the recipient's mail; absent: the organisation's default language. */
  language: z.enum(LANGUAGES).optional(),
});

export const fieldInput = z.strictObject({
  recipient: z.email(),
  type: z.enum(FIELD_TYPES),
  /** Index (0-based) of the document in upload order, or its name. */
  document: z.union([z.number().int().min(0), z.string().min(1)]).default(0),
  page: z.number().int().min(1).default(1),
  x: z.number().min(0),
  y: z.number().min(0),
  width: z.number().positive().max(10_000),
  height: z.number().positive().max(10_000),
  required: z.boolean().optional(),
});

export const documentInput = z.strictObject({
  name: z.string().trim().min(1).max(255),
  content: z.base64(),
});

export const envelopeInput = z
  .strictObject({
    title: z.string().trim().min(1).max(500),
    message: z.string().max(10_000).default(''),
    recipients: z.array(recipientInput).min(1).max(100),
    fields: z.array(fieldInput).max(2000).default([]),
    expiryDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe("Days from sending until the envelope expires; absent: the organisation's default"),
    reminders: reminderSchedule
      .nullable()
      .optional()
      .describe("Automatic reminders; null: none; absent: the organisation's default schedule"),
  })
  .meta({
    id: 'EnvelopeDraft',
    description: 'An envelope without its documents: the multipart `envelope` part',
  });
export type EnvelopeInput = z.infer<typeof envelopeInput>;

export const jsonEnvelopeInput = envelopeInput.extend({
  documents: z.array(documentInput).min(1).max(50),
});

export const listQuery = z.strictObject({
  status: z.enum(ENVELOPE_STATUSES).optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Only envelopes whose title, or a recipient’s name or email, contains this text (any case)'),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export const voidInput = z.strictObject({ reason: z.string().trim().min(1).max(1000) });

export const sendQuery = z.strictObject({
  send: z.enum(['true', 'false']).optional(),
});

/* Answers of the envelope API. Registered with an id, they become named OpenAPI components. */

const instant = z.string().describe('ISO 8601 instant').nullable();

export const documentView = z
  .object({
    id: z.string(),
    name: z.string(),
    pages: z.number().int(),
    size: z.number().int(),
    sha256: z.string(),
  })
  .meta({ id: 'Document' });

export const recipientView = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    role: z.enum(RECIPIENT_ROLES),
    routingOrder: z.number().int(),
    status: z.enum(RECIPIENT_STATUSES),
    invitedAt: instant,
    viewedAt: instant,
    consentedAt: instant,
    completedAt: instant,
    declinedAt: instant,
    declineReason: z.string().nullable(),
    language: z
      .enum(LANGUAGES)
      .nullable()
      .describe("The language of the recipient's mail; null: the organisation's"),
  })
  .meta({ id: 'Recipient' });

export const fieldView = z
  .object({
    id: z.string(),
    recipientId: z.string(),
    documentId: z.string(),
    type: z.enum(FIELD_TYPES),
    page: z.number().int(),
    x: z.number(),
    y: z.number(),
    width: z.number(),
    height: z.number(),
    required: z.boolean(),
    value: z.union([z.string(), z.boolean()]).nullable(),
  })
  .meta({ id: 'Field' });

export const sealView = z
  .object({
    state: z.enum(SEAL_STATES),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    sealedAt: instant,
    sha256: z.string().nullable(),
    size: z.number().int().nullable(),
  })
  .meta({ id: 'Seal' });

export const envelopeSummaryView = z
  .object({
    id: z.string(),
    title: z.string(),
    message: z.string(),
    status: z.enum(ENVELOPE_STATUSES),
    createdAt: instant,
    sentAt: instant,
    completedAt: instant,
    declinedAt: instant,
    voidedAt: instant,
    voidReason: z.string().nullable(),
    expiresAt: instant,
    seal: sealView,
  })
  .meta({ id: 'EnvelopeSummary' });

export const envelopeView = envelopeSummaryView
  .extend({
    expiryDays: z
      .number()
      .int()
      .nullable()
      .describe("Days from sending until expiry; null: the platform's default"),
    reminders: reminderSchedule.nullable().describe('The automatic reminder schedule; null: none'),
    nextReminderAt: instant,
    documents: z.array(documentView),
    recipients: z.array(recipientView),
    fields: z.array(fieldView),
  })
  .meta({ id: 'Envelope' });

export const envelopePage = z
  .object({
    data: z.array(envelopeSummaryView),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'EnvelopePage' });

export const remindedView = z.object({
  reminded: z.array(z.object({ id: z.string(), email: z.string() })),
});

export const signingUrlView = z.object({ url: z.string(), expiresAt: z.string() }).meta({ id: 'SigningUrl' });

export const signingUrlInput = z
  .strictObject({
    returnUrl: z
      .url({ protocol: /^https?$/, normalize: true })
      .max(2000)
      .optional()
      .describe(
        'Where the ceremony offers to take the signer when they are done (a link on the done page, opened in the top window when framed)',
      ),
  })
  .optional();

export const auditView = z
  .object({
    envelopeId: z.string(),
    verified: z.boolean(),
    problems: z.array(z.object({ seq: z.number().int(), problem: z.string(), detail: z.string() })),
    headHash: z.string().nullable(),
    events: z.array(
      z.object({
        envelopeId: z.string(),
        seq: z.number().int(),
        type: z.string(),
        actor: z.string(),
        ip: z.string().nullable(),
        userAgent: z.string().nullable(),
        at: z.string(),
        data: z.record(z.string(), z.unknown()),
        prevHash: z.string(),
        hash: z.string(),
      }),
    ),
  })
  .meta({ id: 'AuditTrail' });

export const timelineView = z
  .object({
    envelopeId: z.string(),
    language: z.enum(LANGUAGES),
    entries: z.array(
      z.object({
        seq: z.number().int().describe('The audit event it tells of'),
        at: z.string(),
        action: z.string().describe('The audit event type, e.g. `recipient.viewed`'),
        actor: z.object({
          kind: z.enum(['recipient', 'user', 'api-key', 'system']),
          name: z.string(),
          email: z.string().nullable(),
        }),
        text: z.string().describe('In plain words, e.g. “Ada Lovelace opened the document”'),
        device: z.string().nullable().describe('e.g. “Safari on iPhone”; null: no browser'),
        ip: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'Timeline' });

export const timelineQuery = z.strictObject({
  language: z.enum(LANGUAGES).optional().describe('Default: the organisation’s default language'),
});

export const envelopeIdParams = z.strictObject({ id: z.string() });
export const documentParams = z.strictObject({ id: z.string(), documentId: z.string() });
export const recipientParams = z.strictObject({ id: z.string(), recipientId: z.string() });

/** The multipart form of POST /api/v1/envelopes, for the document only (the handler reads it as a stream). */
export const multipartEnvelopeForm = z.strictObject({
  envelope: envelopeInput.describe(
    'The envelope JSON as a text field, a JSON part (`application/json`) or a file part',
  ),
  file: z
    .array(z.custom<Uint8Array>().meta({ type: 'string', format: 'binary' }))
    .describe('PDF files, in order (any part name but `envelope`)'),
});
