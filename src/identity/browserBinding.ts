import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CookieSerializeOptions } from '@fastify/cookie';

/*
 * A round trip to an identity provider — a signer's SAML or OpenID Connect check, a staff
 * member's single sign-on — is bound to the browser that started it. Otherwise whoever starts a
 * round trip can have someone else finish it: lure a victim to the provider with the attacker's
 * request, and the victim's answer completes the attacker's check or signs the victim into the
 * attacker's session (login CSRF, session fixation; OpenID Connect Core §3.1.2.1 asks the same
 * of `state`, which alone only proves that *a* browser started it).
 *
 * The start sets a random nonce in a cookie and keeps only its SHA-256 with the request
 * (saml_requests, oidc_requests); the ACS or callback accepts an answer only from a browser that
 * presents the nonce (else SAML_BROWSER_MISMATCH / OIDC_BROWSER_MISMATCH), and then clears it.
 * A mismatch leaves the request open, so the browser that started it can still finish it.
 * One cookie per protocol and organisation: a browser finishes the round trip it started last.
 */

export type RoundTripProtocol = 'saml' | 'oidc';

export interface BrowserBinding {
  /** Goes to the browser, in the cookie; never stored. */
  nonce: string;
  /** Kept with the request. */
  hash: string;
}

const hashOf = (nonce: string) => createHash('sha256').update(nonce, 'utf8').digest('hex');

export function newBrowserBinding(): BrowserBinding {
  const nonce = randomBytes(32).toString('base64url');
  return { nonce, hash: hashOf(nonce) };
}

/** Whether the browser presented the nonce whose hash the request keeps (none kept: never). */
export function presentedByBrowser(storedHash: string | null, presented: string | undefined): boolean {
  if (!storedHash || !presented) return false;
  const expected = Buffer.from(storedHash, 'hex');
  const actual = Buffer.from(hashOf(presented), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export interface RoundTripCookie {
  name: string;
  options: CookieSerializeOptions;
}

/**
 * The cookie that carries the nonce: HttpOnly, sent only to the one endpoint that reads it (the
 * organisation's ACS or callback, under PUBLIC_URL's path), Secure when PUBLIC_URL is https, and
 * a session cookie (the request's own expiry is what limits it).
 *
 * SameSite follows how each protocol's answer arrives:
 * - SAML answers with the HTTP-POST binding (SAML bindings §3.5): the IdP's page submits a form
 *   to the ACS, a cross-site top-level POST. Browsers never send Strict cookies cross-site, and
 *   Lax ones only on top-level navigations with a safe method (RFC 6265bis, "SameSite"), so
 *   only None lets the legitimate answer bring its nonce. None does not weaken the binding: it
 *   decides when the browser sends the nonce, not who holds it, and the answer itself can only
 *   come from the IdP. Browsers accept None only with Secure, so over plain http (a developer's
 *   machine) the cookie is Lax — which still travels when the IdP is same-site, as another port
 *   on localhost is.
 * - OpenID Connect answers with a redirect, a top-level GET to the callback, which carries Lax
 *   cookies: Lax is enough there, and keeps the nonce out of every cross-site POST and subrequest.
 */
export function roundTripCookie(
  publicUrl: string,
  protocol: RoundTripProtocol,
  organizationId: string,
): RoundTripCookie {
  const secure = new URL(publicUrl).protocol === 'https:';
  const endpoint = protocol === 'saml' ? `saml/${organizationId}/acs` : `oidc/${organizationId}/callback`;
  return {
    name: `signet_${protocol}_round_trip`,
    options: {
      path: new URL(`${publicUrl}/${endpoint}`).pathname,
      httpOnly: true,
      secure,
      sameSite: protocol === 'saml' && secure ? 'none' : 'lax',
    },
  };
}
