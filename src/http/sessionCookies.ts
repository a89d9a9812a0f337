import { timingSafeEqual } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SealedSecrets } from '../blobs/sealedSecrets.ts';
import { SignetError } from '../errors.ts';
import { normalizeHost } from './hostName.ts';

/*
 * Staff sessions in a browser (issue 11): `?session=cookie` on the sign-in routes puts the
 * session token in an HttpOnly cookie the page's script never sees, and a CSRF token in a
 * readable one. The CSRF token is an HMAC of the session token under a key only this
 * installation holds (SealedSecrets.digest), so it is bound to that session: a page on another
 * site can neither read it nor make one, and a cookie planted by a sibling subdomain (which can
 * set cookies for this host, though not read them) is worth nothing without the session it was
 * made for. `http/apiKeyAuth.ts` does the checking.
 */

export const SESSION_COOKIE = 'signet_session';
export const CSRF_COOKIE = 'signet_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** What the cookies need: where Signet is served (Secure over https), and the installation's key. */
export interface SessionCookieSettings {
  publicUrl: string;
  secrets: SealedSecrets;
  /**
   * The organisation whose custom domain a host is (orgs/customDomains.ts, handed down so this
   * plumbing imports no domain): such a domain is an origin of that organisation's own.
   */
  organizationForHost?: (host: string) => Promise<string | null>;
}

/** `?session=cookie`: the session goes into cookies and its token stays out of the answer. */
export const sessionQuery = z.strictObject({
  session: z
    .literal('cookie')
    .optional()
    .describe(
      'cookie: set the session as the HttpOnly `signet_session` cookie (with the `signet_csrf` cookie to send back as `X-CSRF-Token`) instead of answering its token',
    ),
});

export const csrfTokenFor = (secrets: SealedSecrets, sessionToken: string) =>
  secrets.digest('csrf-token', sessionToken);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** PUBLIC_URL's origin: the only page that may make a state-changing request with the cookie. */
const originOf = (publicUrl: string) => new URL(publicUrl).origin;

function cookieOptions(settings: SessionCookieSettings, maxAgeSeconds: number) {
  return {
    path: '/',
    secure: settings.publicUrl.startsWith('https:'),
    maxAge: maxAgeSeconds,
  };
}

/** Set-Cookie values for a session ending at `expiresAt`. */
export function sessionCookies(settings: SessionCookieSettings, token: string, expiresAt: string): string[] {
  const maxAge = Math.max(0, Math.floor((new Date(expiresAt).getTime() - Date.now()) / 1000));
  const options = cookieOptions(settings, maxAge);
  return [
    // Lax, not Strict: a link to the app from a mail or another site opens it signed in. A
    // cross-site request that changes anything is refused by the CSRF check, not by SameSite.
    stringifySetCookie({ name: SESSION_COOKIE, value: token, ...options, httpOnly: true, sameSite: 'lax' }),
    // Readable by the page's script, which sends it back as X-CSRF-Token; never sent cross-site.
    stringifySetCookie({
      name: CSRF_COOKIE,
      value: csrfTokenFor(settings.secrets, token),
      ...options,
      sameSite: 'strict',
    }),
  ];
}

/** Set-Cookie values that make the browser drop both cookies. */
export function clearedSessionCookies(settings: SessionCookieSettings): string[] {
  const options = { ...cookieOptions(settings, 0), expires: new Date(0) };
  return [
    stringifySetCookie({ name: SESSION_COOKIE, value: '', ...options, httpOnly: true, sameSite: 'lax' }),
    stringifySetCookie({ name: CSRF_COOKIE, value: '', ...options, sameSite: 'strict' }),
  ];
}

/** Adds Set-Cookie fields to the reply, keeping any already set. */
export function addSetCookie(reply: FastifyReply, values: string[]): void {
  const existing = reply.getHeader('set-cookie');
  const kept = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  reply.header('set-cookie', [...kept, ...values]);
}

/** The session token the browser sent in `signet_session`, if any. */
export function sessionTokenFromCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  const token = parseCookie(header)[SESSION_COOKIE];
  return token && token.length <= 200 ? token : undefined;
}

