import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/database.ts';
import { loadEnvelopeById } from '../envelopes/aggregate/store.ts';
import { envelopeView } from '../envelopes/records.ts';
import { SignetError } from '../errors.ts';
import type { ChainedAuditEvent } from '../evidence/auditChain.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Platform } from '../platform.ts';
import { loadEndpoint } from './endpoints.ts';
import {
  payloadBody,
  recipientIdOf,
  TEST_EVENT_TYPE,
  type WebhookEventType,
  webhookTypeOfAudit,
} from './events.ts';
import { RETRY_WINDOW_SECONDS } from './retrySchedule.ts';

/*
 * Messages and their deliveries: made inside the transaction of the change they announce, with
 * the `webhook.deliver` job of each delivery (outbox pattern), so a message goes out after
 * the change commits and never for one that rolled back. A message's id is its `webhook-id`
 * on every attempt and replay.
 */

export interface DeliverJob {
  deliveryId: string;
  /** The attempt this job makes: a job whose attempt was made already is a stale duplicate. */
  attempt: number;
}

const newMessageId = () => `msg_${randomUUID().replaceAll('-', '')}`;
const MESSAGE_ID = /^msg_[0-9a-f]{32}$/;

export const messageNotFound = () =>
  new SignetError('WEBHOOK_MESSAGE_NOT_FOUND', 'No such message was sent to this webhook');

async function insertMessage(
  tx: Sql,
  message: { organizationId: string; envelopeId: string | null; type: WebhookEventType; body: string },
): Promise<string> {
  const id = newMessageId();
  await tx.query(
    'insert into webhook_messages (id, organization_id, envelope_id, type, body) values ($1, $2, $3, $4, $5)',
    [id, message.organizationId, message.envelopeId, message.type, message.body],
  );
  return id;
}

async function insertDelivery(
  queue: JobQueue,
  tx: Sql,
  organizationId: string,
  messageId: string,
  endpointId: string,
): Promise<string> {
  const id = randomUUID();
  await tx.query(
    `insert into webhook_deliveries (id, message_id, endpoint_id, organization_id, next_attempt_at, retry_until)
     values ($1, $2, $3, $4, now(), now() + make_interval(secs => $5))`,
    [id, messageId, endpointId, organizationId, RETRY_WINDOW_SECONDS],
  );
  await enqueueAttempt(queue, tx, { deliveryId: id, attempt: 1 });
  return id;
}

export async function enqueueAttempt(
  queue: JobQueue,
  tx: Sql,
  job: DeliverJob,
  startAfterSeconds?: number,
): Promise<void> {
  await queue.enqueue(tx, 'webhook.deliver', { ...job }, startAfterSeconds ? { startAfterSeconds } : {});
}

/**
 * The audit subscriber (evidence/auditLog.ts): an audit event that is a webhook event becomes
 * one message, with a delivery to each enabled endpoint of the organisation that listens for
 * its type. `data` is the envelope as GET returns it, read in the same transaction, so it is
 * the envelope as the event left it.
 */
export async function queueWebhookMessages(
  queue: JobQueue,
  tx: Sql,
  event: ChainedAuditEvent,
  organizationId: string,
): Promise<void> {
  const type = webhookTypeOfAudit(event.type);
  if (!type) return;
  const endpoints = await tx.query<{ id: string }>(
    `select id from webhook_endpoints
      where organization_id = $1 and enabled and (events is null or $2 = any (events))
      order by created_at, id`,
    [organizationId, type],
  );
  if (endpoints.length === 0) return;
  const recipientId = recipientIdOf(type, event.data);
  if (type === 'recipient.viewed' && !(await isFirstView(tx, event.envelopeId, recipientId))) return;
  const data = await envelopeView(oneQueryAtATime(tx), await loadEnvelopeById(tx, event.envelopeId));
  const body = payloadBody({ type, timestamp: event.at, ...(recipientId ? { recipientId } : {}), data });
  const messageId = await insertMessage(tx, { organizationId, envelopeId: event.envelopeId, type, body });
  for (const endpoint of endpoints) {
    await insertDelivery(queue, tx, organizationId, messageId, endpoint.id);
  }
}

