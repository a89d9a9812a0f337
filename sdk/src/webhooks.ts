import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { EnvelopeEventType, SignetWebhookEvent } from './types.js';

/*
 * Webhook verification with the Standard Webhooks specification's own library: `webhook-id`,
 * `webhook-timestamp` (within 5 minutes) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>`, several space-separated while a rotated secret is still valid).
 */

export { WebhookVerificationError };

/** The three headers Standard Webhooks signs with. */
export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Request headers as a fetch `Headers`, or as Node's `IncomingHttpHeaders` / Express's `req.headers`. */
export type WebhookHeaders = Headers | StandardWebhookHeaders | Record<string, string | string[] | undefined>;

/**
 * Verifies a webhook and returns its event. `payload` is the body exactly as received (not
 * parsed and serialised again); `secrets` is the endpoint's `whsec_…` secret, or several (for
 * a receiver that holds the new one and the old one during a rotation): any one of them
 * signing the message is enough. Throws WebhookVerificationError otherwise.
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secrets: string | readonly string[],
): SignetWebhookEvent {
  const candidates = typeof secrets === 'string' ? [secrets] : secrets;
  if (candidates.length === 0) throw new WebhookVerificationError('No secret to verify with');
  const plainHeaders = headersRecord(headers);
  let refusal: unknown;
  for (const secret of candidates) {
    try {
      return eventOf(new Webhook(secret).verify(payload, plainHeaders));
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      refusal = error;
    }
  }
  throw refusal;
}

function headersRecord(headers: WebhookHeaders): Record<string, string> {
  const record: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      record[name.toLowerCase()] = value;
    });
    return record;
  }
  for (const [name, value] of Object.entries(headers) as [string, string | string[] | undefined][]) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) record[name.toLowerCase()] = first;
  }
  return record;
}

const EVENT_TYPE = /^(envelope|recipient)\.[a-z]+$|^webhook\.test$/;

/** The verified body, checked for the shape every Signet event has. */
function eventOf(body: unknown): SignetWebhookEvent {
  const event = body as { type?: unknown; timestamp?: unknown; data?: unknown } | null;
  if (
    typeof event?.type !== 'string' ||
    !EVENT_TYPE.test(event.type) ||
    typeof event.timestamp !== 'string' ||
    typeof event.data !== 'object' ||
    event.data === null
  ) {
    throw new WebhookVerificationError('The signed body is not a Signet event');
  }
  return event as SignetWebhookEvent & { type: EnvelopeEventType | 'webhook.test' };
}
