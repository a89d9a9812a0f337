import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isErrorCode } from '../errorCatalogue.ts';
import { type ErrorCode, SignetError } from '../errors.ts';
import { principalOf } from '../http/apiKeyAuth.ts';
import { errorAnswers } from '../http/contract.ts';
import { perSigningLink, rateLimited, SIGNER_RATE_LIMITS } from '../http/rateLimits.ts';
import { whoOf } from '../http/who.ts';
import type { Platform } from '../platform.ts';
import { sendOneTimeCode, unlockIdentity, verifyAccessCode, verifyOneTimeCode } from './codeChecks.ts';

const tokenParams = z.strictObject({ token: z.string().max(100) });
const codeBody = z.strictObject({ code: z.string().trim().min(1).max(64) });
const recipientParams = z.strictObject({ id: z.string().max(100), recipientId: z.string().max(100) });
const passed = { 200: z.object({ passed: z.literal(true) }), ...errorAnswers };
const codeSent = z.object({
  sent: z.literal(true),
  channel: z.enum(['email', 'sms']),
  expiresInSeconds: z.number().int(),
});
const unlocked = z.object({ unlocked: z.array(z.enum(['email', 'accessCode', 'otp', 'saml', 'oidc'])) });

/** What a wrong code answers: the attempt is already counted (committed), then refused. */
function refused(result: { reason?: string; attemptsLeft?: number }): SignetError {
  const details: Partial<Record<ErrorCode, string>> = {
    ACCESS_CODE_WRONG: 'That access code is not right. Check it with the sender.',
    OTP_WRONG: `That code is not right${result.attemptsLeft ? `; ${result.attemptsLeft} tries left` : ''}.`,
    OTP_EXPIRED: 'That code has expired. Ask for a new one.',
    OTP_ATTEMPTS_EXHAUSTED: 'Too many wrong entries for this code. Ask for a new one.',
    IDENTITY_LOCKED: 'Too many wrong codes: this check is locked. Ask the sender to unlock it.',
  };
  const reason = result.reason && isErrorCode(result.reason) ? result.reason : 'IDENTITY_FAILED';
  return new SignetError(reason, details[reason] ?? 'The identity check did not pass.');
}

/** The code-based identity checks of the signer API (SPEC §E), and the sender's unlock. */
export async function identityRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', rateLimited(app, ...SIGNER_RATE_LIMITS));
  // Beyond the lockouts (which count wrong codes), a cap on how fast codes may be tried at all.
  const codeAttempts = { onRequest: rateLimited(app, perSigningLink('code-attempts', 'code attempts', 10)) };
  const tags = ['signing'];

  app.post(
    '/api/v1/signing/:token/identity/access-code',
    {
      ...codeAttempts,
      schema: {
        tags,
        summary: 'Enter the access code the sender gave',
        params: tokenParams,
        body: codeBody,
        response: passed,
      },
    },
    async (request) => {
      const result = await verifyAccessCode(
        platform,
        request.params.token,
        request.body.code,
        whoOf(request),
      );
      if (!result.passed) throw refused(result);
      return { passed: true as const };
    },
  );

  app.post(
    '/api/v1/signing/:token/identity/otp/send',
    {
      schema: {
        tags,
        summary: 'Send a one-time code',
        params: tokenParams,
        response: { 202: codeSent, ...errorAnswers },
      },
    },
    async (request, reply) => {
      const sent = await sendOneTimeCode(platform, request.params.token, whoOf(request));
      return reply.code(202).send(sent);
    },
  );

  app.post(
    '/api/v1/signing/:token/identity/otp/verify',
    {
      ...codeAttempts,
      schema: {
        tags,
        summary: 'Enter the one-time code',
        params: tokenParams,
        body: codeBody,
        response: passed,
      },
    },
    async (request) => {
      const result = await verifyOneTimeCode(
        platform,
        request.params.token,
        request.body.code,
        whoOf(request),
      );
      if (!result.passed) throw refused(result);
      return { passed: true as const };
    },
  );

  app.post(
    '/api/v1/envelopes/:id/recipients/:recipientId/identity/unlock',
    {
      config: { scope: 'envelopes:write' as const },
      schema: {
        tags: ['envelopes'],
        summary: 'Unlock a recipient’s locked identity checks',
        params: recipientParams,
        response: { 200: unlocked, ...errorAnswers },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return unlockIdentity(
        platform,
        {
          organizationId: principal.organizationId,
          who: {
            actor: principal.actor,
            ip: request.ip,
            userAgent: request.headers['user-agent'] ?? null,
          },
        },
        request.params.id,
        request.params.recipientId,
      );
    },
  );
}
