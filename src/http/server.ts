import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { LoggerOptions } from 'pino';
import { ceremonyRoutes } from '../ceremony/routes.ts';
import { signingPageRoutes } from '../ceremony/signingPage.ts';
import { envelopeRoutes } from '../envelopes/routes.ts';
import { SignetError } from '../errors.ts';
import { oidcRoutes } from '../identity/oidcRoutes.ts';
import { identityRoutes } from '../identity/routes.ts';
import { samlRoutes } from '../identity/samlRoutes.ts';
import { outboxRoutes } from '../notify/routes.ts';
import { healthRoutes } from '../ops/healthRoutes.ts';
import { organizationRoutes } from '../orgs/routes.ts';
import { signInRoutes } from '../orgs/signInRoutes.ts';
import { ssoRoutes } from '../orgs/ssoRoutes.ts';
import { pkiRoutes } from '../pki/routes.ts';
import type { Platform } from '../platform.ts';
import { verifyRoutes } from '../verify/routes.ts';
import { registerApiKeyAuth } from './apiKeyAuth.ts';
import { handleError, handleNotFound, sendProblem } from './problem.ts';
import { registerRateLimits } from './rateLimits.ts';

/**
 * Signing links and API keys must never reach the logs (SPEC §L: secrets never logged): tokens
 * in paths are masked, and query strings are dropped whole — a careless client may put a key there.
 */
export const redactUrl = (url: string) => {
  const [path = '', query] = url.split('?', 2);
  const masked = path.replace(/\/(sign|signing)\/[^/?#]+/g, '/$1/[redacted]');
  return query === undefined ? masked : `${masked}?[redacted]`;
};

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: ['req.headers.authorization', 'req.headers.cookie'],
    serializers: {
      req: (request: { method: string; url: string; id: string; ip?: string }) => ({
        id: request.id,
        method: request.method,
        url: redactUrl(request.url),
        ip: request.ip,
      }),
    },
  };
}

/** Assembles the HTTP app from feature plugins; `app.inject()` drives it in tests with no network. */
export async function buildHttpApp(platform: Platform, logger?: FastifyBaseLogger): Promise<FastifyInstance> {
  const maxUpload = platform.config.maxUploadBytes;
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    trustProxy: platform.config.trustProxy,
    // Base64 inflates documents by 4/3; the per-document limit is checked after decoding.
    bodyLimit: Math.ceil(maxUpload * 1.4) + 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Errors the router meets before any handler (a malformed URL, an over-long parameter) are
    // problem+json like every other error.
    frameworkErrors: (error, _request, reply) =>
      sendProblem(
        reply,
        new SignetError('URL_INVALID', 400, `The request URL cannot be used: ${error.message}`),
      ),
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  // Only JSON and multipart are spoken here; a text/plain body answers 415, not a confusing 400.
  app.removeContentTypeParser('text/plain');
  await app.register(multipart, { limits: { fileSize: maxUpload, files: 50 } });
  registerApiKeyAuth(app, platform.db);
  await registerRateLimits(app, platform.db);
  await app.register(async (scope) => healthRoutes(scope, platform));
  await app.register(async (scope) => pkiRoutes(scope, platform));
  await app.register(async (scope) => envelopeRoutes(scope, platform));
  await app.register(async (scope) => organizationRoutes(scope, platform));
  await app.register(async (scope) => signInRoutes(scope, platform));
  await app.register(async (scope) => ssoRoutes(scope, platform));
  await app.register(async (scope) => ceremonyRoutes(scope, platform));
  await app.register(async (scope) => identityRoutes(scope, platform));
  await app.register(async (scope) => oidcRoutes(scope, platform));
  await app.register(async (scope) => samlRoutes(scope, platform));
  await app.register(async (scope) => verifyRoutes(scope, platform));
  await app.register(async (scope) => outboxRoutes(scope, platform));
  await app.register(signingPageRoutes);
  return app;
}
