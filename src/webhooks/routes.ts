import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { principalOf } from '../http/apiKeyAuth.ts';
import { parseInput } from '../http/parseInput.ts';
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
  createWebhookBody,
  deliveriesQuery,
  updateWebhookBody,
  webhookMessageParams,
  webhookParams,
} from './schema.ts';

/** Actions (test, rotate, replay) take no body; an empty object is accepted, anything in it is not. */
const noBody = z.strictObject({}).optional();

/** The webhook API: HTTP only — parse, call the service, shape the reply. */
export async function webhookRoutes(app: FastifyInstance, platform: Platform) {
  const read = { config: { scope: 'webhooks:read' as const } };
  const write = { config: { scope: 'webhooks:write' as const } };
  const organizationOf = (request: Parameters<typeof principalOf>[0]) => principalOf(request).organizationId;

  app.post('/api/v1/webhooks', write, async (request, reply) => {
    const input = parseInput(createWebhookBody, request.body ?? {});
    const created = await createEndpoint(platform, organizationOf(request), input);
    return reply.status(201).header('location', `/api/v1/webhooks/${created.id}`).send(created);
  });

  app.get('/api/v1/webhooks', read, async (request) => {
    return { data: await listEndpoints(platform.db, organizationOf(request)) };
  });

  app.get('/api/v1/webhooks/:id', read, async (request) => {
    const { id } = parseInput(webhookParams, request.params);
    return getEndpoint(platform.db, organizationOf(request), id);
  });

  app.patch('/api/v1/webhooks/:id', write, async (request) => {
    const { id } = parseInput(webhookParams, request.params);
    const input = parseInput(updateWebhookBody, request.body ?? {});
    return updateEndpoint(platform, organizationOf(request), id, input);
  });

  app.delete('/api/v1/webhooks/:id', write, async (request, reply) => {
    const { id } = parseInput(webhookParams, request.params);
    await deleteEndpoint(platform.db, organizationOf(request), id);
    return reply.status(204).send();
  });

  app.post('/api/v1/webhooks/:id/rotate-secret', write, async (request) => {
    const { id } = parseInput(webhookParams, request.params);
    parseInput(noBody, request.body);
    return rotateSecret(platform, organizationOf(request), id);
  });

  app.post('/api/v1/webhooks/:id/test', write, async (request, reply) => {
    const { id } = parseInput(webhookParams, request.params);
    parseInput(noBody, request.body);
    return reply.status(202).send(await sendTestMessage(platform, organizationOf(request), id));
  });

  app.get('/api/v1/webhooks/:id/deliveries', read, async (request) => {
    const { id } = parseInput(webhookParams, request.params);
    const query = parseInput(deliveriesQuery, request.query);
    return listAttempts(platform.db, organizationOf(request), id, query);
  });

  app.post('/api/v1/webhooks/:id/messages/:messageId/replay', write, async (request, reply) => {
    const { id, messageId } = parseInput(webhookMessageParams, request.params);
    parseInput(noBody, request.body);
    return reply.status(202).send(await replayMessage(platform, organizationOf(request), id, messageId));
  });
}
