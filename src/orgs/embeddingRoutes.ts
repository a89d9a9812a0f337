import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../http/apiKeyAuth.ts';
import { errorAnswers } from '../http/contract.ts';
import type { Platform } from '../platform.ts';
import { MAX_EMBEDDING_ORIGINS, setEmbeddingOrigins } from './embedding.ts';

const embeddingOrigins = z
  .object({
    origins: z
      .array(z.string())
      .describe('The origins whose pages may frame the signing ceremony, e.g. https://app.example.com'),
  })
  .meta({ id: 'EmbeddingOrigins' });

const embeddingOriginsInput = z.strictObject({
  origins: z
    .array(z.string().max(300))
    .max(MAX_EMBEDDING_ORIGINS * 2)
    .describe(
      `Scheme, host and optional port each (no path, query or wildcard), at most ${MAX_EMBEDDING_ORIGINS}; an empty list forbids framing`,
    ),
});

/** Embedded signing: which sites may show this organisation's signing ceremony in a frame. */
export async function embeddingRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.put(
    '/api/v1/organization/embedding-origins',
    {
      config: { scope: 'organization:admin' as const },
      schema: {
        tags: ['organization'],
        summary: 'Set the origins allowed to embed the signing ceremony',
        body: embeddingOriginsInput,
        response: { 200: embeddingOrigins, ...errorAnswers },
      },
    },
    async (request) => ({
      origins: await setEmbeddingOrigins(
        platform.db,
        principalOf(request).organizationId,
        request.body.origins,
      ),
    }),
  );
}
