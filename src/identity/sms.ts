import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/database.ts';
import { defaultOutboundClient, type OutboundClient } from '../outbound/outboundHttp.ts';
import type { Platform } from '../platform.ts';

/*
 * Text messages for one-time codes, sent the way mail is: a row in sms_messages and an
 * `sms.send` job in the caller's transaction (outbox pattern), delivered by a transport. Without
 * SMS_PROVIDER the outbox is the table itself (shown at /dev/sms-outbox in development); with
 * SMS_PROVIDER=twilio, Twilio's Messages API. No SDK: it is one form-encoded POST with basic
 * auth, made through the outbound module (TWILIO_API_URL is the operator's).
 */

export interface SmsTransport {
  kind: 'outbox' | 'twilio';
  send(message: { id: string; to: string; body: string }): Promise<{ providerId: string }>;
}

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  from: string;
  /** https://api.twilio.com, or a compatible endpoint. */
  apiUrl: string;
  timeoutMs: number;
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

export async function queueSms(
  platform: Pick<Platform, 'queue'>,
  tx: Sql,
  target: { organizationId: string; envelopeId: string | null },
  to: string,
  body: string,
): Promise<string> {
  const id = randomUUID();
  await tx.query(
    'insert into sms_messages (id, organization_id, envelope_id, to_number, body) values ($1, $2, $3, $4, $5)',
    [id, target.organizationId, target.envelopeId, to, body],
  );
  await platform.queue.enqueue(tx, 'sms.send', { smsId: id });
  return id;
}

interface SmsRow {
  id: string;
  to_number: string;
  body: string;
  state: string;
}

/** The `sms.send` job: idempotent (a sent row is skipped), retried by the queue on failure. */
export async function deliverSms(platform: Platform, smsId: string): Promise<void> {
  const [row] = await platform.db.query<SmsRow>('select * from sms_messages where id = $1', [smsId]);
  if (!row || row.state === 'sent') return;
  try {
    const { providerId } = await platform.sms.send({ id: row.id, to: row.to_number, body: row.body });
    // The code is no use to anyone once delivered: a provider keeps its copy, we keep none.
    const body = platform.sms.kind === 'outbox' ? row.body : '[one-time code delivered; not kept]';
    await platform.db.query(
      `update sms_messages set state = 'sent', sent_at = now(), transport = $2, provider_id = $3, body = $4,
              attempts = attempts + 1, last_error = null where id = $1`,
      [row.id, platform.sms.kind, providerId, body],
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await platform.db.query(
      'update sms_messages set attempts = attempts + 1, last_error = $2 where id = $1',
      [row.id, message],
    );
    throw error;
  }
}

export interface SmsOutboxEntry {
  id: string;
  to: string;
  body: string;
  state: string;
  transport: string | null;
  createdAt: string;
}

export async function listSmsOutbox(sql: Sql, limit = 50): Promise<SmsOutboxEntry[]> {
  const rows = await sql.query<{
    id: string;
    to_number: string;
    body: string;
    state: string;
    transport: string | null;
    created_at: Date | string;
  }>('select * from sms_messages order by created_at desc limit $1', [limit]);
  return rows.map((r) => ({
    id: r.id,
    to: r.to_number,
    body: r.body,
    state: r.state,
    transport: r.transport,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}
