import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SignetError } from '../errors.ts';
import { errorAnswers, htmlAnswer, redirectAnswer } from '../http/contract.ts';
import { perClientIp, rateLimited } from '../http/rateLimits.ts';
import { checkCookieSignIn, deliverSession, sessionQuery } from '../http/sessionCookies.ts';
import { whoOf } from '../http/who.ts';
import { newBrowserBinding, type RoundTripProtocol, roundTripCookie } from '../identity/browserBinding.ts';
import { startStaffOidcSignIn } from '../identity/oidcService.ts';
import { outcomePage } from '../identity/pages.ts';
import { startStaffSamlSignIn } from '../identity/samlService.ts';
import type { Platform } from '../platform.ts';
import { organizationForHost } from './customDomains.ts';
import { isUuid } from './organizations.ts';
import { signedInView } from './schema.ts';
import { exchangeSsoSignInCode } from './sso.ts';

const organizationParams = z.strictObject({ organizationId: z.string().max(100) });
const exchangeBody = z.strictObject({ code: z.string().min(10).max(200) });
const startSchema = (protocol: string) => ({
  tags: ['browser'],
  summary: `Staff single sign-on through the organisation's ${protocol} provider (a browser navigation)`,
  params: organizationParams,
  response: { 302: redirectAnswer('To the provider'), 404: htmlAnswer('SSO is not set up'), ...errorAnswers },
});

function notConfigured(reply: FastifyReply) {
  return reply
    .code(404)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .send(
      outcomePage({
        title: 'Single sign-on is not set up',
        message: 'This organisation has not set up sign-in through its identity provider for Signet.',
        next: 'Sign in with your email and password, or ask your administrator.',
        code: 'SSO_NOT_CONFIGURED',
      }),
    );
}

/**
 * Staff single sign-on (SPEC §E): the start URLs an organisation gives its people, the page the
 * provider's answer lands on, and the exchange of its one-time code for a session token. The
 * answer itself arrives at the organisation's ACS or OIDC callback, shared with signer checks.
 */
export async function ssoRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const limited = (route: string) => ({
    onRequest: rateLimited(app, perClientIp(`${route}-ip`, 'sign-in attempts', 20)),
  });
  // The round trip is bound to this browser like a signer's (identity/browserBinding.ts).
  await app.register(cookie);

  /** Sends the browser to the organisation's provider, or says SSO is not set up for it. */
  const toProvider =
    (
      protocol: RoundTripProtocol,
      start: (organizationId: string, browserBindingHash: string) => Promise<string>,
    ) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const { organizationId } = request.params as z.infer<typeof organizationParams>;
      if (!isUuid(organizationId)) return notConfigured(reply);
      const browser = newBrowserBinding();
      const roundTrip = roundTripCookie(platform.config.publicUrl, protocol, organizationId);
      try {
        const url = await start(organizationId, browser.hash);
        return reply
          .setCookie(roundTrip.name, browser.nonce, roundTrip.options)
          .header('cache-control', 'no-store')
          .redirect(url, 302);
      } catch (error) {
        if (error instanceof SignetError && error.code === 'SSO_NOT_CONFIGURED') return notConfigured(reply);
        throw error;
      }
    };

  app.get(
    '/auth/sso/:organizationId/saml',
    { ...limited('sso-saml-start'), schema: startSchema('SAML') },
    toProvider('saml', async (organizationId, browserBindingHash) => {
      const started = await startStaffSamlSignIn(platform, organizationId, browserBindingHash);
      if (started.binding !== 'redirect') throw new Error('staff SAML sign-in uses the Redirect binding');
      return started.url;
    }),
  );
  app.get(
    '/auth/sso/:organizationId/oidc',
    { ...limited('sso-oidc-start'), schema: startSchema('OpenID Connect') },
    toProvider('oidc', (organizationId, browserBindingHash) =>
      startStaffOidcSignIn(platform, organizationId, browserBindingHash),
    ),
  );

  app.post(
    '/api/v1/auth/sso/exchange',
    {
      ...limited('sso-exchange'),
      schema: {
        tags: ['auth'],
        summary: 'Exchange the one-time code single sign-on ends with for a session',
        querystring: sessionQuery,
        body: exchangeBody,
        response: { 200: signedInView, ...errorAnswers },
      },
    },
    async (request, reply) => {
      const cookies = {
        publicUrl: platform.config.publicUrl,
        secrets: platform.secrets,
        organizationForHost: (host: string) => organizationForHost(platform.db, host),
      };
      if (request.query.session === 'cookie') await checkCookieSignIn(cookies, request);
      const result = await exchangeSsoSignInCode(platform, request.body.code, whoOf(request));
      return deliverSession(cookies, request, reply, result);
    },
  );

  // Where the provider's answer sends the browser: the code is in the fragment, so only this
  // page's script sees it; it exchanges it for a cookie session (HttpOnly: no script keeps the
  // token) and goes on to the web app.
  app.get(
    '/auth/sso/complete',
    {
      schema: {
        tags: ['browser'],
        summary: 'Where single sign-on ends: exchanges the code, keeps the session',
        response: { 200: htmlAnswer('The page') },
      },
    },
    async (_request, reply) => {
      const nonce = randomBytes(16).toString('base64');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header(
          'content-security-policy',
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'`,
        )
        .send(completionPage(nonce));
    },
  );
}

function completionPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Signing in to Signet</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style></head>
<body><main><h1 id="title">Signing you in…</h1><p id="status" role="status"></p></main>
<script nonce="${nonce}">
(async () => {
  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  history.replaceState(null, '', location.pathname);
  const show = (title, text) => {
    document.getElementById('title').textContent = title;
    document.getElementById('status').textContent = text;
  };
  if (!code) return show('Sign-in failed', 'This page was opened without a sign-in code. Sign in again.');
  const response = await fetch('/api/v1/auth/sso/exchange?session=cookie', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }),
  });
  const body = await response.json();
  if (!response.ok) return show('Sign-in failed', body.detail || 'Sign in again.');
  show('Signed in', 'Signed in as ' + body.user.name + ' (' + body.user.email + '), role ' + body.user.role + '.');
  location.replace('/app');
})();
</script></body></html>`;
}
