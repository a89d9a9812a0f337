import { createHmac, randomBytes } from 'node:crypto';

/*
 * Standard Webhooks signatures (standardwebhooks.com, "Signature scheme"). Pure.
 *
 * A secret is `whsec_` + base64 of random bytes; the key is those bytes. Each attempt carries
 * `webhook-id` (the message's id, the same on every attempt), `webhook-timestamp` (unix
 * seconds of the attempt) and `webhook-signature`: `v1,` + base64 HMAC-SHA256 of
 * `${id}.${timestamp}.${body}`, several space-separated when more than one secret is valid
 * (after a rotation, the old one's for 24 hours).
 */

export const SECRET_PREFIX = 'whsec_';

/** The specification asks for 24 to 64 bytes. */
const SECRET_BYTES = 32;

export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('not a webhook secret');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three headers of one attempt, signed with every secret given (newest first). */
export function signedHeaders(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): SignedHeaders {
  if (secrets.length === 0) throw new Error('no secret to sign with');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => signature(secret, id, timestamp, body)).join(' '),
  };
}
