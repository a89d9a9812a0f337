import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isErrorCode } from '../errorCatalogue.ts';
import { type ErrorCode, SignetError } from '../errors.ts';
import { principalOf } from '../http/apiKeyAuth.ts';
import { parseInput } from '../http/parseInput.ts';
import { perSigningLink, rateLimited, SIGNER_RATE_LIMITS } from '../http/rateLimits.ts';
import { whoOf } from '../http/who.ts';
import type { Platform } from '../platform.ts';
import { sendOneTimeCode, unlockIdentity, verifyAccessCode, verifyOneTimeCode } from './codeChecks.ts';

const tokenParams = z.object({ token: z.string().max(100) });
const codeBody = z.object({ code: z.string().trim().min(1).max(64) });
const recipientParams = z.object({ id: z.string().max(100), recipientId: z.string().max(100) });

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
export async function identityRoutes(app: FastifyInstance, platform: Platform) {
  app.addHook('onRequest', rateLimited(app, ...SIGNER_RATE_LIMITS));
  // Beyond the lockouts (which count wrong codes), a cap on how fast codes may be tried at all.
  const codeAttempts = { onRequest: rateLimited(app, perSigningLink('code-attempts', 'code attempts', 10)) };

  app.post('/api/v1/signing/:token/identity/access-code', codeAttempts, async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    const { code } = parseInput(codeBody, request.body ?? {});
    const result = await verifyAccessCode(platform, token, code, whoOf(request));
    if (!result.passed) throw refused(result);
    return { passed: true };
  });

  app.post('/api/v1/signing/:token/identity/otp/send', async (request, reply) => {
    const { token } = parseInput(tokenParams, request.params);
    const sent = await sendOneTimeCode(platform, token, whoOf(request));
    return reply.code(202).send(sent);
  });

  app.post('/api/v1/signing/:token/identity/otp/verify', codeAttempts, async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    const { code } = parseInput(codeBody, request.body ?? {});
    const result = await verifyOneTimeCode(platform, token, code, whoOf(request));
    if (!result.passed) throw refused(result);
    return { passed: true };
  });

  app.post(
    '/api/v1/envelopes/:id/recipients/:recipientId/identity/unlock',
    { config: { scope: 'envelopes:write' as const } },
    async (request) => {
      const { id, recipientId } = parseInput(recipientParams, request.params);
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
        id,
        recipientId,
      );
    },
  );
}
