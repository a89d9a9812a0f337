import type { TwilioConfig } from '../config/config.ts';
import { defaultOutboundClient, type OutboundClient } from '../outbound/outboundHttp.ts';

/*
 * How a text message leaves: kept in the outbox (the sms_messages table is the phone of the
 * zero-set-up install), or with SMS_PROVIDER=twilio through Twilio's Messages API. No SDK: it is
 * one form-encoded POST with basic auth, made through the outbound module (TWILIO_API_URL is the
 * operator's).
 */

export interface SmsTransport {
  kind: 'outbox' | 'twilio';
  send(message: { id: string; to: string; body: string }): Promise<{ providerId: string }>;
}

/** Twilio's answers are a few hundred bytes. */
const TWILIO_MAX_BYTES = 64 * 1024;

export function createSmsTransport(
  twilio: TwilioConfig | undefined,
  outbound: OutboundClient = defaultOutboundClient(),
): SmsTransport {
  if (!twilio) return { kind: 'outbox', send: async (message) => ({ providerId: `outbox:${message.id}` }) };
  return {
    kind: 'twilio',
    async send(message) {
      const url = `${twilio.apiUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(twilio.accountSid)}/Messages.json`;
      const answer = await outbound.request({
        url,
        policy: 'operator',
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          // Twilio de-duplicates nothing itself; our row id travels along for support lookups.
          'x-signet-message-id': message.id,
        },
        body: new URLSearchParams({ To: message.to, From: twilio.from, Body: message.body }).toString(),
        maxBytes: TWILIO_MAX_BYTES,
        timeoutMs: twilio.timeoutMs,
        // A POST with credentials is never sent on to wherever a redirect points.
        maxRedirects: 0,
        acceptStatus: () => true,
      });
      const reply = parseJson(answer.body);
      if (answer.status < 200 || answer.status >= 300) {
        // Twilio's error code says what is wrong; its message repeats the phone number, so it stays out.
        const code = typeof reply?.code === 'number' ? ` (Twilio error ${reply.code})` : '';
        throw new Error(`Twilio answered ${answer.status}${code}`);
      }
      if (typeof reply?.sid !== 'string') throw new Error('Twilio answered without a message sid');
      return { providerId: reply.sid };
    },
  };
}

function parseJson(body: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
