import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { LoggerOptions } from 'pino';
import { ceremonyRoutes } from '../ceremony/routes.ts';
import { signingPageRoutes } from '../ceremony/signingPage.ts';
import { envelopeRoutes } from '../envelopes/routes.ts';
import { SignetError } from '../errors.ts';
import { oidcRoutes } from '../identity/oidcRoutes.ts';
import { identityRoutes } from '../identity/routes.ts';
import { samlRoutes } from '../identity/samlRoutes.ts';
import { emailTemplateRoutes } from '../notify/emailTemplateRoutes.ts';
import { outboxRoutes } from '../notify/routes.ts';
import { healthRoutes } from '../ops/healthRoutes.ts';
import { embeddingRoutes } from '../orgs/embeddingRoutes.ts';
import { organizationRoutes } from '../orgs/routes.ts';
import { organizationSettingsRoutes } from '../orgs/settingsRoutes.ts';
import { signInRoutes } from '../orgs/signInRoutes.ts';
import { ssoRoutes } from '../orgs/ssoRoutes.ts';
import { pkiRoutes } from '../pki/routes.ts';
import type { Platform } from '../platform.ts';
import { supportRoutes } from '../support/routes.ts';
import { verifyRoutes } from '../verify/routes.ts';
import { webhookRoutes } from '../webhooks/routes.ts';
import { registerApiKeyAuth } from './apiKeyAuth.ts';
import { registerContract } from './contract.ts';
import { registerIdempotency } from './idempotency.ts';
import { handleError, handleNotFound, sendProblem } from './problem.ts';
import { registerRateLimits } from './rateLimits.ts';
import { signetRoot } from './signetRoot.ts';
import { webAppRoutes } from './webApp.ts';

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

/**
 * Whose X-Forwarded-For is believed (config TRUST_PROXY): the listed proxies, or the first
 * `hops` hops in front of this server — as proxy-addr counts hops for a number.
 */
function trustedProxies(setting: false | number | string[]) {
  if (typeof setting !== 'number') return setting;
  return (_address: string, hop: number) => hop < setting;
}

const SIGNET_VERSION = signetRoot()?.version ?? '0.0.0';

/** Browsers keep to HTTPS for a year once they have seen Signet over TLS (PUBLIC_URL https://). */
const HSTS = 'max-age=31536000';

/**
 * No page of Signet may be framed by another site (clickjacking a signer into consenting or
 * signing): `frame-ancestors 'none'` joins whatever policy the page set, and X-Frame-Options
 * says the same to older browsers. The one exception is the signing page, which names the
 * origins its organisation allows (embedded signing, ceremony/signingPage.ts); X-Frame-Options
 * cannot list origins (ALLOW-FROM is gone from every current browser), so a page that names
 * some goes without it and `frame-ancestors` alone decides.
 */
function forbidFraming(reply: FastifyReply): void {
  const policy = String(reply.getHeader('content-security-policy') ?? '');
  const ancestors = /(?:^|;)\s*frame-ancestors\s+([^;]*)/.exec(policy)?.[1]?.trim();
  if (ancestors === undefined) {
    reply.header(
      'content-security-policy',
      policy ? `${policy}; frame-ancestors 'none'` : "frame-ancestors 'none'",
    );
  }
  if (ancestors === undefined || ancestors === "'none'") reply.header('x-frame-options', 'DENY');
}

export interface RegisteredRoute {
  method: string;
  url: string;
  hidden: boolean;
  /** `config.scope`: what a key or role needs (http/apiKeyAuth.ts); null on public routes. */
  scope: string | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route this app registered: method, URL, whether OpenAPI hides it, the scope it needs. */
    registeredRoutes: RegisteredRoute[];
  }
}

/** Assembles the HTTP app from feature plugins; `app.inject()` drives it in tests with no network. */
export async function buildHttpApp(platform: Platform, logger?: FastifyBaseLogger): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    trustProxy: trustedProxies(platform.config.trustProxy),
    // JSON bodies are small everywhere (a drawn signature, IdP metadata: under 2 MiB) but on the
    // routes that take documents, which set their own limit: a public route must not parse
    // 100 MB of JSON on the event loop.
    bodyLimit: 2 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Errors the router meets before any handler (a malformed URL, an over-long parameter) are
    // problem+json like every other error.
    frameworkErrors: (error, _request, reply) =>
      sendProblem(reply, new SignetError('URL_INVALID', `The request URL cannot be used: ${error.message}`)),
  });
  // Every route as registered, for the contract test (each must be in the OpenAPI document) and
  // the roles test (each needs the scope it is meant to).
  const routes: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' && route.exposeHeadRoute !== false) continue;
      routes.push({
        method,
        url: route.url,
        hidden: Boolean((route.schema as { hide?: boolean } | undefined)?.hide),
        scope: (route.config as { scope?: string } | undefined)?.scope ?? null,
      });
    }
  });
  const servedOverTls = platform.config.publicUrl.startsWith('https:');
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    if (servedOverTls) reply.header('strict-transport-security', HSTS);
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) forbidFraming(reply);
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  // Only JSON and multipart are spoken here; a text/plain body answers 415, not a confusing 400.
  app.removeContentTypeParser('text/plain');
  await app.register(multipart, {
    limits: { fileSize: platform.config.maxUploadBytes, files: 50 },
  });
  await registerContract(app, { version: SIGNET_VERSION, publicUrl: platform.config.publicUrl });
  registerApiKeyAuth(app, {
    db: platform.db,
    secrets: platform.secrets,
    publicUrl: platform.config.publicUrl,
  });
  registerIdempotency(app, { db: platform.db, secrets: platform.secrets });
  registerRateLimits(app, platform.rateLimits, platform.config.rateLimits);
  await app.register(async (scope) => healthRoutes(scope, platform));
  await app.register(async (scope) => pkiRoutes(scope, platform));
  await app.register(async (scope) => envelopeRoutes(scope, platform));
  await app.register(async (scope) => organizationRoutes(scope, platform));
  await app.register(async (scope) => organizationSettingsRoutes(scope, platform));
  await app.register(async (scope) => emailTemplateRoutes(scope, platform));
  await app.register(async (scope) => embeddingRoutes(scope, platform));
  await app.register(async (scope) => signInRoutes(scope, platform));
  await app.register(async (scope) => ssoRoutes(scope, platform));
  await app.register(async (scope) => ceremonyRoutes(scope, platform));
  await app.register(async (scope) => identityRoutes(scope, platform));
  await app.register(async (scope) => oidcRoutes(scope, platform));
  await app.register(async (scope) => samlRoutes(scope, platform));
  await app.register(async (scope) => verifyRoutes(scope, platform));
  await app.register(async (scope) => outboxRoutes(scope, platform));
  await app.register(async (scope) => webhookRoutes(scope, platform));
  await app.register(async (scope) => supportRoutes(scope));
  await app.register(async (scope) => signingPageRoutes(scope, platform));
  await app.register(async (scope) => webAppRoutes(scope));
  return app;
}
