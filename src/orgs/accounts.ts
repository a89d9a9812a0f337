import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Database, Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import type { Platform } from '../platform.ts';
import { findOrganization, isEmailAddress } from './organizations.ts';
import { decodeCursor, isUuid, type PageQuery, pageOf } from './pages.ts';
import { generatePassword, hashPassword } from './passwords.ts';
import type { ApiKeyScope, Role } from './scopes.ts';
import { checkNewPassword, endAllSessions } from './signIn.ts';

/*
 * Staff accounts (issue 11): an organisation's admins invite people by mail, change their role
 * and deactivate them; people accept an invitation and reset a forgotten password by mail.
 *
 * The rules, enforced here whichever way a request comes (API, web app, CLI):
 * - only whoever administers the organisation (`organization:admin`) manages its users;
 * - only an owner makes someone an owner, or changes, deactivates or reactivates an owner (an
 *   API key has no role, so it counts as an admin: keys never touch owners);
 * - the last active owner is never demoted or deactivated, and nobody deactivates themselves.
 * Every change takes the organisation's row lock first, so two admins demoting the last two
 * owners at once cannot both succeed.
 *
 * Links are one-time tokens kept as SHA-256 (account_tokens, migration 015): an invitation
 * works for 7 days, a password reset for an hour; each works once, and a newer one of a kind,
 * a new password or a deactivation ends the earlier ones. Mail is the caller's effect
 * (`AccountMailer`, src/notify/accountMail.ts), queued in the same transaction.
 */

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const PASSWORD_RESET_TTL_MS = 60 * 60 * 1000;
const INVITATION_PREFIX = 'sgi_';
const RESET_PREFIX = 'sgr_';

export type AccountTokenPurpose = 'invitation' | 'password-reset';

/** A mail about a staff account, for the notify layer to compose and queue in `tx`. */
export type AccountMail =
  | {
      kind: 'invitation';
      organizationId: string;
      organizationName: string;
      to: string;
      role: Role;
      invitedBy: string;
      url: string;
      expiresAt: Date;
    }
  | {
      kind: 'password-reset';
      organizationId: string;
      organizationName: string;
      to: string;
      url: string;
      expiresAt: Date;
    };

export type AccountMailer = (tx: Sql, mail: AccountMail) => Promise<void>;

/** Who is managing users: a principal as src/http/apiKeyAuth.ts resolves it. */
export interface UserManager {
  organizationId: string;
  scopes: ApiKeyScope[];
  userId: string | null;
  /** The signed-in user's role; null for an API key. */
  role: Role | null;
}

export type UserStatus = 'active' | 'invited' | 'deactivated';

interface AccountRow {
  id: string;
  organization_id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string | null;
  totp_enabled_at: Date | string | null;
  created_at: Date | string;
  last_sign_in_at: Date | string | null;
  deactivated_at: Date | string | null;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/** Invited: added, and has neither chosen a password nor signed in (through SSO) yet. */
function statusOf(row: AccountRow): UserStatus {
  if (row.deactivated_at !== null) return 'deactivated';
  return row.password_hash === null && row.last_sign_in_at === null ? 'invited' : 'active';
}

export function accountView(row: AccountRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    status: statusOf(row),
    twoStepSignIn: row.totp_enabled_at !== null,
    createdAt: new Date(row.created_at).toISOString(),
    lastSignInAt: iso(row.last_sign_in_at),
    deactivatedAt: iso(row.deactivated_at),
  };
}
export type AccountView = ReturnType<typeof accountView>;

const STATUS_CONDITION: Record<UserStatus, string> = {
  deactivated: 'deactivated_at is not null',
  invited: 'deactivated_at is null and password_hash is null and last_sign_in_at is null',
  active: 'deactivated_at is null and (password_hash is not null or last_sign_in_at is not null)',
};

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

function requireAdmin(manager: UserManager): void {
  if (!manager.scopes.includes('organization:admin')) {
    throw new SignetError('API_KEY_SCOPE_MISSING', 'Managing users needs the organization:admin scope');
  }
}

function requireOwnerFor(manager: UserManager, what: string): void {
  if (manager.role !== 'owner') throw new SignetError('OWNER_REQUIRED', `Only an owner may ${what}.`);
}

/** The organisation's row lock: user changes of one organisation happen one at a time. */
async function lockOrganization(tx: Sql, organizationId: string): Promise<{ name: string }> {
  const [organization] = await tx.query<{ name: string }>(
    'select name from organizations where id = $1 for update',
    [organizationId],
  );
  if (!organization) throw new SignetError('ORG_NOT_FOUND', 'No organisation has that id');
  return organization;
}