/**
 * The checks a request authenticated by the session cookie must pass before it may change
 * anything (every method but GET, HEAD and OPTIONS, which change nothing here): the request
 * comes from PUBLIC_URL's origin when the browser names one, and `X-CSRF-Token` carries the
 * token bound to this very session. Browsers attach the cookie to requests other sites make;
 * they never let another site read the CSRF cookie or set that header cross-origin without
 * this server's CORS consent, which it never gives.
 */
export async function checkCookieRequest(
  settings: SessionCookieSettings,
  request: FastifyRequest,
  sessionToken: string,
  organizationId: string,
): Promise<void> {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin !== undefined && !(await originAllowed(settings, request, origin, organizationId))) {
    throw new SignetError(
      'ORIGIN_NOT_ALLOWED',
      `A signed-in browser's request from ${origin.slice(0, 100)} was refused: only ${originOf(settings.publicUrl)} may use the session`,
    );
  }
  const sent = request.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenFor(settings.secrets, sessionToken));
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignetError(
      'CSRF_TOKEN_INVALID',
      'Send the signet_csrf cookie’s value as the X-CSRF-Token header with every request that changes something',
    );
  }
}

/**
 * PUBLIC_URL's origin, or an organisation's custom domain when the request came to that very
 * host over https (and, for a session, the domain is the session's organisation's): a custom
 * domain is that organisation's own site, and no other organisation's session is good there.
 */
async function originAllowed(
  settings: SessionCookieSettings,
  request: FastifyRequest,
  origin: string,
  organizationId?: string,
): Promise<boolean> {
  if (origin === originOf(settings.publicUrl)) return true;
  if (isLoopbackAlias(settings.publicUrl, origin)) return true;
  const host = request.headers.host;
  if (!settings.organizationForHost || !host || origin !== `https://${normalizeHost(host)}`) return false;
  const owner = await settings.organizationForHost(host);
  return owner !== null && (organizationId === undefined || owner === organizationId);
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A PUBLIC_URL on localhost (the default) is this very machine by any of its loopback names:
 * a person who opens http://127.0.0.1:3000 instead of http://localhost:3000 reaches the same
 * server, and no other site can be served from a loopback address of this port.
 */
function isLoopbackAlias(publicUrl: string, origin: string): boolean {
  const own = new URL(publicUrl);
  if (!LOOPBACK_NAMES.has(own.hostname)) return false;
  try {
    const given = new URL(origin);
    return given.protocol === own.protocol && given.port === own.port && LOOPBACK_NAMES.has(given.hostname);
  } catch {
    return false;
  }
}

/**
 * A cookie sign-in is refused from another origin too, so no other site can sign a browser in
 * to an account of its choosing (login CSRF); JSON bodies already need a CORS preflight.
 */
export async function checkCookieSignIn(settings: SessionCookieSettings, request: FastifyRequest) {
  const origin = request.headers.origin;
  if (origin !== undefined && !(await originAllowed(settings, request, origin))) {
    throw new SignetError(
      'ORIGIN_NOT_ALLOWED',
      `A sign-in from ${origin.slice(0, 100)} was refused: only ${originOf(settings.publicUrl)} may sign in with cookies`,
    );
  }
}

/**
 * Delivers a finished sign-in as asked: with `?session=cookie` the token goes into the cookies
 * and is left out of the answer; otherwise the answer carries it, as for any API client.
 */
export function deliverSession<T extends { status: string; expiresAt: string }>(
  settings: SessionCookieSettings,
  request: FastifyRequest,
  reply: FastifyReply,
  result: T,
): T | WithoutToken<T> {
  const asCookie = (request.query as { session?: string } | undefined)?.session === 'cookie';
  if (!asCookie || result.status !== 'signed-in' || !('token' in result)) return result;
  const { token, ...rest } = result as T & { token: string };
  addSetCookie(reply, sessionCookies(settings, token, result.expiresAt));
  reply.header('cache-control', 'no-store');
  return rest as unknown as WithoutToken<T>;
}

/** A sign-in answer without its token, for each kind of answer. */
type WithoutToken<T> = T extends unknown ? Omit<T, 'token'> : never;
