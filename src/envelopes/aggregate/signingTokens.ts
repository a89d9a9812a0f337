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
  input: {
    envelopeId: string;
    recipientId: string;
    purpose: TokenPurpose;
    expiresAt: Date;
    /** Embedded signing: where the integrator wants the signer sent when they are done. */
    returnUrl?: string;
  },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await tx.query(
    `insert into signing_tokens (id, token_hash, envelope_id, recipient_id, purpose, expires_at, return_url)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [
      randomUUID(),
      hashToken(token),
      input.envelopeId,
      input.recipientId,
      input.purpose,
      input.expiresAt,
      input.returnUrl ?? null,
    ],
  );
  return token;
}

export interface ResolvedToken {
  envelopeId: string;
  recipientId: string;
  purpose: TokenPurpose;
  expiresAt: Date;
  returnUrl: string | null;
}

// One answer for unknown and malformed tokens, so that probing learns nothing.
const invalidLink = () =>
  new SignetError(
    'SIGNING_LINK_INVALID',
    'This signing link is not valid. Check that you copied the whole link.',
  );

const isTokenShaped = (token: string) => /^[A-Za-z0-9_-]{43}$/.test(token);

async function findTokenRow(sql: Sql, token: string) {
  if (!isTokenShaped(token)) return undefined;
  const [row] = parseRows(
    'signing_tokens',
    signingTokenRowSchema,
    await sql.query(
      'select envelope_id, recipient_id, purpose, expires_at, revoked_at, return_url from signing_tokens where token_hash = $1',
      [hashToken(token)],
    ),
  );
  return row;
}

export async function resolveSigningToken(sql: Sql, token: string): Promise<ResolvedToken> {
  const row = await findTokenRow(sql, token);
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
    returnUrl: row.return_url,
  };
}

/**
 * The organisation a link was issued by, whether or not the link still works: the signing page
 * of an expired or withdrawn link says so inside the integrator's frame too, so the frame's
 * policy follows the organisation, not the link's state. Undefined for an unknown link.
 */
export async function organizationOfSigningToken(sql: Sql, token: string): Promise<string | undefined> {
  if (!isTokenShaped(token)) return undefined;
  const [row] = await sql.query<{ organization_id: string }>(
    `select e.organization_id from signing_tokens t join envelopes e on e.id = t.envelope_id
      where t.token_hash = $1`,
    [hashToken(token)],
  );
  return row?.organization_id;
}

export async function revokeEnvelopeTokens(tx: Sql, envelopeId: string): Promise<void> {
  await tx.query(
    'update signing_tokens set revoked_at = now() where envelope_id = $1 and revoked_at is null',
    [envelopeId],
  );
}
