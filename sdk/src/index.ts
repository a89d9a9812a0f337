/**
 * @signet/sdk — a typed client for the Signet API, generated from its OpenAPI document
 * (`openapi.json` beside this package; `schema.ts` is what openapi-typescript makes of it).
 */
export {
  type Answer,
  type CreateEnvelopeOptions,
  createSignetClient,
  type EnvelopeDocument,
  type ListItem,
  type ListParams,
  type ListPath,
  type SignetCall,
  type SignetClient,
  type SignetClientOptions,
} from './client.js';
export { SignetApiError } from './errors.js';
export type { components, operations, paths } from './schema.js';
export type * from './types.js';
export {
  type StandardWebhookHeaders,
  verifyWebhook,
  type WebhookHeaders,
  WebhookVerificationError,
} from './webhooks.js';
