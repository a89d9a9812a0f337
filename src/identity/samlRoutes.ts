import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { principalOf } from '../http/apiKeyAuth.ts';
import { parseInput } from '../http/parseInput.ts';
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
  .object({
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

const organizationParams = z.object({ organizationId: z.string().max(100) });
const tokenParams = z.object({ token: z.string().max(100) });
const startQuery = z.object({ binding: z.enum(['redirect', 'post']).default('redirect') });
const acsBody = z.object({
  SAMLResponse: z.string().min(1).max(ACS_BODY_LIMIT),
  RelayState: z.string().max(200).optional(),
});

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
export async function samlRoutes(app: FastifyInstance, platform: Platform) {
  // SP metadata, round-trip starts and the ACS are public: each counts as a signer request
  // (per address, and per link where there is one).
  app.addHook('onRequest', rateLimited(app, ...SIGNER_RATE_LIMITS));
  const admin = { config: { scope: 'organization:admin' as const } };
  // The round trip's nonce rides in a cookie (./browserBinding.ts).
  await app.register(cookie);

  app.put('/api/v1/identity-providers/saml', admin, async (request) => {
    const settings = parseInput(idpSettings, request.body ?? {});
    return configureIdp(platform, principalOf(request).organizationId, settings);
  });

  app.get('/api/v1/identity-providers/saml', admin, async (request) =>
    idpView(platform, principalOf(request).organizationId),
  );

  app.get('/saml/:organizationId/metadata', async (request, reply) => {
    const { organizationId } = parseInput(organizationParams, request.params);
    if (!isUuid(organizationId)) return reply.code(404).send();
    return reply
      .type('application/samlmetadata+xml')
      .send(buildSpMetadata(await serviceProviderFor(platform, organizationId)));
  });

  app.get('/api/v1/signing/:token/identity/saml/start', async (request, reply) => {
    const { token } = parseInput(tokenParams, request.params);
    const { binding } = parseInput(startQuery, request.query);
    const browser = newBrowserBinding();
    const started = await startSamlCheck(platform, token, binding, whoOf(request), browser.hash);
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
  });

  // The IdP's browser POST (SAML Bindings §3.5) arrives form-encoded; parsed here only.
  app.register(async (acs) => {
    acs.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: ACS_BODY_LIMIT },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    acs.post('/saml/:organizationId/acs', { bodyLimit: ACS_BODY_LIMIT }, async (request, reply) => {
      const { organizationId } = parseInput(organizationParams, request.params);
      if (!isUuid(organizationId)) return page(reply, 404, { ...REJECTED, code: 'SAML_NOT_CONFIGURED' });
      const { SAMLResponse } = parseInput(acsBody, request.body ?? {});
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
    });
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
