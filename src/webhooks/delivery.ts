import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Sql } from '../db/database.ts';
import { withoutUnstorableText } from '../http/parseInput.ts';
import { webhookDisabledMail } from '../notify/messages.ts';
import { queueMail } from '../notify/outbox.ts';
import { findOrganization, findOwner } from '../orgs/organizations.ts';
import { outboundFailureOf } from '../outbound/outboundHttp.ts';
import type { Platform } from '../platform.ts';
import { type EndpointRow, signingSecrets } from './endpoints.ts';
import { type DeliverJob, enqueueAttempt } from './messages.ts';
import { DISABLE_AFTER_FAILING_SECONDS, nextRetryDelay } from './retrySchedule.ts';
import { signedHeaders } from './signing.ts';

/*
 * The `webhook.deliver` job: one attempt of one delivery. The attempt is signed afresh
 * (`webhook-timestamp` is its own time) under the message's id, POSTed through the webhooks'
 * outbound client — public addresses only unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS, checked
 * again as the socket connects, no redirects followed, 10 s, at most 64 kB of the answer read —
 * and recorded in the delivery log. A failure schedules the next attempt as its own job
 * (retrySchedule.ts), so each attempt is a row and the retries can span three days.
 */

export const ATTEMPT_TIMEOUT_MS = 10_000;
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** An attempt holds its delivery this long (more than its timeout), so a duplicate job waits. */
const LEASE_SECONDS = 60;

type DeliveryPlatform = Pick<Platform, 'db' | 'queue' | 'secrets' | 'webhookOutbound' | 'log'>;

interface Claimed {
  deliveryId: string;
  attempt: number;
  messageId: string;
  body: string;
  endpoint: EndpointRow;
}

export interface AttemptOutcome {
  succeeded: boolean;
  responseStatus: number | null;
  responseExcerpt: string | null;
  /** An outbound error code when no HTTP answer came. */
  error: string | null;
  latencyMs: number;
}

export async function deliverWebhook(platform: DeliveryPlatform, job: DeliverJob): Promise<void> {
  const claimed = await claim(platform.db, job);
  if (!claimed) return;
  if (!claimed.endpoint.enabled) {
    await platform.db.query(
      `update webhook_deliveries set state = 'failed', last_error = 'WEBHOOK_DISABLED', lease_until = null,
              next_attempt_at = null
        where id = $1 and attempts = $2`,
      [claimed.deliveryId, claimed.attempt - 1],
    );
    return;
  }
  const outcome = await attempt(platform, claimed);
  if (outcome.succeeded) await recordSuccess(platform.db, claimed, outcome);
  else await platform.db.transaction((tx) => recordFailure(platform, tx, claimed, outcome));
}

/**
 * Takes the delivery for this attempt: still pending, this attempt not made yet, and nobody
 * else's lease on it. Otherwise the job is a stale duplicate (or the endpoint is gone).
 */
async function claim(db: Sql, job: DeliverJob): Promise<Claimed | undefined> {
  // One statement: deliveries are many and small, and each round trip to the database counts.
  const [row] = await db.query<EndpointRow & { delivery_id: string; message_id: string; body: string }>(
    `with claimed as (
       update webhook_deliveries set lease_until = now() + make_interval(secs => $3)
        where id = $1 and state = 'pending' and attempts = $2 - 1
          and (lease_until is null or lease_until < now())
        returning id, message_id, endpoint_id)
     select e.*, c.id as delivery_id, m.id as message_id, m.body
       from claimed c
       join webhook_messages m on m.id = c.message_id
       join webhook_endpoints e on e.id = c.endpoint_id`,
    [job.deliveryId, job.attempt, LEASE_SECONDS],
  );
  if (!row) return undefined;
  const { delivery_id, message_id, body, ...endpoint } = row;
  return { deliveryId: delivery_id, attempt: job.attempt, messageId: message_id, body, endpoint };
}

/** One signed POST; every way it can go wrong is an outcome, never an exception. */
async function attempt(platform: DeliveryPlatform, claimed: Claimed): Promise<AttemptOutcome> {
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Signet-Webhooks/1',
    ...signedHeaders(
      signingSecrets(platform.secrets, claimed.endpoint),
      claimed.messageId,
      timestamp,
      claimed.body,
    ),
  };
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    const answer = await platform.webhookOutbound.request({
      url: claimed.endpoint.url,
      policy: 'tenant',
      method: 'POST',
      headers,
      body: claimed.body,
      maxBytes: MAX_RESPONSE_BYTES,
      overflow: 'truncate',
      timeoutMs: ATTEMPT_TIMEOUT_MS,
      // A redirect is an answer like any other, and not a success (Standard Webhooks: 2xx only).
      maxRedirects: 0,
      acceptStatus: () => true,
    });
    return {
      succeeded: answer.status >= 200 && answer.status < 300,
      responseStatus: answer.status,
      responseExcerpt: withoutUnstorableText(Buffer.from(answer.body).toString('utf8')),
      error: null,
      latencyMs: latency(),
    };
  } catch (error) {
    const failure = outboundFailureOf(error);
    if (!failure) {
      platform.log.error(
        { err: error, deliveryId: claimed.deliveryId },
        'webhook attempt failed unexpectedly',
      );
    }
    return {
      succeeded: false,
      responseStatus: null,
      responseExcerpt: null,
      error: failure?.code ?? 'WEBHOOK_ATTEMPT_FAILED',
      latencyMs: latency(),
    };
  }
}

