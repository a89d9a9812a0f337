import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SealedSecrets } from '../blobs/sealedSecrets.ts';
import type { Sql } from '../db/database.ts';
import { appendAuditEvent, SYSTEM_ACTOR } from '../evidence/auditLog.ts';
import { DEFAULT_RETRY_LIMIT } from '../jobs/queue.ts';
import type { Platform } from '../platform.ts';
import type { ComposedMail } from './messages.ts';

export interface MailAttachmentRef {
  filename: string;
  sha256: string;
  contentType: string;
}

/**
 * A message that carries a one-time code or link keeps its body no longer than that works: a
 * signer's code (its identity check erases it early once used), a staff account link.
 */
export interface OneTimeCodeLifetime {
  identityCheckId?: string;
  expiresAt: Date;
}

const mailBody = z.object({ text: z.string(), html: z.string() });

/** Mail bodies are stored sealed (they hold signing links and codes): SPEC §L, secrets at rest. */
const sealMailBody = (secrets: SealedSecrets, mail: { text: string; html: string }) =>
  secrets.seal(JSON.stringify({ text: mail.text, html: mail.html }));

const openMailBody = (secrets: SealedSecrets, sealed: string) =>
  mailBody.parse(JSON.parse(secrets.open(sealed)));

/**
 * Records a mail and its delivery job in the caller's transaction (outbox pattern): the mail
 * goes out if and only if the change that caused it commits. The body is sealed before it is
 * stored; a code's mail says how long its body may be kept.
 */
