import type { Sql } from '../db/database.ts';
import { assertMayAct, openSession, type Session } from '../envelopes/aggregate/signerSession.ts';
import { SignetError } from '../errors.ts';
import { findCheck, type IdentityCheckRow, loadIdentityChecks } from './checks.ts';

/**
 * The signer's check that a round trip to an identity provider (SAML, OIDC) is about to start
 * for: the session may act, the recipient has that check, and it has not passed yet. Locks
 * the check rows for the caller's transaction.
 */
export async function checkForRoundTrip(
  tx: Sql,
  token: string,
  kind: 'saml' | 'oidc',
): Promise<{ session: Session; check: IdentityCheckRow }> {
  const session = await openSession(tx, token, { lock: true });
  assertMayAct(session);
  const check = findCheck(await loadIdentityChecks(tx, session.recipient.id, { lock: true }), kind);
  if (check.status === 'passed') {
    throw new SignetError('IDENTITY_ALREADY_PASSED', 'Your identity has already been verified.');
  }
  return { session, check };
}
