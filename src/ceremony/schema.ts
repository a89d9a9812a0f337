import { z } from 'zod';
import {
  ENVELOPE_STATUSES,
  RECIPIENT_ROLES,
  RECIPIENT_STATUSES,
  SIGNING_LINK_PURPOSES,
} from '../envelopes/aggregate/statuses.ts';
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

const png = z
  .base64()
  .max(Math.ceil((MAX_PNG_BYTES * 4) / 3) + 4)
  .describe('A PNG image, base64, up to 512 KiB and 4000×4000 pixels');

/** A signature or initials as the signer adopts it (SPEC §B: drawn, typed or uploaded). */
export const adoptedMark = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('typed'),
      text: z.string().trim().min(1).max(200),
      png: png
        .optional()
        .describe(
          'The text as the signer saw it, drawn in the handwriting font they chose: stamped instead of the text (which the evidence keeps)',
        ),
    }),
    z.strictObject({ kind: z.literal('drawn'), png }),
    z.strictObject({
      kind: z.literal('uploaded'),
      png: png.describe('The image the signer uploaded, as a PNG'),
    }),
  ])
  .meta({ id: 'AdoptedMark' });

export const finishBody = z.strictObject({
  signature: adoptedMark
    .optional()
    .describe('Required for a signer; approvers and viewers finish without one'),
  initials: adoptedMark
    .optional()
    .describe(
      'Stamped into every initials field of the signer; without it they show the initials of a typed signature, or the signature’s image',
    ),
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

export const signingDocumentView = documentView
  .extend({
    pageSizes: z
      .array(z.object({ width: z.number(), height: z.number(), rotation: z.number().int() }))
      .describe(
        'Each page’s visible area (crop box within media box) in points before rotation, and its /Rotate. Field boxes are points from the top-left corner of the page as displayed, after rotation.',
      ),
    viewed: z.boolean().describe('Whether this recipient has opened (fetched) the document'),
  })
  .meta({ id: 'SigningDocument' });

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
    brand: z.object({
      productName: z.string(),
      primaryColor: z.string().describe('#rrggbb, readable on white'),
      logoUrl: z.string().nullable().describe('Path of the logo on this host, or null'),
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
    documents: z.array(signingDocumentView),
    fields: z.array(fieldView).describe('This recipient’s own fields'),
    actions: z.object({ canSign: z.boolean(), canDecline: z.boolean(), canDownloadCompleted: z.boolean() }),
    link: z.object({
      purpose: z.enum(SIGNING_LINK_PURPOSES),
      returnUrl: z
        .string()
        .nullable()
        .describe('Embedded signing: where the integrator asked the signer to be sent when done'),
    }),
  })
  .meta({ id: 'SigningSession' });
