import { revokeEnvelopeTokens } from '../ceremony/signingTokens.ts';
import { appendAuditEvent, SYSTEM_ACTOR } from '../evidence/auditLog.ts';
import { expiredMail } from '../notify/messages.ts';
import { queueMail } from '../notify/outbox.ts';
import type { Platform } from '../platform.ts';
import { loadEnvelopeById, loadMailFacts, loadRecipients } from './records.ts';

/**
 * The `envelope.expire` job (every 5 minutes): envelopes still in progress past their expiry
 * become `expired` (SPEC §A), their links are revoked and the sender is told. Returns the ids
 * it expired.
 */
export async function expireOverdueEnvelopes(platform: Platform): Promise<string[]> {
  const overdue = await platform.db.query<{ id: string }>(
    `select id from envelopes where status = 'sent' and expires_at < now() order by expires_at limit 500`,
  );
  const expired: string[] = [];
  for (const { id } of overdue) {
    const done = await platform.db.transaction(async (tx) => {
      const envelope = await loadEnvelopeById(tx, id, { lock: true });
      // Re-checked under the lock: the last signer may have finished a moment ago.
      if (envelope.status !== 'sent' || !envelope.expires_at || new Date(envelope.expires_at) >= new Date())
        return false;
      await tx.query(`update envelopes set status = 'expired' where id = $1`, [id]);
      await revokeEnvelopeTokens(tx, id);
      const pending = (await loadRecipients(tx, id)).filter(
        (r) => r.role !== 'cc' && r.status !== 'completed',
      );
      await appendAuditEvent(tx, id, 'envelope.expired', SYSTEM_ACTOR, {
        expiresAt: new Date(envelope.expires_at).toISOString(),
        pending: pending.map((r) => r.id),
      });
      if (envelope.sender_email) {
        const facts = await loadMailFacts(tx, envelope);
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
