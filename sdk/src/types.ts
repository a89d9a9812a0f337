import type { components, paths } from './schema.js';

/*
 * Names for the schemas integrators handle most, all taken from the generated document
 * (schema.ts), so they change when the API does.
 */
type Schemas = components['schemas'];

export type Envelope = Schemas['Envelope'];
export type EnvelopeSummary = Schemas['EnvelopeSummary'];
/** What `createEnvelope` sends as the `envelope` part: an envelope without its documents. */
export type EnvelopeDraftInput = Schemas['EnvelopeDraftInput'];
/** The JSON body of `POST /api/v1/envelopes`: the same, with the documents in base64. */
export type EnvelopeJsonInput = NonNullable<
  paths['/api/v1/envelopes']['post']['requestBody']
>['content']['application/json'];
export type Recipient = Schemas['Recipient'];
export type Field = Schemas['Field'];
export type Seal = Schemas['Seal'];
export type SigningSession = Schemas['SigningSession'];
export type Webhook = Schemas['Webhook'];
export type CreatedWebhook = Schemas['CreatedWebhook'];
export type VerificationReport = Schemas['VerificationReport'];

/** RFC 9457 problem details, as every error answer carries them. */
export type Problem = Schemas['Problem'];
/** One invalid input: a JSON pointer (`path`) into the request part named by `in` (body when absent). */
export type FieldProblem = Schemas['FieldProblem'];
/** The stable error codes of the catalogue. */
export type ProblemCode = Problem['code'];

/** The event types an endpoint may subscribe to. */
export type EnvelopeEventType = NonNullable<Schemas['NewWebhookInput']['events']>[number];
type RecipientEventType = Extract<EnvelopeEventType, `recipient.${string}`>;

/**
 * A webhook's body, Standard Webhooks' `{type, timestamp, data}`: `data` is the envelope as
 * `GET /api/v1/envelopes/{id}` returns it when the event happened; recipient events name their
 * recipient beside it.
 */
export type SignetWebhookEvent =
  | { type: Exclude<EnvelopeEventType, RecipientEventType>; timestamp: string; data: Envelope }
  | { type: RecipientEventType; timestamp: string; recipientId: string; data: Envelope }
  | { type: 'webhook.test'; timestamp: string; data: { webhookId: string } };
