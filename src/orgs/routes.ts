import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../http/apiKeyAuth.ts';
import { errorAnswers } from '../http/contract.ts';
import { accountMailer } from '../notify/accountMail.ts';
import { PADES_LEVELS, type PadesLevel } from '../pdf/pades.ts';
import type { Platform } from '../platform.ts';
import { deactivateUser, getUser, inviteUser, listUsers, reactivateUser, updateUser } from './accounts.ts';
import { type ApiKeySummary, createApiKeyAs, listActiveApiKeys, revokeApiKeyAs } from './apiKeys.ts';
import {
  apiKeyPage,
  apiKeysQuery,
  createApiKeyBody,
  createdApiKeyView,
  idParams,
  inviteUserBody,
  noBody,
  updateUserBody,
  userAccountPage,
  userAccountView,
  usersQuery,
} from './schema.ts';
import { loadSignaturePolicy, signaturePolicyInput, updateSignaturePolicy } from './signaturePolicy.ts';

const signaturePolicy = z
  .object({
    padesLevel: z.enum(PADES_LEVELS as unknown as [PadesLevel, ...PadesLevel[]]),
    perSignerSignatures: z.boolean(),
  })
  .meta({ id: 'SignaturePolicy' });

const apiKeyJson = (key: ApiKeySummary) => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  scopes: key.scopes,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  createdBy: key.createdBy,
});

/**
 * The organisation: its settings, its users and its API keys. Settings and users need the
 * organization:admin scope (owners and admins); keys are every signed-in user's own, and all of
 * them an admin's (src/orgs/apiKeys.ts).
 */
export async function organizationRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const tags = ['organization'];
  const answer = { 200: signaturePolicy, ...errorAnswers };
  const admin = { config: { scope: 'organization:admin' as const } };
  const signedIn = { config: { scope: 'envelopes:read' as const } };
  const mail = accountMailer(platform);

  app.get(
    '/api/v1/organization/signature-policy',
    {
      config: { scope: 'envelopes:read' as const },
      schema: { tags, summary: 'The signature policy', response: answer },
    },
    (request) => loadSignaturePolicy(platform.db, principalOf(request).organizationId),
  );
  app.put(
    '/api/v1/organization/signature-policy',
    {
      config: { scope: 'organization:admin' as const },
      schema: {
        tags,
        summary: 'Change the PAdES level or per-signer signatures',
        body: signaturePolicyInput,
        response: answer,
      },
    },
    (request) => updateSignaturePolicy(platform.db, principalOf(request).organizationId, request.body),
  );

  const users = ['users'];
  const userAnswer = { 200: userAccountView, ...errorAnswers };

  app.get(
    '/api/v1/users',
    {
      ...admin,
      schema: {
        tags: users,
        summary: 'List the organisation’s users, in the order they were added',
        querystring: usersQuery,
        response: { 200: userAccountPage, ...errorAnswers },
      },
    },
    (request) => listUsers(platform.db, principalOf(request), request.query),
  );
  app.post(
    '/api/v1/users',
    {
      ...admin,
      schema: {
        tags: users,
        summary: 'Invite someone by mail with a role; only an owner invites an owner',
        body: inviteUserBody,
        response: { 201: userAccountView, ...errorAnswers },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await inviteUser(platform, mail, principalOf(request), request.body)),
  );
  app.get(
    '/api/v1/users/:id',
    {
      ...admin,
      schema: { tags: users, summary: 'A user', params: idParams, response: userAnswer },
    },
    (request) => getUser(platform.db, principalOf(request), request.params.id),
  );
  app.patch(
    '/api/v1/users/:id',
    {
      ...admin,
      schema: {
        tags: users,
        summary: 'Change a user’s role or name; only an owner changes an owner, and the last owner stays one',
        params: idParams,
        body: updateUserBody,
        response: userAnswer,
      },
    },
    (request) => updateUser(platform.db, principalOf(request), request.params.id, request.body),
  );
  app.post(
    '/api/v1/users/:id/deactivate',
    {
      ...admin,
      schema: {
        tags: users,
        summary: 'Deactivate a user: no sign-in, sessions ended, the API keys they made stop working',
        params: idParams,
        body: noBody,
        response: userAnswer,
      },
    },
    (request) => deactivateUser(platform.db, principalOf(request), request.params.id),
  );
  app.post(
    '/api/v1/users/:id/reactivate',
    {
      ...admin,
      schema: {
        tags: users,
        summary: 'Let a deactivated user sign in again',
        params: idParams,
        body: noBody,
        response: userAnswer,
      },
    },
    (request) => reactivateUser(platform.db, principalOf(request), request.params.id),
  );

  const apiKeys = ['api-keys'];

  app.get(
    '/api/v1/api-keys',
    {
      ...signedIn,
      schema: {
        tags: apiKeys,
        summary:
          'List active API keys, newest first: all of them for an admin, else your own (never the secret)',
        querystring: apiKeysQuery,
        response: { 200: apiKeyPage, ...errorAnswers },
      },
    },
    async (request) => {
      const page = await listActiveApiKeys(platform.db, principalOf(request), request.query);
      return { data: page.data.map(apiKeyJson), nextCursor: page.nextCursor };
    },
  );
  app.post(
    '/api/v1/api-keys',
    {
      ...signedIn,
      schema: {
        tags: apiKeys,
        summary: 'Create an API key with scopes you hold; the secret is answered this once',
        body: createApiKeyBody,
        response: { 201: createdApiKeyView, ...errorAnswers },
      },
    },
    async (request, reply) => {
      const created = await createApiKeyAs(platform.db, principalOf(request), request.body);
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...apiKeyJson(created), key: created.key });
    },
  );
  app.delete(
    '/api/v1/api-keys/:id',
    {
      ...signedIn,
      schema: {
        tags: apiKeys,
        summary: 'Revoke an API key: requests with it are refused at once',
        params: idParams,
        response: { 204: z.null().describe('Revoked'), ...errorAnswers },
      },
    },
    async (request, reply) => {
      await revokeApiKeyAs(platform.db, principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
