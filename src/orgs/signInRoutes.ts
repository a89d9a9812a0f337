import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SignetError } from '../errors.ts';
import { principalOf } from '../http/apiKeyAuth.ts';
import { parseInput } from '../http/parseInput.ts';
import { perBodyField, perClientIp, rateLimited } from '../http/rateLimits.ts';
import { whoOf } from '../http/who.ts';
import type { Platform } from '../platform.ts';
import {
  passkeyRegistrationOptions,
  passkeySignInOptions,
  registerPasskey,
  signInWithPasskey,
} from './passkeys.ts';
import {
  beginTotpEnrolment,
  changePassword,
  completeSecondFactor,
  confirmTotpEnrolment,
  currentUser,
  signInWithPassword,
  signOut,
} from './signIn.ts';

const signInBody = z.object({
  email: z.email().max(254),
  password: z.string().min(1).max(1000),
  organizationId: z.uuid().optional(),
});
const secondFactorBody = z
  .object({
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
const passkeyBody = z.object({ challengeId: z.uuid(), response: credentialResponse });
const codeBody = z.object({ code: z.string().trim().min(6).max(10) });
const passwordBody = z.object({
  currentPassword: z.string().min(1).max(1000),
  newPassword: z.string().max(1000),
});

/** The staff user behind a session token; API keys have no user to enrol or sign out. */
function userOf(request: FastifyRequest): string {
  const principal = principalOf(request);
  if (!principal.userId) throw new SignetError('SESSION_REQUIRED', 'Sign in as a user for this.');
  return principal.userId;
}

/** Staff sign-in (SPEC §E): password, then TOTP or a recovery code; session tokens for the API. */
export async function signInRoutes(app: FastifyInstance, platform: Platform) {
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

  app.post('/api/v1/auth/sign-in', limited('sign-in'), async (request) => {
    const input = parseInput(signInBody, request.body ?? {});
    return signInWithPassword(platform, input, whoOf(request));
  });

  app.post('/api/v1/auth/second-factor', limited('second-factor'), async (request) => {
    const input = parseInput(secondFactorBody, request.body ?? {});
    return completeSecondFactor(platform, input);
  });

  app.get('/api/v1/auth/me', signedIn, async (request) => currentUser(platform, userOf(request)));

  app.post('/api/v1/auth/sign-out', signedIn, async (request, reply) => {
    userOf(request);
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    await signOut(platform.db, token);
    return reply.code(204).send();
  });

  app.post('/api/v1/auth/totp', signedIn, async (request) => beginTotpEnrolment(platform, userOf(request)));

  app.post('/api/v1/auth/totp/confirm', signedIn, async (request) => {
    const { code } = parseInput(codeBody, request.body ?? {});
    return confirmTotpEnrolment(platform, userOf(request), code);
  });

  app.post('/api/v1/auth/passkeys/registration-options', signedIn, async (request) =>
    passkeyRegistrationOptions(platform, userOf(request)),
  );

  app.post('/api/v1/auth/passkeys', signedIn, async (request) => {
    const { challengeId, response } = parseInput(passkeyBody, request.body ?? {});
    return registerPasskey(
      platform,
      userOf(request),
      challengeId,
      response as unknown as RegistrationResponseJSON,
    );
  });

  app.post('/api/v1/auth/passkeys/sign-in-options', limited('passkey-options'), async () =>
    passkeySignInOptions(platform),
  );

  app.post('/api/v1/auth/passkeys/sign-in', limited('passkey-sign-in'), async (request) => {
    const { challengeId, response } = parseInput(passkeyBody, request.body ?? {});
    return signInWithPasskey(
      platform,
      challengeId,
      response as unknown as AuthenticationResponseJSON,
      whoOf(request),
    );
  });

  app.put(
    '/api/v1/auth/password',
    { ...limited('password-change'), config: { scope: 'envelopes:read' as const } },
    async (request) => {
      const input = parseInput(passwordBody, request.body ?? {});
      return changePassword(platform, userOf(request), input.currentPassword, input.newPassword);
    },
  );
}
