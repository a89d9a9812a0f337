import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { type ApiKeyScope, authenticateApiKey } from '../orgs/apiKeys.ts';
import { organizationForHost } from '../orgs/customDomains.ts';
import { authenticateSession, type Role, SESSION_PREFIX } from '../orgs/signIn.ts';
import {
  addSetCookie,
  checkCookieRequest,
  clearedSessionCookies,
  type SessionCookieSettings,
  sessionTokenFromCookie,
} from './sessionCookies.ts';

/** Who calls the API: an organisation's API key, or a signed-in staff user (scopes by role). */
export interface Principal {
  organizationId: string;
  scopes: ApiKeyScope[];
  /** For the audit trail: `api-key:<id>` or `user:<id>`. */
  actor: string;
  apiKeyId: string | null;
  userId: string | null;
  /** A signed-in user's role; null for an API key, which has scopes but no role. */
  role: Role | null;
  /** The session token (bearer or cookie), so sign-out can end that session; null for a key. */
  sessionToken: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The API-key scope a route needs; routes without one need no key (e.g. signing links). */
    scope?: ApiKeyScope;
  }
}

/**
 * Authentication for `/api/v1` (SPEC §F, issue 11): routes declare the scope they need in
 * `config.scope`; the principal fixes the organisation every query is confined to. Three
 * credentials are accepted:
 *
 * - `Authorization: Bearer sgk_…`, an API key, and `Authorization: Bearer sgs_…`, a staff
 *   session token. Nothing a browser attaches on its own carries these, so a request another
 *   site makes the browser send cannot ride on them.
 * - The `signet_session` cookie (a sign-in with `?session=cookie`), only when there is no
 *   Authorization header. A browser does attach cookies to requests other sites make it send,
 *   so such a request may change nothing (any method but GET, HEAD, OPTIONS) unless it passes
 *   `checkCookieRequest`: an `Origin`, when the browser sends one, that is PUBLIC_URL's, and an
 *   `X-CSRF-Token` header equal to the HMAC of this session's token (the readable `signet_csrf`
 *   cookie). Another site cannot read that cookie, cannot compute the HMAC without the HttpOnly
 *   session token and the installation's key, and cannot set a custom header on a cross-origin
 *   request without a CORS preflight this server never grants. SameSite=Lax on the session
 *   cookie keeps it off cross-site subrequests as a second line; the CSRF check does not depend
 *   on it. Reads with the cookie are answered, as a top-level navigation may ask for them, and
 *   another site cannot read the answer (same-origin policy).
 */
export function registerApiKeyAuth(app: FastifyInstance, given: { db: Database } & SessionCookieSettings) {
  // An organisation's custom domain is an origin of its own for its sessions (sessionCookies.ts).
  const settings = {
    organizationForHost: (host: string) => organizationForHost(given.db, host),
    ...given,
  };
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const scope = request.routeOptions.config?.scope;
    if (!scope) return;
    const principal = await authenticate(settings, request, reply);
    if (!principal.scopes.includes(scope)) {
      throw new SignetError('API_KEY_SCOPE_MISSING', `This API key or role lacks the ${scope} scope`);
    }
    request.principal = principal;
  });
}

async function authenticate(
  settings: { db: Database } & SessionCookieSettings,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Principal> {
  const header = request.headers.authorization;
  if (header === undefined) {
    const cookieToken = sessionTokenFromCookie(request);
    if (cookieToken) return cookieSession(settings, request, reply, cookieToken);
  }
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new SignetError('UNAUTHENTICATED', 'Send an API key as `Authorization: Bearer <key>`');
  }
  if (match[1].startsWith(SESSION_PREFIX)) {
    const session = await authenticateSession(settings.db, match[1]);
    if (!session) throw new SignetError('SESSION_INVALID', 'The session has ended: sign in again');
    return {
      ...session,
      actor: `user:${session.userId}`,
      apiKeyId: null,
      sessionToken: match[1],
    };
  }
  const key = await authenticateApiKey(settings.db, match[1]);
  if (!key) {
    throw new SignetError(
      'API_KEY_INVALID',
      'The API key is unknown or revoked, or the person who made it is deactivated',
    );
  }
  return {
    organizationId: key.organizationId,
    scopes: key.scopes,
    actor: `api-key:${key.keyId}`,
    apiKeyId: key.keyId,
    userId: null,
    role: null,
    sessionToken: null,
  };
}

async function cookieSession(
  settings: { db: Database } & SessionCookieSettings,
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
): Promise<Principal> {
  const session = token.startsWith(SESSION_PREFIX) ? await authenticateSession(settings.db, token) : null;
  if (!session) {
    // The browser forgets a cookie that no longer opens anything.
    addSetCookie(reply, clearedSessionCookies(settings));
    throw new SignetError('SESSION_INVALID', 'The session has ended: sign in again');
  }
  await checkCookieRequest(settings, request, token, session.organizationId);
  return {
    ...session,
    actor: `user:${session.userId}`,
    apiKeyId: null,
    sessionToken: token,
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new SignetError('UNAUTHENTICATED', 'Authentication required');
  return request.principal;
}
