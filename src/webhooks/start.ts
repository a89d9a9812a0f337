import { z } from 'zod';
import { subscribeToAuditEvents } from '../evidence/auditLog.ts';
import type { Platform } from '../platform.ts';
import { deliverWebhook } from './delivery.ts';
import { sweepWebhooks } from './deliveryLog.ts';
import { queueWebhookMessages } from './messages.ts';

/*
 * Webhooks in a running Signet: every audit event that is a webhook event becomes messages in
 * its own transaction, and this process delivers from the queue.
 */

/**
 * Deliveries wait on other servers (up to 10 s each), not on the CPU. pg-boss hands a worker
 * its jobs in batches and takes the next batch when the whole one is done, so several small
 * batches keep one slow receiver from holding up the rest.
 */
const DELIVERY_WORKERS = 4;
const DELIVERIES_PER_WORKER = 4;

const deliverJob = z.object({ deliveryId: z.uuid(), attempt: z.number().int().min(1) });

/** Returns what stops listening to the audit events. */
export async function startWebhooks(platform: Platform): Promise<() => void> {
  const unsubscribe = subscribeToAuditEvents(platform.db, (tx, event, organizationId) =>
    queueWebhookMessages(platform.queue, tx, event, organizationId),
  );
  for (let worker = 0; worker < DELIVERY_WORKERS; worker++) {
    await platform.queue.work('webhook.deliver', (data) => deliverWebhook(platform, deliverJob.parse(data)), {
      concurrency: DELIVERIES_PER_WORKER,
    });
  }
  await platform.queue.work('webhook.sweep', () => sweepWebhooks(platform));
  await platform.queue.schedule('webhook.sweep', '23 * * * *');
  return unsubscribe;
}
