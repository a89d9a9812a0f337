import type { FastifyInstance } from 'fastify';
import type { Platform } from '../platform.ts';

/** Publishes the installation's root certificate so relying parties can trust its seals. */
export async function pkiRoutes(app: FastifyInstance, platform: Platform) {
  app.get('/pki/root.pem', async (_request, reply) =>
    reply
      .type('application/x-pem-file')
      .header('cache-control', 'public, max-age=3600')
      .send(platform.pki.rootPem),
  );
}
