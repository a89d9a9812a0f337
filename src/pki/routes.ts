import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SignetError } from '../errors.ts';
import { binary, binaryAnswer, documentedOnly, errorAnswers } from '../http/contract.ts';
import { perClientIp, rateLimited } from '../http/rateLimits.ts';
import type { Platform } from '../platform.ts';

/*
 * What Signet's CA publishes, at the URLs its certificates name (devCa.ts pkiUrlsFor):
 *   GET  /pki/root.pem             the root relying parties trust for seals (PEM)
 *   GET  /pki/root-ca.crt          Signet's root CA, DER          (AIA caIssuers of the issuing CA)
 *   GET  /pki/issuing-ca.crt       Signet's issuing CA, DER       (AIA caIssuers of end entities)
 *   GET  /pki/crl/root.crl         CRL of the root (revoked CA certificates)
 *   GET  /pki/crl/issuing.crl      CRL of the issuing CA
 *   POST /pki/ocsp, GET /pki/ocsp/{base64}   OCSP (RFC 6960 §A.1)
 *   POST /pki/tsa                  RFC 3161 time-stamping (§3.4)
 */

/** Requests are small: an OCSP request or a time-stamp query is a few hundred bytes. */
const MAX_REQUEST_BYTES = 64 * 1024;
/** OCSP and CRL answers are fresh for an hour; caches may keep them for a few minutes. */
const REVOCATION_CACHE = 'public, max-age=300';

const file = (contentType: string, summary: string) => ({
  tags: ['pki'],
  summary,
  response: { 200: binaryAnswer(contentType, summary), ...errorAnswers },
});
const derBody = (contentType: string) => ({ content: { [contentType]: { schema: documentedOnly(binary) } } });
const unsupported = () =>
  new SignetError('UNSUPPORTED_MEDIA_TYPE', 'Send the DER request with its own content type');

export async function pkiRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const authority = platform.pki.authority;
  // Relying parties fetch certificates, CRLs and OCSP answers often (and cache them); a
  // time-stamp costs a signature, so it is counted apart and more tightly.
  app.addHook(
    'onRequest',
    rateLimited(app, perClientIp('pki-ip', 'requests to the certificate authority', 600)),
  );
  const timestamping = { onRequest: rateLimited(app, perClientIp('tsa-ip', 'time-stamp requests', 120)) };
  app.addContentTypeParser(
    ['application/ocsp-request', 'application/timestamp-query'],
    { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.get(
    '/pki/root.pem',
    { schema: file('application/x-pem-file', 'The root CA relying parties trust (PEM)') },
    async (_request, reply) =>
      reply
        .type('application/x-pem-file')
        .header('cache-control', 'public, max-age=3600')
        .send(platform.pki.rootPem),
  );
  app.get(
    '/pki/root-ca.crt',
    { schema: file('application/pkix-cert', 'The root CA certificate (DER)') },
    async (_request, reply) => sendDer(reply, 'application/pkix-cert', authority.rootDer),
  );
  app.get(
    '/pki/issuing-ca.crt',
    { schema: file('application/pkix-cert', 'The issuing CA certificate (DER)') },
    async (_request, reply) => sendDer(reply, 'application/pkix-cert', authority.issuingDer),
  );
  app.get(
    '/pki/crl/root.crl',
    { schema: file('application/pkix-crl', 'The root CA’s CRL') },
    async (_request, reply) =>
      sendDer(reply, 'application/pkix-crl', await authority.crl('root'), REVOCATION_CACHE),
  );
  app.get(
    '/pki/crl/issuing.crl',
    { schema: file('application/pkix-crl', 'The issuing CA’s CRL') },
    async (_request, reply) =>
      sendDer(reply, 'application/pkix-crl', await authority.crl('issuing'), REVOCATION_CACHE),
  );

  app.post(
    '/pki/ocsp',
    {
      schema: {
        ...file('application/ocsp-response', 'OCSP (RFC 6960), POST'),
        body: derBody('application/ocsp-request'),
      },
    },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) throw unsupported();
      return sendDer(
        reply,
        'application/ocsp-response',
        await authority.ocsp.respond(request.body),
        'no-store',
      );
    },
  );
  // RFC 6960 §A.1.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}. The
  // base64 may hold '/', hence the wildcard.
  app.get(
    '/pki/ocsp/*',
    {
      schema: {
        ...file(
          'application/ocsp-response',
          'OCSP (RFC 6960 §A.1.1), GET with the base64 request in the path',
        ),
        params: z.strictObject({ '*': z.string().max(4096) }),
      },
    },
    async (request, reply) => {
      const encoded = request.params['*'];
      const der = Buffer.from(safeDecode(encoded), 'base64');
      return sendDer(reply, 'application/ocsp-response', await authority.ocsp.respond(der), REVOCATION_CACHE);
    },
  );

  app.post(
    '/pki/tsa',
    {
      ...timestamping,
      schema: {
        ...file('application/timestamp-reply', 'Time-stamping (RFC 3161 §3.4)'),
        body: derBody('application/timestamp-query'),
      },
    },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) throw unsupported();
      const response = await authority.timeStampAuthority.respond(request.body);
      return sendDer(reply, 'application/timestamp-reply', response, 'no-store');
    },
  );
}

function sendDer(reply: FastifyReply, type: string, der: Uint8Array, cache = 'public, max-age=3600') {
  return reply.type(type).header('cache-control', cache).send(Buffer.from(der));
}

/** Fastify has decoded the path once already; a client that double-encodes is decoded again. */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
