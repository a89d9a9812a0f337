import type { Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { isUuid } from '../orgs/organizations.ts';
import type { Platform } from '../platform.ts';
import { loadEndpoint } from './endpoints.ts';
import { enqueueAttempt } from './messages.ts';

/*
 * The delivery log of an endpoint (every attempt, newest first) and its upkeep: deliveries
 * whose job was lost are queued again, and the log keeps 30 days.
 */

export const LOG_RETENTION_DAYS = 30;

/** A pending delivery this late, and not held by an attempt, has lost its job. */
const LOST_AFTER_MINUTES = 15;

interface AttemptRow {
  id: string;
  message_id: string;
  type: string;
  attempt: number;
  status: 'succeeded' | 'failed';
  response_status: number | null;
  latency_ms: number;
  response_excerpt: string | null;
  error: string | null;
  at: Date;
}

export async function listAttempts(
  sql: Sql,
  organizationId: string,
  endpointId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  const endpoint = await loadEndpoint(sql, organizationId, endpointId);
  const params: unknown[] = [endpoint.id];
  let where = 'a.endpoint_id = $1';
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    params.push(after.at, after.id);
    where += ` and (a.at, a.id) < ($2::timestamptz, $3::uuid)`;
  }
  params.push(query.limit + 1);
  const rows = await sql.query<AttemptRow>(
    `select a.id, a.message_id, m.type, a.attempt, a.status, a.response_status, a.latency_ms, a.response_excerpt,
            a.error, a.at
       from webhook_attempts a join webhook_messages m on m.id = a.message_id
      where ${where}
      order by a.at desc, a.id desc
      limit $${params.length}`,
    params,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map((row) => ({
      id: row.id,
      messageId: row.message_id,
      eventType: row.type,
      attempt: row.attempt,
      status: row.status,
      responseStatus: row.response_status,
      latencyMs: row.latency_ms,
      responseExcerpt: row.response_excerpt,
      error: row.error,
      at: new Date(row.at).toISOString(),
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
  };
}

const encodeCursor = (row: AttemptRow) =>
  Buffer.from(`${new Date(row.at).toISOString()}|${row.id}`).toString('base64url');

function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!at || !id || !isUuid(id) || Number.isNaN(Date.parse(at))) {
    throw new SignetError('CURSOR_INVALID', 'The pagination cursor is not valid', [
      { path: '/cursor', in: 'query', message: 'use the nextCursor of a previous page' },
    ]);
  }
  return { at, id };
}

/** The `webhook.sweep` job (hourly). */
export async function sweepWebhooks(platform: Pick<Platform, 'db' | 'queue'>): Promise<void> {
  await platform.db.transaction(async (tx) => {
    const lost = await tx.query<{ id: string; attempts: number }>(
      `select id, attempts from webhook_deliveries
        where state = 'pending' and next_attempt_at < now() - make_interval(mins => $1)
          and (lease_until is null or lease_until < now())
        order by next_attempt_at limit 500 for update skip locked`,
      [LOST_AFTER_MINUTES],
    );
    for (const delivery of lost) {
      await tx.query('update webhook_deliveries set next_attempt_at = now() where id = $1', [delivery.id]);
      await enqueueAttempt(platform.queue, tx, { deliveryId: delivery.id, attempt: delivery.attempts + 1 });
    }
  });
  await platform.db.query(
    `delete from webhook_messages m
      where m.created_at < now() - make_interval(days => $1)
        and not exists (select 1 from webhook_deliveries d where d.message_id = m.id and d.state = 'pending')`,
    [LOG_RETENTION_DAYS],
  );
}
