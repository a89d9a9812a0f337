import type { Sql } from '../db/database.ts';
import { appendAuditEvent } from '../evidence/auditLog.ts';
import { type IdentityCheckRow, updateCheck } from './checks.ts';

/*
 * A round trip to an identity provider that the signer started and that never came back fails
 * as a timeout once its window has passed (SPEC §E outcomes): settled whenever the signer opens
 * their session again. A late answer is refused by the SAML and OIDC services themselves.
 */

const ROUND_TRIPS = {
  saml: { inProgress: 'SAML_IN_PROGRESS', table: 'saml_requests', id: 'id', timeout: 'SAML_TIMEOUT' },
  oidc: { inProgress: 'OIDC_IN_PROGRESS', table: 'oidc_requests', id: 'state', timeout: 'OIDC_TIMEOUT' },
} as const;

export async function settleIdentityTimeouts(
  tx: Sql,
  checks: IdentityCheckRow[],
  envelopeId: string,
): Promise<void> {
  for (const check of checks) {
    if (check.kind !== 'saml' && check.kind !== 'oidc') continue;
    const trip = ROUND_TRIPS[check.kind];
    if (check.status !== 'pending' || check.reason !== trip.inProgress) continue;
    const [live] = await tx.query(
      `select 1 from ${trip.table} where identity_check_id = $1 and consumed_at is null and expires_at > now() limit 1`,
      [check.id],
    );
    if (live) continue;
    await updateCheck(tx, check.id, { status: 'failed', reason: trip.timeout });
    await appendAuditEvent(
      tx,
      envelopeId,
      'identity.failed',
      { actor: 'system' },
      {
        recipientId: check.recipient_id,
        kind: check.kind,
        reason: trip.timeout,
      },
    );
  }
}
