import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SignetError } from '../errors.ts';
import { principalOf } from '../http/apiKeyAuth.ts';
import { errorAnswers } from '../http/contract.ts';
import { perBodyField, perClientIp, rateLimited } from '../http/rateLimits.ts';
import {
  addSetCookie,
  checkCookieSignIn,
  clearedSessionCookies,
  deliverSession,
  type SessionCookieSettings,
  sessionQuery,
} from '../http/sessionCookies.ts';
import { whoOf } from '../http/who.ts';
import type { Platform } from '../platform.ts';
import { acceptInvitation, completePasswordReset } from './accounts.ts';
import { organizationForHost } from './customDomains.ts';
import {
  passkeyRegistrationOptions,
  passkeySignInOptions,
  registerPasskey,
  signInWithPasskey,
} from './passkeys.ts';
import {
  acceptInviteBody,
  currentUserView,
  passwordResetBody,
  passwordResetCompleteBody,
  signedInView,
  userAccountView,
} from './schema.ts';
import {
  beginTotpEnrolment,
  changePassword,
  completeSecondFactor,
  confirmTotpEnrolment,
  currentUser,
  signInWithPassword,
  signOut,
} from './signIn.ts';

const signInBody = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(1).max(1000),
  organizationId: z.uuid().optional(),
});
const secondFactorBody = z
  .strictObject({
    challenge: z.string().min(10).max(200),
    code: z.string().trim().min(6).max(10).optional(),
    recoveryCode: z.string().trim().min(10).max(20).optional(),
  })
  .refine((value) => (value.code === undefined) !== (value.recoveryCode === undefined), {
    message: 'give exactly one of code and recoveryCode',
  });
/** A WebAuthn response as the browser serialises it; @simplewebauthn checks the rest. */
const credentialResponse = z.looseObject({
  id: z.string().min(1).max(1024),
  rawId: z.string().min(1).max(1024),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: z.string().max(10_000) }),
  clientExtensionResults: z.looseObject({}).default({}),
});
const passkeyBody = z.strictObject({ challengeId: z.uuid(), response: credentialResponse });
const codeBody = z.strictObject({ code: z.string().trim().min(6).max(10) });
const passwordBody = z.strictObject({
  currentPassword: z.string().min(1).max(1000),
  newPassword: z.string().max(1000),
});

const signInAnswer = z.discriminatedUnion('status', [
  signedInView,
  z.object({
    status: z.literal('second-factor-required'),
    challenge: z.string().describe('Send it with the code to /api/v1/auth/second-factor'),
    expiresAt: z.string(),
  }),
]);
/** WebAuthn options as @simplewebauthn makes them (PublicKeyCredentialCreation/RequestOptionsJSON). */
const passkeyOptions = z.object({
  challengeId: z.string(),
  options: z.custom<PublicKeyCredentialCreationOptionsJSON | PublicKeyCredentialRequestOptionsJSON>().meta({
    type: 'object',
    description: 'Pass to navigator.credentials.create() or .get() (WebAuthn JSON)',
  }),
});
const ok = <T extends z.ZodType>(schema: T) => ({ 200: schema, ...errorAnswers });

/** The staff user behind a session token; API keys have no user to enrol or sign out. */
function userOf(request: FastifyRequest): string {
  const principal = principalOf(request);
  if (!principal.userId) throw new SignetError('SESSION_REQUIRED', 'Sign in as a user for this.');
  return principal.userId;
}

