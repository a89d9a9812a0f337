import { z } from 'zod';
import { identityMethodsInput } from '../identity/schema.ts';
import { ENVELOPE_STATUSES, FIELD_TYPES, RECIPIENT_ROLES } from './aggregate/statuses.ts';

/** Request shapes of the envelope API: one source for parsing (and, later, OpenAPI). */
export const recipientInput = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(254),
  role: z.enum(RECIPIENT_ROLES).default('signer'),
  routingOrder: z.number().int().min(1).max(1000).default(1),
  /** Identity checks the recipient must pass before seeing the documents (SPEC §E). */
  identity: identityMethodsInput.default([{ kind: 'email' }]),
});

export const fieldInput = z.object({
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

export const documentInput = z.object({
  name: z.string().trim().min(1).max(255),
  content: z.base64(),
});

export const envelopeInput = z.object({
  title: z.string().trim().min(1).max(500),
  message: z.string().max(10_000).default(''),
  recipients: z.array(recipientInput).min(1).max(100),
  fields: z.array(fieldInput).max(2000).default([]),
});
export type EnvelopeInput = z.infer<typeof envelopeInput>;

export const jsonEnvelopeInput = envelopeInput.extend({
  documents: z.array(documentInput).min(1).max(50),
});

export const listQuery = z.object({
  status: z.enum(ENVELOPE_STATUSES).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export const voidInput = z.object({ reason: z.string().trim().min(1).max(1000) });

export const sendQuery = z.object({
  send: z.enum(['true', 'false']).optional(),
});
