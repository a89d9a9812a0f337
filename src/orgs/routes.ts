import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../http/apiKeyAuth.ts';
import { errorAnswers } from '../http/contract.ts';
import { PADES_LEVELS, type PadesLevel } from '../pdf/pades.ts';
import type { Platform } from '../platform.ts';
import { loadSignaturePolicy, signaturePolicyInput, updateSignaturePolicy } from './signaturePolicy.ts';

const signaturePolicy = z
  .object({
    padesLevel: z.enum(PADES_LEVELS as unknown as [PadesLevel, ...PadesLevel[]]),
    perSignerSignatures: z.boolean(),
  })
  .meta({ id: 'SignaturePolicy' });

/** Organisation settings; changing them needs the organization:admin scope. */
export async function organizationRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const tags = ['organization'];
  const answer = { 200: signaturePolicy, ...errorAnswers };
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
}
