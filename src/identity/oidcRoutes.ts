import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../http/apiKeyAuth.ts';
import { errorAnswers, htmlAnswer, redirectAnswer } from '../http/contract.ts';
import { rateLimited, SIGNER_RATE_LIMITS } from '../http/rateLimits.ts';
import { whoOf } from '../http/who.ts';
import { isUuid } from '../orgs/organizations.ts';
import type { Platform } from '../platform.ts';
import { newBrowserBinding, roundTripCookie } from './browserBinding.ts';
import { completeOidcCallback, configureOidc, startOidcCheck, oidcView as viewOidc } from './oidcService.ts';
import { CHECK_STARTED_IN_ANOTHER_BROWSER, outcomePage, staffSignInOutcome } from './pages.ts';

const oidcSettings = z.strictObject({
  issuer: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1).max(500),
  clientSecret: z.string().min(1).max(2000),
  scopes: z.string().min(6).max(500).optional(),
  responseTimeoutSeconds: z.number().int().min(30).max(3600).optional(),
  staffSignIn: z.boolean().optional(),
});
const tokenParams = z.strictObject({ token: z.string().max(100) });
const organizationParams = z.strictObject({ organizationId: z.string().max(100) });
/** What an OpenID provider sends back; providers add parameters of their own (session_state …), so others are allowed. */
const callbackQuery = z
  .object({
    code: z.string().max(4096).optional(),
    state: z.string().max(1024).optional(),
    iss: z.string().max(2048).optional(),
    error: z.string().max(256).optional(),
    error_description: z.string().max(2048).optional(),
  })
  .catchall(z.string().max(4096));
const oidcView = z
  .object({
    redirectUri: z.string(),
    provider: z
      .object({
        issuer: z.string(),
        clientId: z.string(),
        scopes: z.string(),
        responseTimeoutSeconds: z.number().int(),
        staffSignIn: z.boolean(),
      })
      .nullable(),
    staffSignInUrl: z.string(),
  })
  .meta({ id: 'OidcProvider' });

const OUTCOMES: Record<string, { title: string; message: string; next: string }> = {
  OIDC_PASSED: {
    title: 'Identity verified',
    message: 'Your provider confirmed who you are.',
    next: 'Close this window and return to the signing page to continue.',
  },
  OIDC_CANCELLED: {
    title: 'Verification cancelled',
    message: 'You did not allow the sign-in, so your identity was not verified.',
    next: 'Return to the signing page and start the verification again when you are ready.',
  },
  OIDC_AUTHN_FAILED: {
    title: 'Sign-in failed',
    message: 'Your provider could not sign you in.',
    next: 'Return to the signing page and try again.',
  },
  OIDC_TIMEOUT: {
    title: 'Verification timed out',
    message: 'The answer from your provider came too late.',
    next: 'Return to the signing page and start the verification again.',
  },
  OIDC_EMAIL_MISMATCH: {
    title: 'Different account',
    message: 'You signed in with an account whose email is not the one this envelope was sent to.',
    next: 'Return to the signing page and sign in with the account of the invited address.',
  },
  OIDC_EMAIL_UNVERIFIED: {
    title: 'Email not verified',
    message: 'Your provider did not confirm the email address of your account.',
    next: 'Verify your email address with your provider, then try again.',
  },
  OIDC_BROWSER_MISMATCH: CHECK_STARTED_IN_ANOTHER_BROWSER,
};

const REJECTED = {
  title: 'Verification could not be accepted',
  message: 'The answer from the provider failed Signet’s security checks, so it was not accepted.',
  next: 'Return to the signing page and start the verification again. If it keeps happening, contact the sender.',
};

/** OpenID Connect endpoints (SPEC §E): provider settings, start and the redirect back. */
export async function oidcRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', rateLimited(app, ...SIGNER_RATE_LIMITS));
  const admin = { config: { scope: 'organization:admin' as const } };
  const tags = ['identity-providers'];
  // The round trip's nonce rides in a cookie (./browserBinding.ts).
  await app.register(cookie);

  app.put(
    '/api/v1/identity-providers/oidc',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Configure the OpenID Connect provider',
        body: oidcSettings,
        response: { 200: oidcView, ...errorAnswers },
      },
    },
    async (request) => configureOidc(platform, principalOf(request).organizationId, request.body),
  );

  app.get(
    '/api/v1/identity-providers/oidc',
    {
      ...admin,
      schema: { tags, summary: 'The OpenID Connect provider', response: { 200: oidcView, ...errorAnswers } },
    },
    async (request) => viewOidc(platform, principalOf(request).organizationId),
  );

  app.get(
    '/api/v1/signing/:token/identity/oidc/start',
    {
      schema: {
        tags: ['signing'],
        summary: 'Start the OpenID Connect check (a browser navigation)',
        params: tokenParams,
        response: { 302: redirectAnswer('To the provider'), ...errorAnswers },
      },
    },
    async (request, reply) => {
      const browser = newBrowserBinding();
      const { url, organizationId } = await startOidcCheck(
        platform,
        request.params.token,
        whoOf(request),
        browser.hash,
      );
      const roundTrip = roundTripCookie(platform.config.publicUrl, 'oidc', organizationId);
      return reply
        .setCookie(roundTrip.name, browser.nonce, roundTrip.options)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .redirect(url, 302);
    },
  );

  app.get(
    '/oidc/:organizationId/callback',
    {
      schema: {
        tags: ['browser'],
        summary: 'Where the OpenID provider sends the browser back',
        params: organizationParams,
        querystring: callbackQuery,
        response: {
          200: htmlAnswer('The outcome page'),
          303: redirectAnswer('Back to the signing page or the staff sign-in'),
          403: htmlAnswer('The outcome page, when the check did not pass'),
        },
      },
    },
    async (request, reply) => {
      const { organizationId } = request.params;
      const roundTrip = roundTripCookie(platform.config.publicUrl, 'oidc', organizationId);
      const result = isUuid(organizationId)
        ? await completeOidcCallback(
            platform,
            organizationId,
            new URL(request.url, `${platform.config.publicUrl}/`),
            whoOf(request),
            request.cookies[roundTrip.name],
          )
        : { passed: false, reason: 'OIDC_NOT_CONFIGURED' };
      // Only a nonce this answer used is cleared: a stray request must not end the round trip in flight.
      if ('bindingUsed' in result && result.bindingUsed) reply.clearCookie(roundTrip.name, roundTrip.options);
      if ('redirectTo' in result && result.redirectTo) {
        return reply
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .redirect(result.redirectTo, 303);
      }
      const staff = 'purpose' in result && result.purpose === 'staff';
      const shown = staff ? staffSignInOutcome(result.reason) : (OUTCOMES[result.reason] ?? REJECTED);
      return reply
        .code(result.passed ? 200 : 403)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(outcomePage({ ...shown, code: result.reason }));
    },
  );
}
