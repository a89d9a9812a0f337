import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '../../db/database.ts';
import { SignetError } from '../../errors.ts';
import { parseRows, signingTokenRowSchema } from './rows.ts';
import type { SigningLinkPurpose } from './statuses.ts';

/**
 * Signing links are capabilities (SPEC §B): 256 random bits, only their SHA-256 stored, bound
 * to one recipient, expiring, revocable. Possession opens the ceremony; it never skips the
 * recipient's configured identity checks.
 */
export type TokenPurpose = SigningLinkPurpose;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export async function issueSigningToken(
  tx: Sql,
  input: { envelopeId: string; recipientId: string; purpose: TokenPurpose; expiresAt: Date },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await tx.query(
    `insert into signing_tokens (id, token_hash, envelope_id, recipient_id, purpose, expires_at)
     values ($1, $2, $3, $4, $5, $6)`,
    [randomUUID(), hashToken(token), input.envelopeId, input.recipientId, input.purpose, input.expiresAt],
  );
  return token;
}

export interface ResolvedToken {
  envelopeId: string;
  recipientId: string;
  purpose: TokenPurpose;
  expiresAt: Date;
}

// One answer for unknown and malformed tokens, so that probing learns nothing.
const invalidLink = () =>
  new SignetError(
    'SIGNING_LINK_INVALID',
    'This signing link is not valid. Check that you copied the whole link.',
  );

export async function resolveSigningToken(sql: Sql, token: string): Promise<ResolvedToken> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw invalidLink();
  const [row] = parseRows(
    'signing_tokens',
    signingTokenRowSchema,
    await sql.query(
      'select envelope_id, recipient_id, purpose, expires_at, revoked_at from signing_tokens where token_hash = $1',
      [hashToken(token)],
    ),
  );
  if (!row) throw invalidLink();
  // Expiry first: an expired envelope's links are also revoked, and "expired" is the truer reason.
  if (row.expires_at.getTime() <= Date.now()) {
    throw new SignetError(
      'SIGNING_LINK_EXPIRED',
      'This signing link has expired. Ask the sender to send you a new one.',
    );
  }
  if (row.revoked_at) {
    throw new SignetError('SIGNING_LINK_REVOKED', 'This signing link was withdrawn by the sender.');
  }
  return {
    envelopeId: row.envelope_id,
    recipientId: row.recipient_id,
    purpose: row.purpose,
    expiresAt: row.expires_at,
  };
}

export async function revokeEnvelopeTokens(tx: Sql, envelopeId: string): Promise<void> {
  await tx.query(
    'update signing_tokens set revoked_at = now() where envelope_id = $1 and revoked_at is null',
    [envelopeId],
  );
}
