import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SignetError } from '../errors.ts';
import { principalOf } from '../http/apiKeyAuth.ts';
import { binaryAnswer, errorAnswers, htmlAnswer, redirectAnswer } from '../http/contract.ts';
import { rateLimited, SIGNER_RATE_LIMITS } from '../http/rateLimits.ts';
import { whoOf } from '../http/who.ts';
import { isUuid } from '../orgs/organizations.ts';
import type { Platform } from '../platform.ts';
import { newBrowserBinding, roundTripCookie } from './browserBinding.ts';
import { autoPostPage, CHECK_STARTED_IN_ANOTHER_BROWSER, outcomePage, staffSignInOutcome } from './pages.ts';
import { buildSpMetadata } from './saml/index.ts';
import {
  configureIdp,
  consumeSamlResponse,
  idpView,
  serviceProviderFor,
  startSamlCheck,
} from './samlService.ts';

/** The largest SAMLResponse the ACS reads (base64); an encrypted MDS assertion is ~20 KiB. */
const ACS_BODY_LIMIT = 512 * 1024;

const idpSettings = z
  .strictObject({
    metadataXml: z
      .string()
      .min(1)
      .max(1024 * 1024)
      .optional(),
    metadataUrl: z.url({ protocol: /^https?$/ }).optional(),
    clockSkewSeconds: z.number().int().min(0).max(300).optional(),
    responseTimeoutSeconds: z.number().int().min(30).max(3600).optional(),
    staffSignIn: z.boolean().optional(),
  })
  .refine((value) => (value.metadataXml === undefined) !== (value.metadataUrl === undefined), {
    message: 'give exactly one of metadataXml and metadataUrl',
  });

const organizationParams = z.strictObject({ organizationId: z.string().max(100) });
const tokenParams = z.strictObject({ token: z.string().max(100) });
const startQuery = z.strictObject({ binding: z.enum(['redirect', 'post']).default('redirect') });
const acsBody = z.strictObject({
  SAMLResponse: z.string().min(1).max(ACS_BODY_LIMIT),
  RelayState: z.string().max(200).optional(),
});

const samlView = z
  .object({
    serviceProvider: z.object({ entityId: z.string(), metadataUrl: z.string(), acsUrl: z.string() }),
    identityProvider: z
      .object({
        entityId: z.string(),
        ssoRedirectUrl: z.string().nullable(),
        ssoPostUrl: z.string().nullable(),
        certificates: z.number().int(),
        clockSkewSeconds: z.number().int(),
        responseTimeoutSeconds: z.number().int(),
        staffSignIn: z.boolean(),
      })
      .nullable(),
    staffSignInUrl: z.string(),
  })
  .meta({ id: 'SamlProvider' });

/** What the signer reads after each outcome (SPEC §E: a clear page with what to do next). */
const OUTCOMES: Record<string, { title: string; message: string; next: string }> = {
  SAML_PASSED: {
    title: 'Identity verified',
    message: 'Your identity provider confirmed who you are.',
    next: 'Close this window and return to the signing page to continue.',
  },
  SAML_CANCELLED: {
    title: 'Verification cancelled',
    message: 'You cancelled at your identity provider, so your identity was not verified.',
    next: 'Return to the signing page and start the verification again when you are ready.',
  },
  SAML_AUTHN_FAILED: {
    title: 'Sign-in failed',
    message: 'Your identity provider could not confirm who you are.',
    next: 'Return to the signing page and try again, or contact the sender.',
  },
  SAML_IDP_ERROR: {
    title: 'Identity provider error',
    message: 'Your identity provider reported an error.',
    next: 'Try again later. If it keeps happening, contact the sender.',
  },
  SAML_TIMEOUT: {
    title: 'Verification timed out',
    message: 'The answer from your identity provider came too late.',
    next: 'Return to the signing page and start the verification again.',
  },
  SAML_LEVEL_TOO_LOW: {
    title: 'Higher level of assurance needed',
    message: 'The sender requires a stronger proof of identity than your identity provider gave.',
    next: 'Return to the signing page and verify at the required level, or contact the sender.',
  },
  MDS_NO_MATCH: {
    title: 'Identity does not match',
    message: 'The identity your provider confirmed is not the one the sender expected.',
    next: 'Contact the sender: they may have your name or date of birth differently.',
  },
  MDS_INVALID: {
    title: 'Identity data incomplete',
    message: 'Your identity provider sent identity data that is incomplete or malformed.',
    next: 'Try again later, or contact the sender.',
  },
  SAML_BROWSER_MISMATCH: CHECK_STARTED_IN_ANOTHER_BROWSER,
};

const REJECTED = {
  title: 'Verification could not be accepted',
  message: 'The answer from the identity provider failed Signet’s security checks, so it was not accepted.',
  next: 'Return to the signing page and start the verification again. If it keeps happening, contact the sender.',
};

