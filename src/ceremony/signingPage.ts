import type { FastifyInstance } from 'fastify';
import { organizationOfSigningToken } from '../envelopes/aggregate/signingTokens.ts';
import { htmlAnswer } from '../http/contract.ts';
import { rateLimited, SIGNER_RATE_LIMITS } from '../http/rateLimits.ts';
import { APP_PAGE_POLICY, loadWebPages, sendWebPage, type WebPages } from '../http/webApp.ts';
import { loadEmbeddingOrigins } from '../orgs/embedding.ts';
import type { Platform } from '../platform.ts';
import { tokenParams } from './schema.ts';

/** The meta tag through which the ceremony learns which origins may frame it (web/src/sign/embedding.ts). */
export const FRAME_ORIGINS_META = 'signet-frame-origins';

/**
 * `frame-ancestors` for the signing page: the organisation's allowed embedding origins, or
 * 'none'. Origins are stored normalised (orgs/embedding.ts), so they cannot smuggle in another
 * directive.
 */
export function signingPagePolicy(frameOrigins: readonly string[]): string {
  const ancestors = frameOrigins.length > 0 ? frameOrigins.join(' ') : "'none'";
  return `${APP_PAGE_POLICY}; frame-ancestors ${ancestors}`;
}

/**
 * The page a signing link opens: the web ceremony (web/sign.html, its own bundle), which drives
 * the signer API. The page itself is the same for every link; what the link allows is answered
 * by the API. Only who may frame it depends on the link: the organisation that issued it names
 * the origins of its embedding pages (embedded signing, SPEC §B), and for an unknown link nobody
 * may.
 */
export async function signingPageRoutes(
  app: FastifyInstance,
  platform: Platform,
  pages: WebPages = loadWebPages(),
) {
  const schema = {
    tags: ['browser'],
    summary: 'The signing ceremony a recipient’s link opens',
    params: tokenParams,
    response: { 200: htmlAnswer('The signing ceremony') },
  };
  app.get<{ Params: { token: string } }>(
    '/sign/:token',
    { onRequest: rateLimited(app, ...SIGNER_RATE_LIMITS), schema },
    async (request, reply) => {
      const organizationId = await organizationOfSigningToken(platform.db, request.params.token);
      const frameOrigins = organizationId ? await loadEmbeddingOrigins(platform.db, organizationId) : [];
      return sendWebPage(reply, pages, 'sign', signingPagePolicy(frameOrigins), {
        // The URL carries the signing token: it must not leave in a Referer header.
        referrerPolicy: 'no-referrer',
        meta: { [FRAME_ORIGINS_META]: JSON.stringify(frameOrigins) },
      });
    },
  );
}