/**
 * `tx` asking one query at a time. A transaction is one connection, and node-postgres refuses
 * overlapping queries on one client (deprecated, to be an error in pg 9); `envelopeView` — the
 * very function behind GET, so `data` is what GET returns — asks for three at once.
 */
function oneQueryAtATime(tx: Sql): Sql {
  let previous: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(run: () => Promise<T>): Promise<T> => {
    const next = previous.then(run, run);
    previous = next.catch(() => undefined);
    return next;
  };
  return {
    database: tx.database,
    afterCommit: (callback) => tx.afterCommit(callback),
    query: (text, params) => inTurn(() => tx.query(text, params)),
    exec: (script) => inTurn(() => tx.exec(script)),
  };
}

/**
 * Every opening of a signing link is audited as a view; the recipient's transition (sent →
 * delivered) is the first one only, and only that one is announced.
 */
async function isFirstView(tx: Sql, envelopeId: string, recipientId: string | undefined): Promise<boolean> {
  if (!recipientId) return true;
  const [row] = await tx.query<{ views: number }>(
    `select count(*)::int as views from audit_events
      where envelope_id = $1 and type = 'recipient.viewed' and data ->> 'recipientId' = $2`,
    [envelopeId, recipientId],
  );
  return (row?.views ?? 0) <= 1;
}

/** `POST /api/v1/webhooks/:id/test`: a `webhook.test` message to this endpoint alone. */
export async function sendTestMessage(
  platform: Pick<Platform, 'db' | 'queue'>,
  organizationId: string,
  endpointId: string,
): Promise<{ messageId: string; deliveryId: string }> {
  return platform.db.transaction(async (tx) => {
    const endpoint = await loadEndpoint(tx, organizationId, endpointId, { lock: true });
    assertEnabled(endpoint.enabled);
    const body = payloadBody({
      type: TEST_EVENT_TYPE,
      timestamp: new Date().toISOString(),
      data: { webhookId: endpoint.id },
    });
    const messageId = await insertMessage(tx, {
      organizationId,
      envelopeId: null,
      type: TEST_EVENT_TYPE,
      body,
    });
    const deliveryId = await insertDelivery(platform.queue, tx, organizationId, messageId, endpoint.id);
    return { messageId, deliveryId };
  });
}

/**
 * Sends a message to this endpoint again, under the same `webhook-id`, with a fresh three days
 * of retries if it fails. An attempt already in flight finishes first (its lease holds).
 */
export async function replayMessage(
  platform: Pick<Platform, 'db' | 'queue'>,
  organizationId: string,
  endpointId: string,
  messageId: string,
): Promise<{ messageId: string; deliveryId: string }> {
  return platform.db.transaction(async (tx) => {
    const endpoint = await loadEndpoint(tx, organizationId, endpointId, { lock: true });
    if (!MESSAGE_ID.test(messageId)) throw messageNotFound();
    const [delivery] = await tx.query<{ id: string; attempts: number }>(
      'select id, attempts from webhook_deliveries where endpoint_id = $1 and message_id = $2 for update',
      [endpoint.id, messageId],
    );
    if (!delivery) throw messageNotFound();
    assertEnabled(endpoint.enabled);
    await tx.query(
      `update webhook_deliveries
          set state = 'pending', next_attempt_at = now(), retry_until = now() + make_interval(secs => $2)
        where id = $1`,
      [delivery.id, RETRY_WINDOW_SECONDS],
    );
    await enqueueAttempt(platform.queue, tx, { deliveryId: delivery.id, attempt: delivery.attempts + 1 });
    return { messageId, deliveryId: delivery.id };
  });
}

function assertEnabled(enabled: boolean): void {
  if (!enabled) {
    throw new SignetError(
      'WEBHOOK_DISABLED',
      'This webhook is disabled; enable it first (PATCH with `enabled: true`).',
    );
  }
}