export async function queueMail(
  platform: Pick<Platform, 'queue' | 'secrets'>,
  tx: Sql,
  target: { organizationId: string; envelopeId: string | null },
  mail: ComposedMail,
  attachments: MailAttachmentRef[] = [],
  code?: OneTimeCodeLifetime,
): Promise<string> {
  const id = randomUUID();
  await tx.query(
    `insert into mail_messages (id, organization_id, envelope_id, kind, to_address, subject, sealed_body,
                                attachments, identity_check_id, body_expires_at, from_name, reply_to)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      id,
      target.organizationId,
      target.envelopeId,
      mail.kind,
      mail.to,
      mail.subject,
      sealMailBody(platform.secrets, mail),
      JSON.stringify(attachments),
      code?.identityCheckId ?? null,
      code?.expiresAt ?? null,
      mail.fromName ?? null,
      mail.replyTo ?? null,
    ],
  );
  await platform.queue.enqueue(tx, 'mail.send', { mailId: id });
  return id;
}

interface MailRow {
  id: string;
  envelope_id: string | null;
  kind: string;
  to_address: string;
  subject: string;
  sealed_body: string | null;
  attachments: MailAttachmentRef[];
  state: string;
  from_name: string | null;
  reply_to: string | null;
}

/**
 * The `mail.send` job: idempotent (only a queued row is sent), retried by the queue on failure.
 * Once a relay has the mail its body is erased; the local outbox keeps it sealed, since there
 * the outbox is the recipient's mailbox.
 */
export async function deliverMail(platform: Platform, mailId: string): Promise<void> {
  const [row] = await platform.db.query<MailRow>(
    'select id, envelope_id, kind, to_address, subject, sealed_body, attachments, state, from_name, reply_to from mail_messages where id = $1',
    [mailId],
  );
  if (row?.state !== 'queued') return;
  if (row.sealed_body === null) {
    // Its code stopped working and its body was erased before it could be sent: nothing to send.
    await platform.db.query(`update mail_messages set state = 'failed', last_error = $2 where id = $1`, [
      row.id,
      'not sent: its one-time code stopped working (expired, used or replaced) before delivery',
    ]);
    return;
  }
  try {
    const body = openMailBody(platform.secrets, row.sealed_body);
    const attachments = await Promise.all(
      row.attachments.map(async (a) => ({
        filename: a.filename,
        contentType: a.contentType,
        content: await platform.blobs.get(a.sha256),
      })),
    );
    const { messageId } = await platform.mail.deliver({
      id: row.id,
      from: platform.config.mailFrom,
      fromName: row.from_name,
      replyTo: row.reply_to,
      to: row.to_address,
      subject: row.subject,
      text: body.text,
      html: body.html,
      attachments,
    });
    await platform.db.transaction(async (tx) => {
      const keepBody = platform.mail.kind === 'outbox';
      await tx.query(
        `update mail_messages set state = 'sent', transport = $2, sent_at = now(), message_id = $3,
                attempts = attempts + 1, last_error = null,
                sealed_body = case when $4 then sealed_body else null end
          where id = $1`,
        [row.id, platform.mail.kind, messageId, keepBody],
      );
      if (row.envelope_id) {
        await appendAuditEvent(tx, row.envelope_id, 'mail.sent', SYSTEM_ACTOR, {
          kind: row.kind,
          to: row.to_address,
          messageId,
          transport: platform.mail.kind,
        });
      }
    });
  } catch (error) {
    await platform.db.query(
      `update mail_messages set attempts = attempts + 1, last_error = $2,
              state = case when attempts + 1 > $3 then 'failed' else state end where id = $1`,
      [row.id, String((error as Error).message).slice(0, 500), DEFAULT_RETRY_LIMIT],
    );
    throw error;
  }
}

/** A mail as the organisation's admin sees it in the outbox: the body only where it is kept. */
export interface OutboxMail {
  id: string;
  /** The envelope the mail is about (null for mail about none). */
  envelopeId: string | null;
  kind: string;
  to: string;
  fromName: string | null;
  replyTo: string | null;
  subject: string;
  state: string;
  transport: string | null;
  messageId: string | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  /**
   * Null with a relay (SMTP_URL: the mail is not ours to show, and its body was erased), and once
   * a one-time code's mail lost its body (the code was used, replaced or expired).
   */
  text: string | null;
  html: string | null;
}

/**
 * Who reads the outbox: the operator on the machine (`signet outbox`), or through the API an
 * owner or an admin (an admin's API key included) of the organisation.
 */
export type OutboxReader = 'operator' | 'owner' | 'admin';

/**
 * One organisation's mail, newest first. With the local outbox the table is the mailbox and
 * bodies are opened and shown (a code's only while the code works); with a relay it is the
 * delivery log, and bodies are never shown.
 *
 * A staff account's link is a way into that account, so the outbox shows it only to someone who
 * may already do what the account can: a password-reset link only to the operator (through the
 * API, an admin could otherwise ask for an owner's reset and take the account over), and an
 * invitation to become an owner only to an owner or the operator.
 */
export async function listOutbox(
  sql: Sql,
  secrets: SealedSecrets,
  query: { organizationId: string; limit: number; withBodies: boolean; reader: OutboxReader },
): Promise<OutboxMail[]> {
  const rows = await sql.query<{
    id: string;
    envelope_id: string | null;
    kind: string;
    to_address: string;
    from_name: string | null;
    reply_to: string | null;
    subject: string;
    live_body: string | null;
    state: string;
    transport: string | null;
    message_id: string | null;
    last_error: string | null;
    created_at: Date | string;
    sent_at: Date | string | null;
    to_owner: boolean;
  }>(
    `select id, envelope_id, kind, to_address, from_name, reply_to, subject, state, transport, message_id, last_error, created_at, sent_at,
            case when body_expires_at is null or body_expires_at > now() then sealed_body end as live_body,
            exists (select 1 from users u where u.organization_id = m.organization_id and u.email = m.to_address
                      and u.role = 'owner') as to_owner
       from mail_messages m where organization_id = $1 order by created_at desc, id limit $2`,
    [query.organizationId, query.limit],
  );
  const withheld = (r: { kind: string; to_owner: boolean }) =>
    query.reader !== 'operator' &&
    (r.kind === 'password-reset' ||
      (r.kind === 'account-invitation' && r.to_owner && query.reader !== 'owner'));
  return rows.map((r) => {
    const body =
      query.withBodies && r.live_body !== null && !withheld(r) ? openMailBody(secrets, r.live_body) : null;
    return {
      id: r.id,
      envelopeId: r.envelope_id,
      kind: r.kind,
      to: r.to_address,
      fromName: r.from_name,
      replyTo: r.reply_to,
      subject: r.subject,
      state: r.state,
      transport: r.transport,
      messageId: r.message_id,
      lastError: r.last_error,
      createdAt: new Date(r.created_at).toISOString(),
      sentAt: r.sent_at === null ? null : new Date(r.sent_at).toISOString(),
      text: body?.text ?? null,
      html: body?.html ?? null,
    };
  });
}

/** A code was used or replaced: the mails that carried it keep no body. */
export async function eraseCodeMailBodies(tx: Sql, identityCheckId: string): Promise<void> {
  await tx.query(
    'update mail_messages set sealed_body = null where identity_check_id = $1 and sealed_body is not null',
    [identityCheckId],
  );
}

/** The sweep: mails whose code has expired keep no body. */
export async function eraseExpiredMailBodies(sql: Sql): Promise<void> {
  await sql.query(
    'update mail_messages set sealed_body = null where body_expires_at <= now() and sealed_body is not null',
  );
}
