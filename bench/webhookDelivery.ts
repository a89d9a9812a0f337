import { createHmac, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { ChainedAuditEvent } from '../src/evidence/auditChain.ts';
import { queueWebhookMessages } from '../src/webhooks/messages.ts';
import {
  createTestOrganization,
  type DatabaseKind,
  eventually,
  startTestSignet,
} from '../test/support/signetHarness.ts';
import { startWebhookReceiver } from '../test/support/webhookReceiver.ts';
import { makeContractPdf } from './documents.ts';
import { type Sample, summarize } from './stats.ts';
import { formatMs, formatRate, formatTimes, type Row } from './table.ts';

/*
 * Webhook delivery throughput: events made in their transactions (the audit subscriber's own
 * code, on a real sent envelope, so each body is a real envelope of a few kB), then signed and
 * POSTed from the queue by a running Signet to a receiver on loopback, until the receiver has
 * them all. Beside it, in the same run, the raw HMAC-SHA256 rate over the same bytes on one
 * core: the ratio says how much of a delivery is the signature and how much the rest (the
 * queue, the database, HTTP).
 */

export interface WebhookDeliveryPlan {
  events: number;
  /** Events per transaction, as a burst of transitions would make them. */
  batch: number;
  warmup: number;
}

export interface WebhookDeliveryResult {
  database: DatabaseKind;
  plan: WebhookDeliveryPlan;
  bodyBytes: number;
  wallMs: number;
  eventsPerSecond: number;
  /** Events made (snapshot, message, delivery and job, in transactions of `batch`) per second. */
  producedPerSecond: number;
  /** From the commit of an event's transaction until the receiver has it. */
  latency: Sample;
  /** `createHmac('sha256')` over `${id}.${timestamp}.${body}` of the same body, one core. */
  hmacPerSecond: number;
}

const HMAC_DURATION_MS = 1000;
const created = z.object({ id: z.string() });

export async function measureWebhookDelivery(
  database: DatabaseKind,
  plan: WebhookDeliveryPlan,
): Promise<WebhookDeliveryResult> {
  const receiver = await startWebhookReceiver();
  const arrivals = new Map<string, number>();
  receiver.answer('/bench', (request) => {
    arrivals.set(String(request.headers['webhook-id']), performance.now());
    return { status: 204 };
  });
  const signet = await startTestSignet(database, { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
  try {
    const { apiKey, organizationId } = await createTestOrganization(signet, 'Bench Ltd');
    const headers = { authorization: `Bearer ${apiKey}` };
    const webhook = await signet.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers,
      payload: { url: receiver.url('/bench'), events: ['envelope.sent'] },
    });
    if (webhook.statusCode !== 201) throw new Error(`creating the webhook answered ${webhook.statusCode}`);
    const pdf = Buffer.from(await makeContractPdf(1)).toString('base64');
    const envelope = await signet.app.inject({
      method: 'POST',
      url: '/api/v1/envelopes?send=true',
      headers,
      payload: {
        title: 'Bench agreement',
        recipients: [{ name: 'Sam Signer', email: 'sam@client.test', role: 'signer', routingOrder: 1 }],
        fields: [
          { recipient: 'sam@client.test', type: 'signature', page: 1, x: 50, y: 720, width: 180, height: 40 },
        ],
        documents: [{ name: 'agreement.pdf', content: pdf }],
      },
    });
    if (envelope.statusCode !== 201) throw new Error(`creating the envelope answered ${envelope.statusCode}`);
    const envelopeId = created.parse(envelope.json()).id;

    // The events: `envelope.sent` again and again, each a message with a delivery and its job.
    let seq = 1000;
    const produce = async (count: number) => {
      const committed = new Map<number, number>();
      for (let made = 0; made < count; made += plan.batch) {
        const size = Math.min(plan.batch, count - made);
        await signet.platform.db.transaction(async (tx) => {
          for (let i = 0; i < size; i++) {
            await queueWebhookMessages(
              signet.platform.queue,
              tx,
              auditEvent(envelopeId, seq++),
              organizationId,
            );
          }
        });
        committed.set(made + size, performance.now());
      }
      return committed;
    };
    const delivered = (count: number) =>
      eventually(async () => (arrivals.size >= count ? true : undefined), `${count} deliveries`, 600_000);

    await delivered(1); // the envelope's own envelope.sent
    await produce(plan.warmup);
    await delivered(1 + plan.warmup);
    const before = new Set(arrivals.keys());

    const started = performance.now();
    const commits = await produce(plan.events);
    const producedMs = performance.now() - started;
    await delivered(1 + plan.warmup + plan.events);
    const wallMs = Math.max(...arrivals.values()) - started;

    // In the order they were made: a batch's messages share its transaction's created_at.
    const messages = await signet.platform.db.query<{ id: string; body: string }>(
      'select id, body from webhook_messages where organization_id = $1 order by created_at, id',
      [organizationId],
    );
    const measured = messages.filter((message) => !before.has(message.id));
    // Each message's commit: the end of the batch it was made in (batches commit in order).
    const batchEnds = [...commits.entries()].sort(([a], [b]) => a - b);
    const latencies = measured.map((message, index) => {
      const end = batchEnds.find(([upTo]) => index < upTo)?.[1] ?? started;
      return (arrivals.get(message.id) ?? end) - end;
    });
    const body = measured[0]?.body ?? '';
    return {
      database,
      plan,
      bodyBytes: Buffer.byteLength(body),
      wallMs,
      eventsPerSecond: (plan.events * 1000) / wallMs,
      producedPerSecond: (plan.events * 1000) / producedMs,
      latency: summarize(latencies),
      hmacPerSecond: measureHmacRate(body),
    };
  } finally {
    await signet.stop();
    await receiver.close();
  }
}

function auditEvent(envelopeId: string, seq: number): ChainedAuditEvent {
  return {
    envelopeId,
    seq,
    type: 'envelope.sent',
    actor: 'system',
    ip: null,
    userAgent: null,
    at: new Date().toISOString(),
    data: {},
    prevHash: '',
    hash: '',
  };
}

/** Standard Webhooks signatures of `body` per second on one core (node:crypto, as Signet signs). */
export function measureHmacRate(body: string, durationMs = HMAC_DURATION_MS): number {
  const key = randomBytes(32);
  const id = `msg_${randomBytes(16).toString('hex')}`;
  const sign = (timestamp: number) =>
    createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  for (let i = 0; i < 1000; i++) sign(i);
  let count = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 100; i++) sign(count + i);
    count += 100;
    elapsed = performance.now() - started;
  }
  return (count * 1000) / elapsed;
}

export function webhookDeliveryRows(result: WebhookDeliveryResult): Row[] {
  const share = result.eventsPerSecond / result.hmacPerSecond;
  return [
    {
      measure: `Webhook delivery on ${result.database}, ${result.plan.events} events of ${(result.bodyBytes / 1024).toFixed(1)} KiB to a loopback receiver`,
      value: formatRate(result.eventsPerSecond, 'events'),
      peer: `HMAC-SHA256 ${formatRate(result.hmacPerSecond, 'signs')} (1 core)`,
      ratio: `${(share * 100).toPrecision(2)} % of the HMAC rate`,
    },
    {
      measure: `  ↳ events made, ${result.plan.batch} per transaction, one transaction at a time`,
      value: formatRate(result.producedPerSecond, 'events'),
      peer: 'delivered',
      ratio: `${formatTimes(result.producedPerSecond / result.eventsPerSecond)} the delivery rate`,
    },
    {
      measure: '  ↳ commit → received, p50 / p90',
      value: `${formatMs(result.latency.median)} / ${formatMs(result.latency.p90)}`,
      peer: '—',
      ratio: '—',
    },
  ];
}
