import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../http/apiKeyAuth.ts';
import { errorAnswers } from '../http/contract.ts';
import type { Platform } from '../platform.ts';
import { listAttempts } from './deliveryLog.ts';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
} from './endpoints.ts';
import { replayMessage, sendTestMessage } from './messages.ts';
import {
  createdWebhook,
  createWebhookBody,
  deliveriesQuery,
  deliveryLog,
  noBody,
  queuedMessage,
  rotatedSecret,
  updateWebhookBody,
  webhookList,
  webhookMessageParams,
  webhookParams,
  webhookView,
} from './schema.ts';

const organizationOf = (request: FastifyRequest) => principalOf(request).organizationId;

/** The webhook API: HTTP only — declare the contract, call the service, shape the reply. */
export async function webhookRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const read = { config: { scope: 'webhooks:read' as const } };
  const write = { config: { scope: 'webhooks:write' as const } };

  app.post(
    '/api/v1/webhooks',
    {
      ...write,
      schema: {
        summary: 'Create a webhook',
        description:
          'Signet POSTs the events named in `events` (every event when absent) to `url`, signed per Standard Webhooks. The answer holds the signing secret: it is shown this once.',
        body: createWebhookBody,
        response: { 201: createdWebhook, ...errorAnswers },
      },
    },
    async (request, reply) => {
      const created = await createEndpoint(platform, organizationOf(request), request.body);
      return reply.status(201).header('location', `/api/v1/webhooks/${created.id}`).send(created);
    },
  );

  app.get(
    '/api/v1/webhooks',
    { ...read, schema: { summary: 'List webhooks', response: { 200: webhookList, ...errorAnswers } } },
    async (request) => ({ data: await listEndpoints(platform.db, organizationOf(request)) }),
  );

  app.get(
    '/api/v1/webhooks/:id',
    {
      ...read,
      schema: {
        summary: 'Get a webhook',
        params: webhookParams,
        response: { 200: webhookView, ...errorAnswers },
      },
    },
    async (request) => getEndpoint(platform.db, organizationOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/webhooks/:id',
    {
      ...write,
      schema: {
        summary: 'Change a webhook',
        description:
          'Change its URL, events (null: every event), description, or `enabled`. Enabling a webhook that was disabled for failing starts its count of failing days afresh.',
        params: webhookParams,
        body: updateWebhookBody,
        response: { 200: webhookView, ...errorAnswers },
      },
    },
    async (request) => updateEndpoint(platform, organizationOf(request), request.params.id, request.body),
  );

  app.delete(
    '/api/v1/webhooks/:id',
    {
      ...write,
      schema: {
        summary: 'Delete a webhook',
        params: webhookParams,
        response: { 204: z.null().describe('Deleted'), ...errorAnswers },
      },
    },
    async (request, reply) => {
      await deleteEndpoint(platform.db, organizationOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/webhooks/:id/rotate-secret',
    {
      ...write,
      schema: {
        summary: 'Rotate the signing secret',
        description:
          'A new secret, shown once; the old one goes on signing beside it (a second `v1,` signature) for 24 hours.',
        params: webhookParams,
        body: noBody,
        response: { 200: rotatedSecret, ...errorAnswers },
      },
    },
    async (request) => rotateSecret(platform, organizationOf(request), request.params.id),
  );

  app.post(
    '/api/v1/webhooks/:id/test',
    {
      ...write,
      schema: {
        summary: 'Send a webhook.test event',
        params: webhookParams,
        body: noBody,
        response: { 202: queuedMessage, ...errorAnswers },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await sendTestMessage(platform, organizationOf(request), request.params.id)),
  );

  app.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      ...read,
      schema: {
        summary: 'The delivery log: every attempt, newest first',
        params: webhookParams,
        querystring: deliveriesQuery,
        response: { 200: deliveryLog, ...errorAnswers },
      },
    },
    async (request) => listAttempts(platform.db, organizationOf(request), request.params.id, request.query),
  );

  app.post(
    '/api/v1/webhooks/:id/messages/:messageId/replay',
    {
      ...write,
      schema: {
        summary: 'Send a message to this webhook again',
        description: 'Under the same `webhook-id`, with three days of retries again if it fails.',
        params: webhookMessageParams,
        body: noBody,
        response: { 202: queuedMessage, ...errorAnswers },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send(
          await replayMessage(platform, organizationOf(request), request.params.id, request.params.messageId),
        ),
  );
}