/** SAML 2.0 Service Provider endpoints (SPEC §E): IdP settings, SP metadata, start and ACS. */
export async function samlRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // SP metadata, round-trip starts and the ACS are public: each counts as a signer request
  // (per address, and per link where there is one).
  app.addHook('onRequest', rateLimited(app, ...SIGNER_RATE_LIMITS));
  const admin = { config: { scope: 'organization:admin' as const } };
  const tags = ['identity-providers'];
  // The round trip's nonce rides in a cookie (./browserBinding.ts).
  await app.register(cookie);

  app.put(
    '/api/v1/identity-providers/saml',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Configure the SAML identity provider (metadata XML or URL)',
        body: idpSettings,
        response: { 200: samlView, ...errorAnswers },
      },
    },
    async (request) => configureIdp(platform, principalOf(request).organizationId, request.body),
  );

  app.get(
    '/api/v1/identity-providers/saml',
    {
      ...admin,
      schema: {
        tags,
        summary: 'The SAML identity provider and Signet’s service provider',
        response: { 200: samlView, ...errorAnswers },
      },
    },
    async (request) => idpView(platform, principalOf(request).organizationId),
  );

  app.get(
    '/saml/:organizationId/metadata',
    {
      schema: {
        tags: ['browser'],
        summary: 'Signet’s SAML service provider metadata for an organisation',
        params: organizationParams,
        response: { 200: binaryAnswer('application/samlmetadata+xml', 'SP metadata'), ...errorAnswers },
      },
    },
    async (request, reply) => {
      const { organizationId } = request.params;
      if (!isUuid(organizationId)) throw new SignetError('ORGANIZATION_NOT_FOUND', 'No such organization');
      return reply
        .type('application/samlmetadata+xml')
        .send(buildSpMetadata(await serviceProviderFor(platform, organizationId)));
    },
  );

  app.get(
    '/api/v1/signing/:token/identity/saml/start',
    {
      schema: {
        tags: ['signing'],
        summary: 'Start the SAML check (a browser navigation)',
        params: tokenParams,
        querystring: startQuery,
        response: {
          200: htmlAnswer('A page that posts the AuthnRequest to the identity provider (HTTP-POST binding)'),
          302: redirectAnswer('To the identity provider (HTTP-Redirect binding)'),
          ...errorAnswers,
        },
      },
    },
    async (request, reply) => {
      const browser = newBrowserBinding();
      const started = await startSamlCheck(
        platform,
        request.params.token,
        request.query.binding,
        whoOf(request),
        browser.hash,
      );
      const roundTrip = roundTripCookie(platform.config.publicUrl, 'saml', started.organizationId);
      reply
        .setCookie(roundTrip.name, browser.nonce, roundTrip.options)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer');
      if (started.binding === 'redirect') return reply.redirect(started.url, 302);
      const nonce = randomBytes(16).toString('base64');
      return reply
        .type('text/html; charset=utf-8')
        .header(
          'content-security-policy',
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; form-action ${new URL(started.action).origin}`,
        )
        .send(autoPostPage(started.action, started.fields, nonce));
    },
  );

  // The IdP's browser POST (SAML Bindings §3.5) arrives form-encoded; parsed here only.
  app.register(async (scope) => {
    const acs = scope.withTypeProvider<ZodTypeProvider>();
    acs.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: ACS_BODY_LIMIT },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    acs.post(
      '/saml/:organizationId/acs',
      {
        bodyLimit: ACS_BODY_LIMIT,
        schema: {
          tags: ['browser'],
          summary: 'Assertion Consumer Service: where the identity provider posts the browser back',
          params: organizationParams,
          body: { content: { 'application/x-www-form-urlencoded': { schema: acsBody } } },
          response: {
            200: htmlAnswer('The outcome page'),
            303: redirectAnswer('Back to the staff sign-in'),
            403: htmlAnswer('The outcome page, when the check did not pass'),
            404: htmlAnswer('No such organisation'),
          },
        },
      },
      async (request, reply) => {
        const { organizationId } = request.params;
        if (!isUuid(organizationId)) return page(reply, 404, { ...REJECTED, code: 'SAML_NOT_CONFIGURED' });
        const { SAMLResponse } = request.body as z.infer<typeof acsBody>;
        const roundTrip = roundTripCookie(platform.config.publicUrl, 'saml', organizationId);
        const result = await consumeSamlResponse(
          platform,
          organizationId,
          SAMLResponse,
          whoOf(request),
          request.cookies[roundTrip.name],
        );
        // Only a nonce this answer used is cleared: a stray post must not end the round trip in flight.
        if (result.bindingUsed) reply.clearCookie(roundTrip.name, roundTrip.options);
        if (result.redirectTo) {
          return reply
            .header('cache-control', 'no-store')
            .header('referrer-policy', 'no-referrer')
            .redirect(result.redirectTo, 303);
        }
        const shown =
          result.purpose === 'staff'
            ? staffSignInOutcome(result.reason)
            : (OUTCOMES[result.reason] ?? REJECTED);
        return page(reply, result.passed ? 200 : 403, { ...shown, code: result.reason });
      },
    );
  });
}

function page(
  reply: FastifyReply,
  status: number,
  outcome: { title: string; message: string; next: string; code: string },
) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .send(outcomePage(outcome));
}
