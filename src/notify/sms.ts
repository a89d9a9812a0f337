import { randomUUID } from 'node:crypto';
import type { SealedSecrets } from '../blobs/sealedSecrets.ts';
import type { Sql } from '../db/database.ts';
import type { Platform } from '../platform.ts';

/*
 * Text messages for one-time codes, sent the way mail is: a row in sms_messages and an
 * `sms.send` job in the caller's transaction (outbox pattern), delivered by a transport
 * (smsTransport.ts). Without SMS_PROVIDER the outbox is the table itself (its admin reads it at
 * GET /api/v1/outbox/sms).
 */

/**
 * Records a text message and its delivery job in the caller's transaction. Its body is a code,
 * so it is stored sealed, and kept no longer than the code works.
 */
export async function queueSms(
  platform: Pick<Platform, 'queue' | 'secrets'>,
  tx: Sql,
  target: { organizationId: string; envelopeId: string | null },
  to: string,
  body: string,
  code: { identityCheckId: string; expiresAt: Date },
): Promise<string> {
  const id = randomUUID();
  await tx.query(
    `insert into sms_messages (id, organization_id, envelope_id, to_number, sealed_body, identity_check_id, body_expires_at)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [
      id,
      target.organizationId,
      target.envelopeId,
      to,
      platform.secrets.seal(body),
      code.identityCheckId,
      code.expiresAt,
    ],
  );
  await platform.queue.enqueue(tx, 'sms.send', { smsId: id });
  return id;
}

interface SmsRow {
  id: string;
  to_number: string;
  sealed_body: string | null;
  state: string;
}

/**
 * The `sms.send` job: idempotent (only a queued row is sent), retried by the queue on failure.
 * The code is no use to anyone once delivered: a provider keeps its copy, we keep none; the
 * local outbox keeps it sealed, being the phone of the zero-set-up install, until it expires.
 */
export async function deliverSms(platform: Platform, smsId: string): Promise<void> {
  const [row] = await platform.db.query<SmsRow>(
    'select id, to_number, sealed_body, state from sms_messages where id = $1',
    [smsId],
  );
  if (row?.state !== 'queued') return;
  if (row.sealed_body === null) {
    await platform.db.query(`update sms_messages set state = 'failed', last_error = $2 where id = $1`, [
      row.id,
      'not sent: its one-time code stopped working (expired, used or replaced) before delivery',
    ]);
    return;
  }
  try {
    const body = platform.secrets.open(row.sealed_body);
    const { providerId } = await platform.sms.send({ id: row.id, to: row.to_number, body });
    await platform.db.query(
      `update sms_messages set state = 'sent', sent_at = now(), transport = $2, provider_id = $3,
              sealed_body = case when $4 then sealed_body else null end,
              attempts = attempts + 1, last_error = null where id = $1`,
      [row.id, platform.sms.kind, providerId, platform.sms.kind === 'outbox'],
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

/** A text message as the organisation's admin sees it in the outbox. */
export interface SmsOutboxEntry {
  id: string;
  to: string;
  state: string;
  transport: string | null;
  providerId: string | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  /** Null with a provider (SMS_PROVIDER), and once the code was used, replaced or expired. */
  body: string | null;
}

/** One organisation's text messages, newest first (the body only from the local outbox, while the code works). */
export async function listSmsOutbox(
  sql: Sql,
  secrets: SealedSecrets,
  query: { organizationId: string; limit: number; withBodies: boolean },
): Promise<SmsOutboxEntry[]> {
  const rows = await sql.query<{
    id: string;
    to_number: string;
    live_body: string | null;
    state: string;
    transport: string | null;
    provider_id: string | null;
    last_error: string | null;
    created_at: Date | string;
    sent_at: Date | string | null;
  }>(
    `select id, to_number, state, transport, provider_id, last_error, created_at, sent_at,
            case when body_expires_at is null or body_expires_at > now() then sealed_body end as live_body
       from sms_messages where organization_id = $1 order by created_at desc, id limit $2`,
    [query.organizationId, query.limit],
  );
  return rows.map((r) => ({
    id: r.id,
    to: r.to_number,
    state: r.state,
    transport: r.transport,
    providerId: r.provider_id,
    lastError: r.last_error,
    createdAt: new Date(r.created_at).toISOString(),
    sentAt: r.sent_at === null ? null : new Date(r.sent_at).toISOString(),
    body: query.withBodies && r.live_body !== null ? secrets.open(r.live_body) : null,
  }));
}

/** A code was used or replaced: the text messages that carried it keep no body. */
export async function eraseCodeSmsBodies(tx: Sql, identityCheckId: string): Promise<void> {
  await tx.query(
    'update sms_messages set sealed_body = null where identity_check_id = $1 and sealed_body is not null',
    [identityCheckId],
  );
}

/** The sweep: text messages whose code has expired keep no body. */
export async function eraseExpiredSmsBodies(sql: Sql): Promise<void> {
  await sql.query(
    'update sms_messages set sealed_body = null where body_expires_at <= now() and sealed_body is not null',
  );
}