/** The attempt, the delivery done and the endpoint's run of failures ended: one statement. */
async function recordSuccess(db: Sql, claimed: Claimed, outcome: AttemptOutcome): Promise<void> {
  await db.query(
    `with delivery as (
       update webhook_deliveries
          set attempts = $2, state = 'succeeded', lease_until = null, next_attempt_at = null, last_error = null
        where id = $1 and attempts = $2 - 1
        returning id),
     logged as (
       insert into webhook_attempts (id, delivery_id, endpoint_id, message_id, attempt, status, response_status,
                                     latency_ms, response_excerpt)
       select $3, id, $4, $5, $2, 'succeeded', $6, $7, $8 from delivery)
     update webhook_endpoints set failing_since = null
      where id = $4 and failing_since is not null and exists (select 1 from delivery)`,
    [
      claimed.deliveryId,
      claimed.attempt,
      randomUUID(),
      claimed.endpoint.id,
      claimed.messageId,
      outcome.responseStatus,
      outcome.latencyMs,
      outcome.responseExcerpt,
    ],
  );
}

/** The attempt, then the next one scheduled or the delivery given up, and the endpoint's failing days. */
async function recordFailure(
  platform: DeliveryPlatform,
  tx: Sql,
  claimed: Claimed,
  outcome: AttemptOutcome,
): Promise<void> {
  const { deliveryId, attempt: number } = claimed;
  const lastError = outcome.error ?? `HTTP ${outcome.responseStatus ?? 'status unknown'}`;
  const [delivery] = await tx.query<{ remaining_seconds: number }>(
    `update webhook_deliveries set attempts = $2, lease_until = null, last_error = $3
      where id = $1 and attempts = $2 - 1
      returning extract(epoch from retry_until - now())::float8 as remaining_seconds`,
    [deliveryId, number, lastError],
  );
  // The endpoint was deleted meanwhile (its deliveries with it): nothing to record.
  if (!delivery) return;
  await tx.query(
    `insert into webhook_attempts (id, delivery_id, endpoint_id, message_id, attempt, status, response_status,
                                   latency_ms, response_excerpt, error)
     values ($1, $2, $3, $4, $5, 'failed', $6, $7, $8, $9)`,
    [
      randomUUID(),
      deliveryId,
      claimed.endpoint.id,
      claimed.messageId,
      number,
      outcome.responseStatus,
      outcome.latencyMs,
      outcome.responseExcerpt,
      outcome.error,
    ],
  );
  const delay = nextRetryDelay(number, delivery.remaining_seconds);
  if (delay === null) {
    await tx.query(`update webhook_deliveries set state = 'failed', next_attempt_at = null where id = $1`, [
      deliveryId,
    ]);
  } else {
    await tx.query(
      'update webhook_deliveries set next_attempt_at = now() + make_interval(secs => $2) where id = $1',
      [deliveryId, delay],
    );
    await enqueueAttempt(platform.queue, tx, { deliveryId, attempt: number + 1 }, delay);
  }
  await recordEndpointFailure(platform, tx, claimed.endpoint.id);
}

/**
 * A failed attempt starts (or continues) the endpoint's run of failures; once that run has
 * lasted five days the endpoint is disabled and the organisation's owner mailed, once.
 */
async function recordEndpointFailure(platform: DeliveryPlatform, tx: Sql, endpointId: string): Promise<void> {
  const [endpoint] = await tx.query<EndpointRow & { due: boolean }>(
    `update webhook_endpoints set failing_since = coalesce(failing_since, now())
      where id = $1
      returning *, (enabled and failing_since <= now() - make_interval(secs => $2)) as due`,
    [endpointId, DISABLE_AFTER_FAILING_SECONDS],
  );
  if (!endpoint?.due) return;
  await tx.query(
    `update webhook_endpoints set enabled = false, disabled_at = now(), disabled_reason = 'failing', updated_at = now()
      where id = $1`,
    [endpointId],
  );
  const owner = await findOwner(tx, endpoint.organization_id);
  if (!owner) return;
  const organization = await findOrganization(tx, endpoint.organization_id);
  await queueMail(
    platform,
    tx,
    { organizationId: endpoint.organization_id, envelopeId: null },
    webhookDisabledMail(owner.email, {
      organizationName: organization?.name ?? '',
      id: endpoint.id,
      url: endpoint.url,
      failingSince: new Date(endpoint.failing_since ?? Date.now()),
    }),
  );
  platform.log.warn({ webhookId: endpoint.id }, 'webhook disabled after failing for five days');
}
