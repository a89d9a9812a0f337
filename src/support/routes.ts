import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { errorAnswers } from '../http/contract.ts';
import { computeSla } from './sla/engine.ts';
import {
  slaInputOf,
  slaPreviewAnswerOf,
  slaPreviewAnswerSchema,
  slaPreviewRequestSchema,
} from './sla/schema.ts';

/*
 * POST /api/v1/support/sla-preview (issue 12 §3): the SLA engine on calendars, a policy and an
 * event log sent in the body — what the calendar editor shows as "a ticket opened now would be
 * due at …". Nothing is read or stored, so it needs only the support scope (staff who
 * administer the organisation, or an API key given `support:read`).
 */
export async function supportRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/api/v1/support/sla-preview',
    {
      config: { scope: 'support:read' as const },
      schema: {
        tags: ['support'],
        summary: 'Compute SLA deadlines and breaches for a ticket’s event log',
        body: slaPreviewRequestSchema,
        response: { 200: slaPreviewAnswerSchema, ...errorAnswers },
      },
    },
    async (request) => slaPreviewAnswerOf(computeSla(slaInputOf(request.body))),
  );
}
