import { SYSTEM_ACTOR } from '../evidence/auditLog.ts';
import type { Platform } from '../platform.ts';
import {
  databaseNow,
  dueReminderEnvelopeIds,
  isAllowed,
  loadAggregate,
  loadEnvelopeById,
  scheduleNextReminder,
} from './aggregate/store.ts';
import { daysFromNow } from './records.ts';
import { remindInTransaction } from './service.ts';

/**
 * The `envelope.remind` job (every 5 minutes, beside expiry): envelopes in progress whose
 * reminder schedule is due remind everyone whose turn it is — the same step as the sender's
 * remind, by the system — and their next reminder is set (`everyDays` later, or none).
 * Returns the ids it reminded.
 */
export async function sendDueReminders(platform: Platform): Promise<string[]> {
  const due = await dueReminderEnvelopeIds(platform.db, 200);
  const reminded: string[] = [];
  for (const id of due) {
    const done = await platform.db.transaction(async (tx) => {
      const aggregate = await loadAggregate(tx, await loadEnvelopeById(tx, id, { lock: true }));
      const { envelope } = aggregate;
      // Re-decided under the lock: the envelope may have completed or been voided meanwhile.
      if (!isAllowed(aggregate, { type: 'remind' }) || !envelope.next_reminder_at) return false;
      if (envelope.next_reminder_at > (await databaseNow(tx))) return false;
      const every = envelope.reminder_every_days;
      await scheduleNextReminder(tx, aggregate, every === null ? null : daysFromNow(every));
      await remindInTransaction(platform, tx, aggregate, SYSTEM_ACTOR);
      return true;
    });
    if (done) reminded.push(id);
  }
  return reminded;
}
