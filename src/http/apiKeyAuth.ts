import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { type ApiKeyPrincipal, type ApiKeyScope, authenticateApiKey } from '../orgs/apiKeys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiKeyPrincipal | null;
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
      throw new SignetError('API_KEY_SCOPE_MISSING', 403, `This API key lacks the ${scope} scope`);
    }
    request.principal = principal;
  });
}

async function authenticate(db: Database, request: FastifyRequest): Promise<ApiKeyPrincipal> {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new SignetError('UNAUTHENTICATED', 401, 'Send an API key as `Authorization: Bearer <key>`');
  }
  const principal = await authenticateApiKey(db, match[1]);
  if (!principal) throw new SignetError('API_KEY_INVALID', 401, 'The API key is unknown or revoked');
  return principal;
}

export function principalOf(request: FastifyRequest): ApiKeyPrincipal {
  if (!request.principal) throw new SignetError('UNAUTHENTICATED', 401, 'Authentication required');
  return request.principal;
}
