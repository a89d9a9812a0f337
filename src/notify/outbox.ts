import { randomUUID } from 'node:crypto';
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
 * Records a mail and its delivery job in the caller's transaction (outbox pattern): the mail
 * goes out if and only if the change that caused it commits.
 */
export async function queueMail(
  platform: Pick<Platform, 'queue'>,
  tx: Sql,
  target: { organizationId: string; envelopeId: string | null },
  mail: ComposedMail,
  attachments: MailAttachmentRef[] = [],
): Promise<string> {
  const id = randomUUID();
  await tx.query(
    `insert into mail_messages (id, organization_id, envelope_id, kind, to_address, subject, text_body, html_body, attachments)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      id,
      target.organizationId,
      target.envelopeId,
      mail.kind,
      mail.to,
      mail.subject,
      mail.text,
      mail.html,
      JSON.stringify(attachments),
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
  text_body: string;
  html_body: string;
  attachments: MailAttachmentRef[];
  state: string;
}

/** The `mail.send` job: idempotent (a sent row is skipped), retried by the queue on failure. */
export async function deliverMail(platform: Platform, mailId: string): Promise<void> {
  const [row] = await platform.db.query<MailRow>('select * from mail_messages where id = $1', [mailId]);
  if (!row || row.state === 'sent') return;
  try {
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
      to: row.to_address,
      subject: row.subject,
      text: row.text_body,
      html: row.html_body,
      attachments,
    });
    await platform.db.transaction(async (tx) => {
      // Once a real relay has the message, its body (which may hold a signing link) is not kept.
      const redact = platform.mail.kind === 'smtp';
      await tx.query(
        `update mail_messages set state = 'sent', transport = $2, sent_at = now(), message_id = $3,
                attempts = attempts + 1, last_error = null,
                text_body = case when $4 then '[delivered]' else text_body end,
                html_body = case when $4 then '[delivered]' else html_body end
          where id = $1`,
        [row.id, platform.mail.kind, messageId, redact],
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
  kind: string;
  to: string;
  subject: string;
  state: string;
  transport: string | null;
  messageId: string | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  /** Null unless the mail stays in the local outbox (no SMTP_URL): a relay's mail is not ours to show. */
  text: string | null;
  html: string | null;
}

/**
 * One organisation's mail, newest first. With the local outbox the table is the mailbox and
 * bodies are shown; with a relay it is the delivery log, and bodies are never shown.
 */
export async function listOutbox(
  sql: Sql,
  query: { organizationId: string; limit: number; withBodies: boolean },
): Promise<OutboxMail[]> {
  const rows = await sql.query<{
    id: string;
    kind: string;
    to_address: string;
    subject: string;
    text_body: string;
    html_body: string;
    state: string;
    transport: string | null;
    message_id: string | null;
    last_error: string | null;
    created_at: Date | string;
    sent_at: Date | string | null;
  }>(
    `select id, kind, to_address, subject, text_body, html_body, state, transport, message_id, last_error,
            created_at, sent_at
       from mail_messages where organization_id = $1 order by created_at desc, id limit $2`,
    [query.organizationId, query.limit],
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    to: r.to_address,
    subject: r.subject,
    state: r.state,
    transport: r.transport,
    messageId: r.message_id,
    lastError: r.last_error,
    createdAt: new Date(r.created_at).toISOString(),
    sentAt: r.sent_at === null ? null : new Date(r.sent_at).toISOString(),
    text: query.withBodies ? r.text_body : null,
    html: query.withBodies ? r.html_body : null,
  }));
}
