import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/apiKeyAuth.ts';
import { parseInput } from '../http/parseInput.ts';
import type { Platform } from '../platform.ts';
import { loadSignaturePolicy, signaturePolicyInput, updateSignaturePolicy } from './signaturePolicy.ts';

/** Organisation settings; changing them needs the organization:admin scope. */
export async function organizationRoutes(app: FastifyInstance, platform: Platform) {
  app.get(
    '/api/v1/organization/signature-policy',
    { config: { scope: 'envelopes:read' as const } },
    (request) => loadSignaturePolicy(platform.db, principalOf(request).organizationId),
  );
  app.put(
    '/api/v1/organization/signature-policy',
    { config: { scope: 'organization:admin' as const } },
    (request) =>
      updateSignaturePolicy(
        platform.db,
        principalOf(request).organizationId,
        parseInput(signaturePolicyInput, request.body),
      ),
  );
}
