import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { type ApiKeyScope, authenticateApiKey } from '../orgs/apiKeys.ts';
import { authenticateSession, SESSION_PREFIX } from '../orgs/signIn.ts';

/** Who calls the API: an organisation's API key, or a signed-in staff user (scopes by role). */
export interface Principal {
  organizationId: string;
  scopes: ApiKeyScope[];
  /** For the audit trail: `api-key:<id>` or `user:<id>`. */
  actor: string;
  apiKeyId: string | null;
  userId: string | null;
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
 * Bearer API-key authentication for `/api/v1` (SPEC §F): routes declare the scope they need
 * in `config.scope`; the principal fixes the organisation every query is confined to.
 */
export function registerApiKeyAuth(app: FastifyInstance, db: Database) {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config?.scope;
    if (!scope) return;
    const principal = await authenticate(db, request);
    if (!principal.scopes.includes(scope)) {
      throw new SignetError('API_KEY_SCOPE_MISSING', `This API key or role lacks the ${scope} scope`);
    }
    request.principal = principal;
  });
}

async function authenticate(db: Database, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new SignetError('UNAUTHENTICATED', 'Send an API key as `Authorization: Bearer <key>`');
  }
  // Sessions only as a bearer token, never as a cookie: nothing a browser sends on its own
  // authenticates an API call, so cross-site requests cannot ride on a staff session.
  if (match[1].startsWith(SESSION_PREFIX)) {
    const session = await authenticateSession(db, match[1]);
    if (!session) throw new SignetError('SESSION_INVALID', 'The session has ended: sign in again');
    return { ...session, actor: `user:${session.userId}`, apiKeyId: null };
  }
  const key = await authenticateApiKey(db, match[1]);
  if (!key) throw new SignetError('API_KEY_INVALID', 'The API key is unknown or revoked');
  return {
    organizationId: key.organizationId,
    scopes: key.scopes,
    actor: `api-key:${key.keyId}`,
    apiKeyId: key.keyId,
    userId: null,
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new SignetError('UNAUTHENTICATED', 'Authentication required');
  return request.principal;
}