async function loadUser(sql: Sql, organizationId: string, userId: string): Promise<AccountRow> {
  if (!isUuid(userId)) throw new SignetError('USER_NOT_FOUND', 'No such user in this organisation');
  const [row] = await sql.query<AccountRow>('select * from users where id = $1 and organization_id = $2', [
    userId,
    organizationId,
  ]);
  if (!row) throw new SignetError('USER_NOT_FOUND', 'No such user in this organisation');
  return row;
}

/** Refuses to leave the organisation without an active owner once `userId` stops being one. */
async function keepAnotherActiveOwner(tx: Sql, organizationId: string, userId: string): Promise<void> {
  const [other] = await tx.query(
    `select 1 from users where organization_id = $1 and role = 'owner' and deactivated_at is null and id <> $2 limit 1`,
    [organizationId, userId],
  );
  if (!other) {
    throw new SignetError(
      'LAST_ACTIVE_OWNER',
      'This is the organisation’s last active owner: make someone else an owner first.',
    );
  }
}

/** The cursor holds milliseconds (a JS Date), so rows are ordered and compared at that precision. */
const CREATED_MS = "date_trunc('milliseconds', created_at)";

/** The organisation's users in the order they were added, optionally of one status. */
export async function listUsers(
  sql: Sql,
  manager: UserManager,
  query: PageQuery & { status?: UserStatus | undefined },
) {
  requireAdmin(manager);
  const params: unknown[] = [manager.organizationId];
  let where = 'organization_id = $1';
  if (query.status) where += ` and ${STATUS_CONDITION[query.status]}`;
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    params.push(after.at, after.id);
    where += ` and (${CREATED_MS}, id) > ($2::timestamptz, $3::uuid)`;
  }
  params.push(query.limit + 1);
  const rows = await sql.query<AccountRow>(
    `select * from users where ${where} order by ${CREATED_MS}, id limit $${params.length}`,
    params,
  );
  return pageOf(rows, query, (row) => row.created_at, accountView);
}

export async function getUser(sql: Sql, manager: UserManager, userId: string): Promise<AccountView> {
  requireAdmin(manager);
  return accountView(await loadUser(sql, manager.organizationId, userId));
}

