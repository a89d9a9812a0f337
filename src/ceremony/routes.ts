import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { binaryAnswer, errorAnswers } from '../http/contract.ts';
import { rateLimited, SIGNER_RATE_LIMITS } from '../http/rateLimits.ts';
import { whoOf } from '../http/who.ts';
import type { Platform } from '../platform.ts';
import {
  declineBody,
  fieldValuesBody,
  finishBody,
  signingDocumentParams,
  signingSessionView,
  tokenParams,
} from './schema.ts';
import {
  declineSigning,
  finishSigning,
  giveConsent,
  openSigningSession,
  readCompletedDocument,
  readSigningDocument,
  saveFieldValues,
} from './service.ts';

const session = { 200: signingSessionView, ...errorAnswers };
const pdf = (description: string) => ({ 200: binaryAnswer('application/pdf', description), ...errorAnswers });

/** The signer API by link token (SPEC §B); no API key — the token is the capability. */
export async function ceremonyRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', rateLimited(app, ...SIGNER_RATE_LIMITS));
  app.addHook('onSend', async (_request, reply) => {
    // Signing pages and documents are personal: never cached, never indexed.
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
  });
  const signer = { tags: ['signing'] };

  app.get(
    '/api/v1/signing/:token',
    { schema: { ...signer, summary: 'Open a signing session', params: tokenParams, response: session } },
    async (request) => openSigningSession(platform, request.params.token, whoOf(request)),
  );

  app.get(
    '/api/v1/signing/:token/documents/:documentId',
    {
      schema: {
        ...signer,
        summary: 'A document to sign (opening each one is recorded; finishing waits for all)',
        params: signingDocumentParams,
        response: pdf('The document'),
      },
    },
    async (request, reply) => {
      const document = await readSigningDocument(
        platform,
        request.params.token,
        request.params.documentId,
        whoOf(request),
      );
      return reply.type('application/pdf').send(document.bytes);
    },
  );

  app.get(
    '/api/v1/signing/:token/download',
    {
      schema: {
        ...signer,
        summary: 'The sealed document, once completed',
        params: tokenParams,
        response: pdf('The sealed PDF'),
      },
    },
    async (request, reply) => {
      const completed = await readCompletedDocument(platform, request.params.token);
      return reply.type('application/pdf').send(completed.bytes);
    },
  );

  app.post(
    '/api/v1/signing/:token/consent',
    {
      schema: { ...signer, summary: 'Agree to sign electronically', params: tokenParams, response: session },
    },
    async (request) => giveConsent(platform, request.params.token, whoOf(request)),
  );

  app.put(
    '/api/v1/signing/:token/fields',
    {
      schema: {
        ...signer,
        summary: 'Save field values',
        params: tokenParams,
        body: fieldValuesBody,
        response: session,
      },
    },
    async (request) => saveFieldValues(platform, request.params.token, request.body, whoOf(request)),
  );

  app.post(
    '/api/v1/signing/:token/finish',
    {
      schema: {
        ...signer,
        summary: 'Adopt a signature and finish',
        params: tokenParams,
        body: finishBody,
        response: session,
      },
    },
    async (request) => finishSigning(platform, request.params.token, request.body, whoOf(request)),
  );

  app.post(
    '/api/v1/signing/:token/decline',
    {
      schema: {
        ...signer,
        summary: 'Decline to sign, with a reason',
        params: tokenParams,
        body: declineBody,
        response: session,
      },
    },
    async (request) => declineSigning(platform, request.params.token, request.body.reason, whoOf(request)),
  );
}
