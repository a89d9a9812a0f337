import type { Sql } from '../db/database.ts';
import type { Session } from '../envelopes/aggregate/signerSession.ts';
import { appendAuditEvent } from '../evidence/auditLog.ts';
import { type IdentityCheckRow, updateCheck } from './checks.ts';

/** The email method: following the link is the proof of possession of the mailbox. */
export async function passEmailPossession(
  tx: Sql,
  session: Session,
  checks: IdentityCheckRow[],
  who: { ip: string; userAgent: string },
) {
  const email = checks.find((c) => c.kind === 'email' && c.status !== 'passed');
  if (!email) return;
  await updateCheck(tx, email.id, {
    status: 'passed',
    reason: null,
    passed_at: new Date(),
    evidence: { method: 'email link', email: session.recipient.email, ip: who.ip, userAgent: who.userAgent },
  });
  const actor = { actor: `recipient:${session.recipient.id}`, ip: who.ip, userAgent: who.userAgent };
  await appendAuditEvent(tx, session.envelope.id, 'identity.passed', actor, {
    recipientId: session.recipient.id,
    kind: 'email',
  });
}
