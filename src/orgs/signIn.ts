import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import type { Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import type { Who } from '../http/who.ts';
import type { Platform } from '../platform.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { type ApiKeyScope, isRole, ROLE_SCOPES, type Role } from './scopes.ts';

/*
 * Staff sign-in (SPEC §E): email and password (scrypt), then a TOTP code (RFC 6238, otplib) or
 * a one-use recovery code when the user has enrolled; the result is a session token for the
 * API, valid 12 hours, stored only as its SHA-256. Wrong passwords lock the account for a
 * while, growing with each lock, so guessing is slow whatever the attacker's address.
 */

export const SESSION_PREFIX = 'sgs_';
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** A password step waits this long for its second factor. */
const SECOND_FACTOR_TTL_MS = 5 * 60 * 1000;
export const MAX_FAILED_SIGN_INS = 5;
const LOCK_BASE_SECONDS = 60;
const MAX_LOCK_SECONDS = 86_400;
const RECOVERY_CODE_COUNT = 10;
export const MIN_PASSWORD_LENGTH = 12;
/** ±1 step of 30 s: a phone clock a little off still works (RFC 6238 §5.2). */
const TOTP_TOLERANCE_SECONDS = 30;

export { isRole, ROLE_SCOPES, ROLES, type Role } from './scopes.ts';

export interface UserRow {
  id: string;
  organization_id: string;
  email: string;
  name: string;
  role: string;
  password_hash: string | null;
  totp_secret_sealed: string | null;
  totp_enabled_at: Date | string | null;
  totp_last_step: string | number | null;
  failed_sign_ins: number;
  locked_until: Date | string | null;
  deactivated_at: Date | string | null;
}

export interface SessionPrincipal {
  userId: string;
  organizationId: string;
  role: Role;
  scopes: ApiKeyScope[];
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const invalidCredentials = () =>
  new SignetError(
    'SIGN_IN_FAILED',
    'The email or the password is not right, or there were too many attempts: wait a few minutes and try again.',
  );

export type SignInResult =
  | { status: 'signed-in'; token: string; expiresAt: string; user: ReturnType<typeof userView> }
  | { status: 'second-factor-required'; challenge: string; expiresAt: string };

export async function signInWithPassword(
  platform: Platform,
  input: { email: string; password: string; organizationId?: string | undefined },
  who: Who,
): Promise<SignInResult> {
  // A deactivated account is no account: same work, same answer.
  const users = await platform.db.query<UserRow>(
    `select * from users where email = $1 and deactivated_at is null ${input.organizationId ? 'and organization_id = $2' : ''}`,
    input.organizationId ? [input.email.toLowerCase(), input.organizationId] : [input.email.toLowerCase()],
  );
  if (users.length > 1) {
    throw new SignetError(
      'ORGANIZATION_REQUIRED',
      'This email belongs to several organisations: give organizationId.',
    );
  }
  const user = users[0];
  // An unknown account and a locked one get the same work and the same answer as a wrong
  // password, so neither the lockout nor the answer tells whether an address has an account.
  if (!user?.password_hash || !(await claimSignInAttempt(platform.db, user.id))) {
    await hashPassword(input.password);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(input.password, user.password_hash))) throw invalidCredentials();
  await platform.db.query('update users set failed_sign_ins = 0, locked_until = null where id = $1', [
    user.id,
  ]);
  const secondFactor = user.totp_enabled_at !== null;
  const { token, expiresAt } = await createSession(platform.db, user, secondFactor, who);
  if (secondFactor) return { status: 'second-factor-required', challenge: token, expiresAt };
  await platform.db.query('update users set last_sign_in_at = now() where id = $1', [user.id]);
  return { status: 'signed-in', token, expiresAt, user: userView(user) };
}

/**
 * Counts one attempt before the secret is checked, in one atomic statement, and refuses it while
 * the account is locked: every MAX_FAILED_SIGN_INS-th attempt since the last success locks the
 * account, for 1, 2, 4 … minutes (capped at a day). Counting first is what makes parallel
 * guesses safe: each one takes its own number, so the fifth locks the account even when all
 * fifteen arrive at once, and those behind it are refused without their password being tried.
 * A success resets the count.
 */
export async function claimSignInAttempt(sql: Sql, userId: string): Promise<boolean> {
  const claimed = await sql.query(
    `update users set
        failed_sign_ins = failed_sign_ins + 1,
        locked_until = case when (failed_sign_ins + 1) % $2 = 0
          then now() + make_interval(secs => least($4::float8, $3::float8 * power(2, (failed_sign_ins + 1) / $2 - 1)))
          else locked_until end
      where id = $1 and (locked_until is null or locked_until <= now())
      returning failed_sign_ins`,
    [userId, MAX_FAILED_SIGN_INS, LOCK_BASE_SECONDS, MAX_LOCK_SECONDS],
  );
  return claimed.length > 0;
}

/** The second step: a current TOTP code (once only) or an unused recovery code. */
export async function completeSecondFactor(
  platform: Platform,
  input: { challenge: string; code?: string | undefined; recoveryCode?: string | undefined },
): Promise<SignInResult> {
  return platform.db
    .transaction(async (tx) => {
      const [session] = await tx.query<{ user_id: string; expires_at: Date | string }>(
        `select user_id, expires_at from staff_sessions where token_hash = $1 and second_factor_pending for update`,
        [hashToken(input.challenge)],
      );
      if (!session || new Date(session.expires_at).getTime() <= Date.now()) {
        throw new SignetError('SIGN_IN_CHALLENGE_INVALID', 'Sign in again: this step has expired.');
      }
      const [user] = await tx.query<UserRow>(
        'select * from users where id = $1 and deactivated_at is null for update',
        [session.user_id],
      );
      if (!user) throw new SignetError('SIGN_IN_CHALLENGE_INVALID', 'Sign in again.');
      // The challenge proves the password, so saying "locked" here tells nothing new.
      if (!(await claimSignInAttempt(tx, user.id))) {
        throw new SignetError('SIGN_IN_LOCKED', 'Too many failed sign-ins: try again later.');
      }
      const passed = input.recoveryCode
        ? await useRecoveryCode(tx, user.id, input.recoveryCode)
        : input.code
          ? await acceptTotp(platform, tx, user, input.code)
          : false;
      if (!passed) return { failed: true } as const;
      await tx.query('update users set failed_sign_ins = 0, last_sign_in_at = now() where id = $1', [
        user.id,
      ]);
      await tx.query(
        `update staff_sessions set second_factor_pending = false, expires_at = now() + make_interval(secs => $2)
        where token_hash = $1`,
        [hashToken(input.challenge), SESSION_TTL_MS / 1000],
      );
      return {
        status: 'signed-in',
        token: input.challenge,
        expiresAt: new Date(Date.now() + SESSION_TTL_MS).toISOString(),
        user: userView(user),
      } as const;
    })
    .then((result) => {
      // Thrown after the transaction, so the failure count it recorded is kept.
      if ('failed' in result) throw new SignetError('SECOND_FACTOR_FAILED', 'That code is not right.');
      return result;
    });
}

async function acceptTotp(platform: Platform, tx: Sql, user: UserRow, code: string): Promise<boolean> {
  if (!user.totp_secret_sealed) return false;
  const secret = platform.secrets.open(user.totp_secret_sealed);
  const lastStep = user.totp_last_step === null ? undefined : Number(user.totp_last_step);
  const result = await verifyTotp({
    secret,
    token: code.replace(/\s+/g, ''),
    epochTolerance: TOTP_TOLERANCE_SECONDS,
    ...(lastStep !== undefined ? { afterTimeStep: lastStep } : {}),
  });
  if (!result.valid) return false;
  const step =
    'timeStep' in result && typeof result.timeStep === 'number'
      ? result.timeStep
      : Math.floor(Date.now() / 30_000);
  await tx.query('update users set totp_last_step = $2 where id = $1', [user.id, step]);
  return true;
}

async function useRecoveryCode(tx: Sql, userId: string, code: string): Promise<boolean> {
  const codes = await tx.query<{ id: string; code_hash: string }>(
    'select id, code_hash from user_recovery_codes where user_id = $1 and used_at is null',
    [userId],
  );
  const normalized = code.replace(/[\s-]+/g, '').toLowerCase();
  for (const candidate of codes) {
    if (await verifyPassword(normalized, candidate.code_hash)) {
      await tx.query('update user_recovery_codes set used_at = now() where id = $1', [candidate.id]);
      return true;
    }
  }
  return false;
}

export async function createSession(
  sql: Sql,
  user: { id: string; organization_id: string },
  secondFactorPending: boolean,
  who: Who,
) {
  const token = `${SESSION_PREFIX}${randomBytes(32).toString('base64url')}`;
  const ttl = secondFactorPending ? SECOND_FACTOR_TTL_MS : SESSION_TTL_MS;
  const expiresAt = new Date(Date.now() + ttl);
  await sql.query(
    `insert into staff_sessions (token_hash, user_id, organization_id, second_factor_pending, expires_at, ip, user_agent)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [hashToken(token), user.id, user.organization_id, secondFactorPending, expiresAt, who.ip, who.userAgent],
  );
  return { token, expiresAt: expiresAt.toISOString() };
}

/**
 * The API principal of a session token, or null when it is unknown, expired or half-done, or
 * its user is deactivated (deactivation deletes the sessions too; this is the second line).
 * The role is read at every request, so a changed role applies at once.
 */
export async function authenticateSession(sql: Sql, token: string): Promise<SessionPrincipal | null> {
  const [row] = await sql.query<{ user_id: string; organization_id: string; role: string }>(
    `select s.user_id, s.organization_id, u.role from staff_sessions s join users u on u.id = s.user_id
      where s.token_hash = $1 and not s.second_factor_pending and s.expires_at > now()
        and u.deactivated_at is null`,
    [hashToken(token)],
  );
  if (!row || !isRole(row.role)) return null;
  return {
    userId: row.user_id,
    organizationId: row.organization_id,
    role: row.role,
    scopes: ROLE_SCOPES[row.role],
  };
}

/** Ends every session of a user (and any sign-in waiting for its second factor). */
export async function endAllSessions(sql: Sql, userId: string): Promise<void> {
  await sql.query('delete from staff_sessions where user_id = $1', [userId]);
}

export async function signOut(sql: Sql, token: string): Promise<void> {
  await sql.query('delete from staff_sessions where token_hash = $1', [hashToken(token)]);
}

/** Starts TOTP enrolment: a new secret, not in force until a code from it is confirmed. */
export async function beginTotpEnrolment(platform: Platform, userId: string) {
  const [user] = await platform.db.query<UserRow>('select * from users where id = $1', [userId]);
  if (!user) throw new SignetError('USER_NOT_FOUND', 'No such user');
  if (user.totp_enabled_at) throw new SignetError('TOTP_ALREADY_ENABLED', 'Two-step sign-in is already on.');
  const secret = generateSecret();
  await platform.db.query('update users set totp_secret_sealed = $2 where id = $1', [
    userId,
    platform.secrets.seal(secret),
  ]);
  return { secret, otpauthUri: generateURI({ issuer: 'Signet', label: user.email, secret }) };
}

/** Confirms enrolment with a code from the app; answers the recovery codes, shown this once. */
export async function confirmTotpEnrolment(platform: Platform, userId: string, code: string) {
  return platform.db
    .transaction(async (tx) => {
      const [user] = await tx.query<UserRow>('select * from users where id = $1 for update', [userId]);
      if (!user?.totp_secret_sealed) throw new SignetError('TOTP_NOT_STARTED', 'Start the enrolment first.');
      if (user.totp_enabled_at)
        throw new SignetError('TOTP_ALREADY_ENABLED', 'Two-step sign-in is already on.');
      if (!(await acceptTotp(platform, tx, user, code))) {
        return { failed: true } as const;
      }
      await tx.query('update users set totp_enabled_at = now() where id = $1', [userId]);
      await tx.query('delete from user_recovery_codes where user_id = $1', [userId]);
      const codes: string[] = [];
      for (let i = 0; i < RECOVERY_CODE_COUNT; i++) {
        const raw = randomBytes(5).toString('hex'); // 40 bits each, one use
        codes.push(`${raw.slice(0, 5)}-${raw.slice(5)}`);
        await tx.query('insert into user_recovery_codes (id, user_id, code_hash) values ($1, $2, $3)', [
          randomUUID(),
          userId,
          await hashPassword(raw),
        ]);
      }
      return { enabled: true, recoveryCodes: codes } as const;
    })
    .then((result) => {
      if ('failed' in result) throw new SignetError('TOTP_CODE_WRONG', 'That code is not right.');
      return result;
    });
}

export function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new SignetError('PASSWORD_TOO_SHORT', `Use at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
}

export async function changePassword(platform: Platform, userId: string, current: string, next: string) {
  checkNewPassword(next);
  const [user] = await platform.db.query<UserRow>('select * from users where id = $1', [userId]);
  if (!user?.password_hash || !(await verifyPassword(current, user.password_hash))) {
    throw new SignetError('PASSWORD_WRONG', 'The current password is not right.');
  }
  await platform.db.query('update users set password_hash = $2 where id = $1', [
    userId,
    await hashPassword(next),
  ]);
  // Every other session ends: whoever knew the old password is out.
  await endAllSessions(platform.db, userId);
  return { changed: true };
}

/** The signed-in user and their organisation (GET /api/v1/auth/me). */
export async function currentUser(platform: Platform, userId: string) {
  const [user] = await platform.db.query<UserRow & { organization_name: string }>(
    `select u.*, o.name as organization_name from users u join organizations o on o.id = u.organization_id
      where u.id = $1`,
    [userId],
  );
  if (!user) throw new SignetError('USER_NOT_FOUND', 'No such user');
  return { ...userView(user), organization: { id: user.organization_id, name: user.organization_name } };
}

export function userView(
  user: Pick<UserRow, 'id' | 'organization_id' | 'email' | 'name' | 'role' | 'totp_enabled_at'>,
) {
  return {
    id: user.id,
    organizationId: user.organization_id,
    email: user.email,
    name: user.name,
    role: user.role,
    twoStepSignIn: user.totp_enabled_at !== null,
  };
}
