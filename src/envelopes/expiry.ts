import { appendAuditEvent, SYSTEM_ACTOR } from '../evidence/auditLog.ts';
import { loadMailFacts } from '../notify/envelopeFacts.ts';
import { expiredMail } from '../notify/messages.ts';
import { queueMail } from '../notify/outbox.ts';
import type { Platform } from '../platform.ts';
import {
  databaseNow,
  isAllowed,
  loadAggregate,
  loadEnvelopeById,
  markExpired,
  overdueEnvelopeIds,
} from './aggregate/store.ts';

/**
 * The `envelope.expire` job (every 5 minutes): envelopes still in progress past their expiry
 * become `expired` (SPEC §A), their links are revoked and the sender is told. Returns the ids
 * it expired.
 */
export async function expireOverdueEnvelopes(platform: Platform): Promise<string[]> {
  const overdue = await overdueEnvelopeIds(platform.db, 500);
  const expired: string[] = [];
  for (const id of overdue) {
    const done = await platform.db.transaction(async (tx) => {
      const aggregate = await loadAggregate(tx, await loadEnvelopeById(tx, id, { lock: true }));
      const { envelope } = aggregate;
      // Re-decided under the lock: the last signer may have finished a moment ago.
      const now = await databaseNow(tx);
      if (!isAllowed(aggregate, { type: 'expire', now }) || !envelope.expires_at) return false;
      await markExpired(tx, aggregate, now);
      const pending = aggregate.recipients.filter((r) => r.role !== 'cc' && r.status !== 'completed');
      await appendAuditEvent(tx, id, 'envelope.expired', SYSTEM_ACTOR, {
        expiresAt: envelope.expires_at.toISOString(),
        pending: pending.map((r) => r.id),
      });
      if (envelope.sender_email) {
        const facts = await loadMailFacts(tx, envelope, platform.config.publicUrl);
        const mail = expiredMail(
          facts,
          envelope.sender_email,
          pending.map((r) => `${r.name} <${r.email}>`),
        );
        await queueMail(platform, tx, { organizationId: envelope.organization_id, envelopeId: id }, mail);
      }
      return true;
    });
    if (done) expired.push(id);
  }
  return expired;
}
