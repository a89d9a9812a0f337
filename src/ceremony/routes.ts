import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../http/parseInput.ts';
import { rateLimited, SIGNER_RATE_LIMITS } from '../http/rateLimits.ts';
import { whoOf } from '../http/who.ts';
import type { Platform } from '../platform.ts';
import {
  declineSigning,
  finishSigning,
  giveConsent,
  openSigningSession,
  readCompletedDocument,
  readSigningDocument,
  saveFieldValues,
} from './service.ts';

const tokenParams = z.object({ token: z.string().max(100) });
const documentParams = tokenParams.extend({ documentId: z.string().max(100) });
const declineBody = z.object({ reason: z.string().trim().min(1).max(2000) });

/** The signer API by link token (SPEC §B); no API key — the token is the capability. */
export async function ceremonyRoutes(app: FastifyInstance, platform: Platform) {
  app.addHook('onRequest', rateLimited(app, ...SIGNER_RATE_LIMITS));
  app.addHook('onSend', async (_request, reply) => {
    // Signing pages and documents are personal: never cached, never indexed.
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
  });

  app.get('/api/v1/signing/:token', async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    return openSigningSession(platform, token, whoOf(request));
  });

  app.get('/api/v1/signing/:token/documents/:documentId', async (request, reply) => {
    const { token, documentId } = parseInput(documentParams, request.params);
    const document = await readSigningDocument(platform, token, documentId);
    return reply.type('application/pdf').send(document.bytes);
  });

  app.get('/api/v1/signing/:token/download', async (request, reply) => {
    const { token } = parseInput(tokenParams, request.params);
    const completed = await readCompletedDocument(platform, token);
    return reply.type('application/pdf').send(completed.bytes);
  });

  app.post('/api/v1/signing/:token/consent', async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    return giveConsent(platform, token, whoOf(request));
  });

  app.put('/api/v1/signing/:token/fields', async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    return saveFieldValues(platform, token, request.body, whoOf(request));
  });

  app.post('/api/v1/signing/:token/finish', async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    return finishSigning(platform, token, request.body ?? {}, whoOf(request));
  });

  app.post('/api/v1/signing/:token/decline', async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    const { reason } = parseInput(declineBody, request.body ?? {});
    return declineSigning(platform, token, reason, whoOf(request));
  });
}
