import { SignetApiError } from '@signet/sdk';
import type { TFunction } from 'i18next';

/*
 * What the person reads when a request fails: a sentence of our own (from the catalogue, so in
 * their language) for the codes the workspace expects, else the server's own detail, which is
 * written for people too but only in English.
 */

const TRANSLATED = new Set([
  'API_KEY_NOT_FOUND',
  'USER_NOT_FOUND',
  'USER_EXISTS',
  'SELF_DEACTIVATION',
  'SCOPE_NOT_GRANTABLE',
  'OWNER_REQUIRED',
  'LOGO_UNSUPPORTED',
  'LOGO_TOO_LARGE',
  'LOGO_DIMENSIONS_INVALID',
  'LAST_ACTIVE_OWNER',
  'CUSTOM_DOMAIN_TAKEN',
  'CUSTOM_DOMAIN_INVALID',
  'BRANDING_COLOR_LOW_CONTRAST',
  'ENVELOPE_NOT_FOUND',
  'ENVELOPE_NOT_SEALED',
  'ENVELOPE_NOT_VOIDABLE',
  'FIELD_OFF_PAGE',
  'FIELD_RECIPIENT_NOT_SIGNER',
  'NO_ACTIONABLE_RECIPIENT',
  'PASSKEY_CHALLENGE_INVALID',
  'PASSKEY_SIGN_IN_FAILED',
  'PASSKEY_UNKNOWN',
  'PASSWORD_TOO_SHORT',
  'PDF_DAMAGED',
  'PDF_ENCRYPTED',
  'PDF_NOT_PDF',
  'PDF_TOO_LARGE',
  'RATE_LIMITED',
  'RECIPIENT_DUPLICATE',
  'REQUEST_TOO_LARGE',
  'SAML_NOT_CONFIGURED',
  'OIDC_NOT_CONFIGURED',
  'SECOND_FACTOR_FAILED',
  'SESSION_INVALID',
  'SIGN_IN_CHALLENGE_INVALID',
  'SIGN_IN_FAILED',
  'SIGN_IN_LOCKED',
  'SIGNER_WITHOUT_SIGNATURE_FIELD',
  'UNAUTHENTICATED',
]);

export function problemMessage(error: unknown, t: TFunction): string {
  if (error instanceof SignetApiError) {
    if (error.code && TRANSLATED.has(error.code)) return t(`problems.${error.code}`);
    if (error.code === 'API_KEY_SCOPE_MISSING') return t('problems.forbidden');
    if (error.status >= 500) return t('problems.server');
    return error.detail;
  }
  if (error instanceof TypeError) return t('problems.network'); // fetch's "Failed to fetch"
  return t('problems.unexpected');
}

/** True when the answer says nobody is signed in (or the session ended). */
export const isSignedOut = (error: unknown) => error instanceof SignetApiError && error.status === 401;
