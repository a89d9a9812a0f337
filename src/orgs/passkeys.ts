import { randomUUID } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import type { Who } from '../http/who.ts';
import type { Platform } from '../platform.ts';
import { createSession, type UserRow, userView } from './signIn.ts';

/*
 * Passkeys for staff (WebAuthn Level 3, through @simplewebauthn/server): a signed-in user
 * registers one; later it signs them in on its own — a passkey with user verification is
 * already two factors, so no TOTP step follows. The relying party is PUBLIC_URL's host, and
 * only PUBLIC_URL's origin is accepted.
 */

const CHALLENGE_TTL_MS = 5 * 60 * 1000;

function relyingParty(platform: Platform) {
  const url = new URL(platform.config.publicUrl);
  return { rpID: url.hostname, origin: url.origin };
}

async function storeChallenge(
  sql: Sql,
  purpose: 'registration' | 'authentication',
  challenge: string,
  userId: string | null,
) {
  const id = randomUUID();
  await sql.query(
    'insert into webauthn_challenges (id, user_id, purpose, challenge, expires_at) values ($1, $2, $3, $4, $5)',
    [id, userId, purpose, challenge, new Date(Date.now() + CHALLENGE_TTL_MS)],
  );
  await sql.query('delete from webauthn_challenges where expires_at < now()');
  return id;
}

/** Takes a challenge out of the store: each is good once, and only for its purpose and user. */
async function takeChallenge(sql: Sql, id: string, purpose: string, userId: string | null): Promise<string> {
  const [row] = await sql.query<{ challenge: string; user_id: string | null; expires_at: Date | string }>(
    'delete from webauthn_challenges where id = $1 and purpose = $2 returning challenge, user_id, expires_at',
    [id, purpose],
  );
  if (
    !row ||
    new Date(row.expires_at).getTime() <= Date.now() ||
    (userId !== null && row.user_id !== userId)
  ) {
    throw new SignetError('PASSKEY_CHALLENGE_INVALID', 'This passkey request has expired: start again.');
  }
  return row.challenge;
}

export async function passkeyRegistrationOptions(platform: Platform, userId: string) {
  const [user] = await platform.db.query<UserRow>('select * from users where id = $1', [userId]);
  if (!user) throw new SignetError('USER_NOT_FOUND', 'No such user');
  const existing = await platform.db.query<{ id: string; transports: string[] }>(
    'select id, transports from webauthn_credentials where user_id = $1',
    [userId],
  );
  const options = await generateRegistrationOptions({
    rpName: 'Signet',
    rpID: relyingParty(platform).rpID,
    userName: user.email,
    userDisplayName: user.name || user.email,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
  });
  const challengeId = await storeChallenge(platform.db, 'registration', options.challenge, userId);
  return { challengeId, options };
}

export async function registerPasskey(
  platform: Platform,
  userId: string,
  challengeId: string,
  response: RegistrationResponseJSON,
) {
  const expectedChallenge = await takeChallenge(platform.db, challengeId, 'registration', userId);
  const { rpID, origin } = relyingParty(platform);
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: true,
    });
  } catch (error) {
    throw new SignetError('PASSKEY_REJECTED', `The passkey was not accepted: ${(error as Error).message}`);
  }
  if (!verification.verified) throw new SignetError('PASSKEY_REJECTED', 'The passkey was not accepted.');
  const { credential } = verification.registrationInfo;
  await platform.db.query(
    'insert into webauthn_credentials (id, user_id, public_key, counter, transports) values ($1, $2, $3, $4, $5)',
    [
      credential.id,
      userId,
      Buffer.from(credential.publicKey).toString('base64'),
      credential.counter,
      JSON.stringify(credential.transports ?? []),
    ],
  );
  return { registered: true, credentialId: credential.id };
}

/** Options for a passkey sign-in: discoverable credentials, so no name needs typing first. */
export async function passkeySignInOptions(platform: Platform) {
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(platform).rpID,
    userVerification: 'required',
  });
  const challengeId = await storeChallenge(platform.db, 'authentication', options.challenge, null);
  return { challengeId, options };
}

export async function signInWithPasskey(
  platform: Platform,
  challengeId: string,
  response: AuthenticationResponseJSON,
  who: Who,
) {
  const expectedChallenge = await takeChallenge(platform.db, challengeId, 'authentication', null);
  const [stored] = await platform.db.query<{
    id: string;
    user_id: string;
    public_key: string;
    counter: string | number;
    transports: string[];
  }>('select * from webauthn_credentials where id = $1', [response.id]);
  if (!stored) throw new SignetError('PASSKEY_UNKNOWN', 'This passkey is not registered here.');
  const { rpID, origin } = relyingParty(platform);
  let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: true,
      credential: {
        id: stored.id,
        publicKey: new Uint8Array(Buffer.from(stored.public_key, 'base64')),
        counter: Number(stored.counter),
        transports: stored.transports as never,
      },
    });
  } catch (error) {
    throw new SignetError(
      'PASSKEY_SIGN_IN_FAILED',
      `The passkey was not accepted: ${(error as Error).message}`,
    );
  }
  if (!verification.verified)
    throw new SignetError('PASSKEY_SIGN_IN_FAILED', 'The passkey was not accepted.');
  await platform.db.query(
    // Never backwards, even when two sign-ins with the same passkey finish together.
    'update webauthn_credentials set counter = greatest(counter, $2), last_used_at = now() where id = $1',
    [stored.id, verification.authenticationInfo.newCounter],
  );
  const [user] = await platform.db.query<UserRow>('select * from users where id = $1', [stored.user_id]);
  if (!user) throw new SignetError('PASSKEY_UNKNOWN', 'This passkey is not registered here.');
  if (user.deactivated_at) {
    throw new SignetError('PASSKEY_SIGN_IN_FAILED', 'This account is deactivated: ask an administrator.');
  }
  if (user.locked_until && new Date(user.locked_until).getTime() > Date.now()) {
    throw new SignetError('SIGN_IN_LOCKED', 'Too many failed sign-ins: try again later.');
  }
  const { token, expiresAt } = await createSession(platform.db, user, false, who);
  await platform.db.query('update users set last_sign_in_at = now() where id = $1', [user.id]);
  return { status: 'signed-in' as const, token, expiresAt, user: userView(user) };
}
