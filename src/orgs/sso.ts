import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import type { Who } from '../http/who.ts';
import { NAME_ID_EMAIL } from '../identity/saml/index.ts';
import type { Platform } from '../platform.ts';
import { createSession, type SignInResult, type UserRow, userView } from './signIn.ts';

/*
 * Organisation single sign-on for staff (SPEC §E). The SAML and OpenID Connect round trips are
 * the identity services' (same requests table, same response validation); this module is what
 * happens once the provider vouched for an email address: find that user in that organisation,
 * and hand the browser a one-time code, which it exchanges for a session token by POST — so no
 * session token ever travels in a URL, a Referer or a server log.
 *
 * Staff are not provisioned on first sign-in: an owner or admin creates the user first, and the
 * provider only proves who is signing in. A local TOTP is not asked for after SSO: the
 * organisation's provider is where its authentication policy (MFA included) is enforced.
 */

export type SsoMethod = 'saml' | 'oidc';

const CODE_TTL_MS = 2 * 60 * 1000;
const CODE_PREFIX = 'sso_';

const hashCode = (code: string) => createHash('sha256').update(code).digest('hex');

/** Where the browser goes after the provider: the code rides in the fragment, never sent to a server. */
function ssoCompletionUrl(platform: Platform, code: string): string {
  return `${platform.config.publicUrl}/auth/sso/complete#code=${encodeURIComponent(code)}`;
}

export type StaffSsoResult =
  | { passed: true; reason: 'SSO_SIGNED_IN'; redirectTo: string }
  | { passed: false; reason: string };

/** The provider vouched for `email`: a one-time code for that user of the organisation, or why not. */
export async function issueSsoSignInCode(
  platform: Platform,
  tx: Sql,
  input: { organizationId: string; email: string | undefined; method: SsoMethod },
): Promise<StaffSsoResult> {
  const email = input.email?.trim().toLowerCase();
  if (!email) return { passed: false, reason: 'SSO_EMAIL_MISSING' };
  // A deactivated user is refused as an unknown one: the provider's word does not reactivate them.
  const [user] = await tx.query<UserRow>(
    'select * from users where organization_id = $1 and email = $2 and deactivated_at is null',
    [input.organizationId, email],
  );
  if (!user) return { passed: false, reason: 'SSO_USER_UNKNOWN' };
  const code = `${CODE_PREFIX}${randomBytes(32).toString('base64url')}`;
  await tx.query(
    `insert into sso_sign_in_codes (code_hash, user_id, organization_id, method, expires_at)
     values ($1, $2, $3, $4, $5)`,
    [hashCode(code), user.id, user.organization_id, input.method, new Date(Date.now() + CODE_TTL_MS)],
  );
  platform.log.info(
    { userId: user.id, organizationId: user.organization_id, method: input.method },
    'staff SSO code issued',
  );
  return { passed: true, reason: 'SSO_SIGNED_IN', redirectTo: ssoCompletionUrl(platform, code) };
}

/** The browser's exchange of the one-time code for a session token (once, within two minutes). */
export async function exchangeSsoSignInCode(
  platform: Platform,
  code: string,
  who: Who,
): Promise<Extract<SignInResult, { status: 'signed-in' }>> {
  const codeHash = hashCode(code);
  return platform.db.transaction(async (tx) => {
    const [row] = await tx.query<{
      user_id: string;
      expires_at: Date | string;
      used_at: Date | string | null;
    }>('select user_id, expires_at, used_at from sso_sign_in_codes where code_hash = $1 for update', [
      codeHash,
    ]);
    if (!row || row.used_at || new Date(row.expires_at).getTime() <= Date.now()) {
      throw new SignetError('SSO_CODE_INVALID', 'This sign-in link is used up or expired: sign in again.');
    }
    await tx.query('update sso_sign_in_codes set used_at = now() where code_hash = $1', [codeHash]);
    await tx.query("delete from sso_sign_in_codes where expires_at < now() - interval '1 day'");
    const [user] = await tx.query<UserRow>('select * from users where id = $1 and deactivated_at is null', [
      row.user_id,
    ]);
    if (!user) throw new SignetError('SSO_CODE_INVALID', 'This sign-in link is used up or expired.');
    const session = await createSession(tx, user, false, who);
    await tx.query('update users set last_sign_in_at = now(), failed_sign_ins = 0 where id = $1', [user.id]);
    return { status: 'signed-in' as const, ...session, user: userView(user) };
  });
}

/** An email claim from SAML attributes (mail, email, eduPerson's OID) or an email-shaped NameID. */
export function emailFromSamlAssertion(outcome: {
  nameId: string;
  nameIdFormat?: string;
  attributes: Record<string, string[]>;
}): string | undefined {
  for (const name of ['mail', 'email', 'emailAddress', 'urn:oid:0.9.2342.19200300.100.1.3']) {
    const value = outcome.attributes[name]?.[0]?.trim();
    if (value?.includes('@')) return value;
  }
  // A persistent or transient NameID is an opaque identifier, never read as an address even when
  // it looks like one; an emailAddress (or unspecified) one is the address (SAML core §8.3).
  const emailFormats = [NAME_ID_EMAIL, 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'];
  const nameId = outcome.nameId.trim();
  const emailFormat = !outcome.nameIdFormat || emailFormats.includes(outcome.nameIdFormat);
  return emailFormat && /^[^@\s]+@[^@\s]+$/.test(nameId) ? nameId : undefined;
}