/** Staff sign-in (SPEC §E): password, then TOTP or a recovery code; session tokens for the API. */
export async function signInRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // Per address, before the body is read; per account once it is (the lockout counts wrong
  // passwords; this caps how fast any account can be tried from many addresses).
  const limited = (route: string) => ({
    onRequest: rateLimited(app, perClientIp(`${route}-ip`, 'sign-in attempts', 20)),
    preHandler: rateLimited(
      app,
      perBodyField(`${route}-account`, 'sign-in attempts for this account', 'email', 20),
    ),
  });
  const signedIn = { config: { scope: 'envelopes:read' as const } };
  const tags = ['auth'];
  const cookies: SessionCookieSettings = {
    publicUrl: platform.config.publicUrl,
    secrets: platform.secrets,
    organizationForHost: (host) => organizationForHost(platform.db, host),
  };
  /** A sign-in asked to set cookies must come from PUBLIC_URL's origin (sessionCookies.ts). */
  const cookieSignIn = async (request: FastifyRequest) => {
    if ((request.query as { session?: string }).session === 'cookie')
      await checkCookieSignIn(cookies, request);
  };

  app.post(
    '/api/v1/auth/sign-in',
    {
      ...limited('sign-in'),
      schema: {
        tags,
        summary: 'Sign in with email and password',
        querystring: sessionQuery,
        body: signInBody,
        response: ok(signInAnswer),
      },
    },
    async (request, reply) => {
      await cookieSignIn(request);
      const result = await signInWithPassword(platform, request.body, whoOf(request));
      return deliverSession(cookies, request, reply, result);
    },
  );

  app.post(
    '/api/v1/auth/second-factor',
    {
      ...limited('second-factor'),
      schema: {
        tags,
        summary: 'Finish signing in with a TOTP or recovery code',
        querystring: sessionQuery,
        body: secondFactorBody,
        response: ok(signInAnswer),
      },
    },
    async (request, reply) => {
      await cookieSignIn(request);
      return deliverSession(cookies, request, reply, await completeSecondFactor(platform, request.body));
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      ...signedIn,
      schema: { tags, summary: 'The signed-in user and their organisation', response: ok(currentUserView) },
    },
    async (request) => currentUser(platform, userOf(request)),
  );

  app.post(
    '/api/v1/auth/sign-out',
    {
      ...signedIn,
      schema: {
        tags,
        summary: 'End this session (and clear the session cookies)',
        response: { 204: z.null().describe('Signed out'), ...errorAnswers },
      },
    },
    async (request, reply) => {
      userOf(request);
      await signOut(platform.db, principalOf(request).sessionToken ?? '');
      addSetCookie(reply, clearedSessionCookies(cookies));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/totp',
    {
      ...signedIn,
      schema: {
        tags,
        summary: 'Start two-step sign-in enrolment',
        response: ok(z.object({ secret: z.string(), otpauthUri: z.string() })),
      },
    },
    async (request) => beginTotpEnrolment(platform, userOf(request)),
  );

  app.post(
    '/api/v1/auth/totp/confirm',
    {
      ...signedIn,
      schema: {
        tags,
        summary: 'Confirm enrolment with a code; answers the recovery codes once',
        body: codeBody,
        response: ok(z.object({ enabled: z.literal(true), recoveryCodes: z.array(z.string()) })),
      },
    },
    async (request) => confirmTotpEnrolment(platform, userOf(request), request.body.code),
  );

  app.post(
    '/api/v1/auth/passkeys/registration-options',
    { ...signedIn, schema: { tags, summary: 'Options to register a passkey', response: ok(passkeyOptions) } },
    async (request) => passkeyRegistrationOptions(platform, userOf(request)),
  );

  app.post(
    '/api/v1/auth/passkeys',
    {
      ...signedIn,
      schema: {
        tags,
        summary: 'Register a passkey',
        body: passkeyBody,
        response: ok(z.object({ registered: z.boolean(), credentialId: z.string() })),
      },
    },
    async (request) =>
      registerPasskey(
        platform,
        userOf(request),
        request.body.challengeId,
        request.body.response as unknown as RegistrationResponseJSON,
      ),
  );

  app.post(
    '/api/v1/auth/passkeys/sign-in-options',
    {
      ...limited('passkey-options'),
      schema: { tags, summary: 'Options to sign in with a passkey', response: ok(passkeyOptions) },
    },
    async () => passkeySignInOptions(platform),
  );

  app.post(
    '/api/v1/auth/passkeys/sign-in',
    {
      ...limited('passkey-sign-in'),
      schema: {
        tags,
        summary: 'Sign in with a passkey',
        querystring: sessionQuery,
        body: passkeyBody,
        response: ok(signedInView),
      },
    },
    async (request, reply) => {
      await cookieSignIn(request);
      const result = await signInWithPasskey(
        platform,
        request.body.challengeId,
        request.body.response as unknown as AuthenticationResponseJSON,
        whoOf(request),
      );
      return deliverSession(cookies, request, reply, result);
    },
  );

  app.put(
    '/api/v1/auth/password',
    {
      ...limited('password-change'),
      config: { scope: 'envelopes:read' as const },
      schema: {
        tags,
        summary: 'Change your password',
        body: passwordBody,
        response: ok(z.object({ changed: z.boolean() })),
      },
    },
    async (request) =>
      changePassword(platform, userOf(request), request.body.currentPassword, request.body.newPassword),
  );

  // Links from mail: the token is the credential, so they are limited per address like sign-in,
  // and a reset request per account too (each one mails the account).
  const linkLimited = (route: string) => ({
    onRequest: rateLimited(app, perClientIp(`${route}-ip`, 'attempts', 20)),
  });

  app.post(
    '/api/v1/auth/accept-invite',
    {
      ...linkLimited('accept-invite'),
      schema: {
        tags,
        summary: 'Accept an invitation: choose a password (and give your name)',
        body: acceptInviteBody,
        response: ok(z.object({ user: userAccountView })),
      },
    },
    async (request) => ({ user: await acceptInvitation(platform.db, request.body) }),
  );

  app.post(
    '/api/v1/auth/password-reset',
    {
      onRequest: rateLimited(app, perClientIp('password-reset-ip', 'password reset requests', 20)),
      preHandler: rateLimited(
        app,
        perBodyField('password-reset-account', 'password reset requests for this address', 'email', 5, 3600),
      ),
      schema: {
        tags,
        summary: 'Mail a link to choose a new password (answered alike whether or not the account exists)',
        body: passwordResetBody,
        response: {
          202: z
            .object({ accepted: z.literal(true) })
            .describe('If the address has an account, a link is on its way'),
          ...errorAnswers,
        },
      },
    },
    async (request, reply) => {
      // The job finds the accounts and mails them; here nothing depends on whether one exists.
      await platform.db.transaction((tx) =>
        platform.queue.enqueue(tx, 'account.password-reset', {
          email: request.body.email.toLowerCase(),
          ...(request.body.organizationId ? { organizationId: request.body.organizationId } : {}),
        }),
      );
      return reply.code(202).send({ accepted: true as const });
    },
  );

  app.post(
    '/api/v1/auth/password-reset/complete',
    {
      ...linkLimited('password-reset-complete'),
      schema: {
        tags,
        summary: 'Choose a new password with the link from the mail; ends every session',
        body: passwordResetCompleteBody,
        response: ok(z.object({ changed: z.literal(true) })),
      },
    },
    async (request) => completePasswordReset(platform.db, request.body),
  );
}