/** A new one-time token for `user`; earlier unused ones of the same purpose stop working. */
async function issueAccountToken(
  tx: Sql,
  user: { id: string; organization_id: string },
  purpose: AccountTokenPurpose,
): Promise<{ token: string; expiresAt: Date }> {
  const token = `${purpose === 'invitation' ? INVITATION_PREFIX : RESET_PREFIX}${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(
    Date.now() + (purpose === 'invitation' ? INVITATION_TTL_MS : PASSWORD_RESET_TTL_MS),
  );
  await tx.query(
    'update account_tokens set used_at = now() where user_id = $1 and purpose = $2 and used_at is null',
    [user.id, purpose],
  );
  await tx.query(
    `insert into account_tokens (token_hash, user_id, organization_id, purpose, expires_at)
     values ($1, $2, $3, $4, $5)`,
    [hashToken(token), user.id, user.organization_id, purpose, expiresAt],
  );
  // Spent and expired links are kept a day for support questions, then dropped.
  await tx.query(
    `delete from account_tokens where user_id = $1 and (used_at < now() - interval '1 day' or expires_at < now() - interval '1 day')`,
    [user.id],
  );
  return { token, expiresAt };
}

/** Ends every link still open for a user: a new password, or a deactivation. */
async function endAccountTokens(tx: Sql, userId: string): Promise<void> {
  await tx.query('update account_tokens set used_at = now() where user_id = $1 and used_at is null', [
    userId,
  ]);
}

const linkTo = (publicUrl: string, page: 'accept-invite' | 'reset-password', token: string) =>
  `${publicUrl}/app/${page}?token=${encodeURIComponent(token)}`;

type AccountPlatform = Pick<Platform, 'db' | 'config'>;

/**
 * Adds a user without a password and mails them an invitation to choose one (or to sign in
 * through the organisation's SSO, which works for them at once).
 */
export async function inviteUser(
  platform: AccountPlatform,
  mail: AccountMailer,
  manager: UserManager,
  input: { email: string; role: Role; name?: string | undefined },
): Promise<AccountView> {
  requireAdmin(manager);
  if (input.role === 'owner') requireOwnerFor(manager, 'make someone an owner');
  const email = input.email.trim().toLowerCase();
  if (!isEmailAddress(email)) throw new SignetError('EMAIL_INVALID', `Not an email address: ${input.email}`);
  return platform.db.transaction(async (tx) => {
    const organization = await lockOrganization(tx, manager.organizationId);
    await refuseTakenEmail(tx, manager.organizationId, email);
    const id = randomUUID();
    await tx.query(
      `insert into users (id, organization_id, email, name, role, password_hash) values ($1, $2, $3, $4, $5, null)`,
      [id, manager.organizationId, email, input.name?.trim() ?? '', input.role],
    );
    const user = await loadUser(tx, manager.organizationId, id);
    const { token, expiresAt } = await issueAccountToken(tx, user, 'invitation');
    const [inviter] = manager.userId
      ? await tx.query<{ name: string; email: string }>('select name, email from users where id = $1', [
          manager.userId,
        ])
      : [];
    await mail(tx, {
      kind: 'invitation',
      organizationId: manager.organizationId,
      organizationName: organization.name,
      to: email,
      role: input.role,
      invitedBy: inviter ? inviter.name || inviter.email : '',
      url: linkTo(platform.config.publicUrl, 'accept-invite', token),
      expiresAt,
    });
    return accountView(user);
  });
}

async function refuseTakenEmail(tx: Sql, organizationId: string, email: string): Promise<void> {
  const [taken] = await tx.query('select 1 from users where organization_id = $1 and email = $2', [
    organizationId,
    email,
  ]);
  if (taken) {
    throw new SignetError('USER_EXISTS', `${email} already has an account in this organisation`, [
      { path: '/email', message: 'already a user here' },
    ]);
  }
}

/** Changes a user's role or name, within the rules above. */
export async function updateUser(
  db: Database,
  manager: UserManager,
  userId: string,
  input: { role?: Role | undefined; name?: string | undefined },
): Promise<AccountView> {
  requireAdmin(manager);
  return db.transaction(async (tx) => {
    await lockOrganization(tx, manager.organizationId);
    const user = await loadUser(tx, manager.organizationId, userId);
    if (user.role === 'owner') requireOwnerFor(manager, 'change an owner');
    if (input.role === 'owner' && user.role !== 'owner') requireOwnerFor(manager, 'make someone an owner');
    if (user.role === 'owner' && input.role !== undefined && input.role !== 'owner' && !user.deactivated_at) {
      await keepAnotherActiveOwner(tx, manager.organizationId, user.id);
    }
    await tx.query(
      'update users set role = coalesce($3, role), name = coalesce($4, name) where id = $1 and organization_id = $2',
      [user.id, manager.organizationId, input.role ?? null, input.name?.trim() ?? null],
    );
    return accountView(await loadUser(tx, manager.organizationId, user.id));
  });
}

/**
 * Deactivates a user: they cannot sign in (password, passkey, SSO), their sessions and open
 * links end now, and the API keys they made stop working until they are reactivated.
 */
export async function deactivateUser(
  db: Database,
  manager: UserManager,
  userId: string,
): Promise<AccountView> {
  requireAdmin(manager);
  if (manager.userId === userId) {
    throw new SignetError('SELF_DEACTIVATION', 'You cannot deactivate yourself: another admin or owner can.');
  }
  return db.transaction(async (tx) => {
    await lockOrganization(tx, manager.organizationId);
    const user = await loadUser(tx, manager.organizationId, userId);
    if (user.role === 'owner') requireOwnerFor(manager, 'deactivate an owner');
    if (user.deactivated_at) return accountView(user);
    if (user.role === 'owner') await keepAnotherActiveOwner(tx, manager.organizationId, user.id);
    await tx.query('update users set deactivated_at = now() where id = $1', [user.id]);
    await endAllSessions(tx, user.id);
    await endAccountTokens(tx, user.id);
    await tx.query('delete from sso_sign_in_codes where user_id = $1', [user.id]);
    return accountView(await loadUser(tx, manager.organizationId, user.id));
  });
}

/** Lets a deactivated user sign in again, with the password, passkeys and keys they had. */
export async function reactivateUser(
  db: Database,
  manager: UserManager,
  userId: string,
): Promise<AccountView> {
  requireAdmin(manager);
  return db.transaction(async (tx) => {
    await lockOrganization(tx, manager.organizationId);
    const user = await loadUser(tx, manager.organizationId, userId);
    if (user.role === 'owner') requireOwnerFor(manager, 'reactivate an owner');
    await tx.query('update users set deactivated_at = null where id = $1', [user.id]);
    return accountView(await loadUser(tx, manager.organizationId, user.id));
  });
}

/**
 * A user made by an operator (`signet create-user`): any role, owners included, with a random
 * password printed once, as `signet create-org` does for the first owner.
 */
export async function createUserWithPassword(
  db: Database,
  input: { organizationId: string; email: string; role: Role; name?: string | undefined },
): Promise<{ user: AccountView; password: string }> {
  const email = input.email.trim().toLowerCase();
  if (!isEmailAddress(email)) throw new SignetError('EMAIL_INVALID', `Not an email address: ${input.email}`);
  if (!(await findOrganization(db, input.organizationId))) {
    throw new SignetError('ORG_NOT_FOUND', `No organisation with id ${input.organizationId}`);
  }
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const user = await db.transaction(async (tx) => {
    await lockOrganization(tx, input.organizationId);
    await refuseTakenEmail(tx, input.organizationId, email);
    const id = randomUUID();
    await tx.query(
      `insert into users (id, organization_id, email, name, role, password_hash) values ($1, $2, $3, $4, $5, $6)`,
      [id, input.organizationId, email, input.name?.trim() ?? '', input.role, passwordHash],
    );
    return loadUser(tx, input.organizationId, id);
  });
  return { user: accountView(user), password };
}

/** Takes a one-time token of `purpose` (locked), or null when unknown, spent, expired or its user deactivated. */
async function takeAccountToken(
  tx: Sql,
  token: string,
  purpose: AccountTokenPurpose,
): Promise<AccountRow | null> {
  const [row] = await tx.query<{ user_id: string; organization_id: string; expired: boolean; used: boolean }>(
    `select user_id, organization_id, expires_at <= now() as expired, used_at is not null as used
       from account_tokens where token_hash = $1 and purpose = $2 for update`,
    [hashToken(token), purpose],
  );
  if (!row || row.expired || row.used) return null;
  const user = await loadUser(tx, row.organization_id, row.user_id).catch(() => null);
  if (!user || user.deactivated_at) return null;
  await tx.query('update account_tokens set used_at = now() where token_hash = $1', [hashToken(token)]);
  return user;
}

/** Sets a new password, unlocks the account and ends every session and open link of the user. */
async function setPassword(tx: Sql, userId: string, passwordHash: string, name?: string): Promise<void> {
  await tx.query(
    `update users set password_hash = $2, name = coalesce($3, name), failed_sign_ins = 0, locked_until = null
      where id = $1`,
    [userId, passwordHash, name ?? null],
  );
  await endAccountTokens(tx, userId);
  await endAllSessions(tx, userId);
}

/** Accepts an invitation: the invited person chooses their password (and may give their name). */
export async function acceptInvitation(
  db: Database,
  input: { token: string; password: string; name?: string | undefined },
): Promise<AccountView> {
  checkNewPassword(input.password);
  // scrypt is slow on purpose: hashed before the transaction, so no lock waits for it.
  const passwordHash = await hashPassword(input.password);
  const accepted = await db.transaction(async (tx) => {
    const user = await takeAccountToken(tx, input.token, 'invitation');
    if (!user) return null;
    await setPassword(tx, user.id, passwordHash, input.name?.trim() || undefined);
    return accountView(await loadUser(tx, user.organization_id, user.id));
  });
  if (!accepted) {
    throw new SignetError(
      'INVITATION_INVALID',
      'This invitation link is used up or expired: ask an admin for a new one.',
    );
  }
  return accepted;
}

/**
 * Mails a password-reset link to every active account with this address (one per organisation,
 * or the one in `organizationId`). Run as a job (`account.password-reset`), so the request that
 * asked for it does the same work, and answers the same, whether or not any account exists.
 */
export async function sendPasswordResets(
  platform: AccountPlatform,
  mail: AccountMailer,
  input: { email: string; organizationId?: string | undefined },
): Promise<number> {
  const email = input.email.trim().toLowerCase();
  return platform.db.transaction(async (tx) => {
    const users = await tx.query<AccountRow & { organization_name: string }>(
      `select u.*, o.name as organization_name from users u join organizations o on o.id = u.organization_id
        where u.email = $1 and u.deactivated_at is null ${input.organizationId ? 'and u.organization_id = $2' : ''}
        for update of u`,
      input.organizationId ? [email, input.organizationId] : [email],
    );
    for (const user of users) {
      const { token, expiresAt } = await issueAccountToken(tx, user, 'password-reset');
      await mail(tx, {
        kind: 'password-reset',
        organizationId: user.organization_id,
        organizationName: user.organization_name,
        to: user.email,
        url: linkTo(platform.config.publicUrl, 'reset-password', token),
        expiresAt,
      });
    }
    return users.length;
  });
}

/** Completes a reset: the new password, every session ended (whoever had one is out). */
export async function completePasswordReset(
  db: Database,
  input: { token: string; password: string },
): Promise<{ changed: true }> {
  checkNewPassword(input.password);
  const passwordHash = await hashPassword(input.password);
  const done = await db.transaction(async (tx) => {
    const user = await takeAccountToken(tx, input.token, 'password-reset');
    if (!user) return false;
    await setPassword(tx, user.id, passwordHash);
    return true;
  });
  if (!done) {
    throw new SignetError(
      'PASSWORD_RESET_INVALID',
      'This password reset link is used up or expired: ask for a new one.',
    );
  }
  return { changed: true };
}
