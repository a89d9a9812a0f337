import type { Sql } from '../../db/database.ts';
import { SignetError } from '../../errors.ts';
import type { EnvelopeRow, RecipientRow } from './rows.ts';
import { type ResolvedToken, resolveSigningToken } from './signingTokens.ts';
import { type Aggregate, assertAllowed, loadEnvelopeById, loadRecipients } from './store.ts';

/**
 * A signer's session: what their signing link opens — the envelope, with its recipients, and
 * the recipient the link was issued to. The ceremony and the identity checks both work on it.
 */
export interface Session extends Aggregate {
  envelope: EnvelopeRow;
  recipient: RecipientRow;
  /** The link itself: its purpose and, for embedded signing, where to return. */
  link: ResolvedToken;
}

/** Opens the session of a signing link; `lock` locks the envelope row for the caller's transaction. */
export async function openSession(
  sql: Sql,
  token: string,
  options: { lock?: boolean } = {},
): Promise<Session> {
  const resolved = await resolveSigningToken(sql, token);
  const envelope = await loadEnvelopeById(sql, resolved.envelopeId, options);
  const recipients = await loadRecipients(sql, envelope.id);
  const recipient = recipients.find((r) => r.id === resolved.recipientId);
  if (!recipient) throw new SignetError('SIGNING_LINK_INVALID', 'This signing link is not valid.');
  return { envelope, recipients, recipient, link: resolved };
}

/** Refuses any step through the link while the envelope or the recipient does not allow one. */
export function assertMayAct(session: Session): void {
  assertAllowed(session, { type: 'act', recipientId: session.recipient.id });
}

/** The audit log's actor for a recipient acting through their link. */
export const recipientActor = (recipient: RecipientRow, who: { ip: string; userAgent: string }) => ({
  actor: `recipient:${recipient.id}`,
  ip: who.ip,
  userAgent: who.userAgent,
});
