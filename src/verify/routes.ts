import { X509Certificate } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SignetError } from '../errors.ts';
import { binary, documentedOnly, errorAnswers } from '../http/contract.ts';
import { perClientIp, rateLimited } from '../http/rateLimits.ts';
import type { Platform } from '../platform.ts';
import { verificationReportSchema } from './reportSchema.ts';
import { findSealedDocument } from './sealedDocuments.ts';
import { validationTimeSchema } from './validationTime.ts';

/*
 * POST /api/v1/verify (SPEC §C): anyone may check a PDF, without an API key — so it is
 * rate-limited per client IP, the validator runs on a PDF worker within the PDF limits (a
 * hostile file costs a bounded share of a worker, never the event loop), and it never fetches
 * revocation data live: the URLs in an uploaded certificate are the uploader's choice, and this
 * server must not call them. `?at=` asks for the verdict as of another instant (the body is
 * the PDF itself, so the option travels in the query, for both body forms).
 */

const verifyQuery = z.strictObject({ at: validationTimeSchema.optional() });

export interface VerifyRoutesOptions {
  /** Requests per client IP per minute (default 30). */
  ratePerMinute?: number;
}

export async function verifyRoutes(
  fastify: FastifyInstance,
  platform: Platform,
  options: VerifyRoutesOptions = {},
) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const maxUpload = platform.config.maxUploadBytes;
  const trustAnchors = [new Uint8Array(new X509Certificate(platform.pki.rootPem).raw)];
  app.addContentTypeParser(
    'application/pdf',
    { parseAs: 'buffer', bodyLimit: maxUpload },
    (_request, body, done) => done(null, body),
  );

  app.post(
    '/api/v1/verify',
    // Counted before the body is read: a refused client does not get to upload 50 MB first.
    {
      onRequest: rateLimited(
        app,
        perClientIp('verify-ip', 'verification requests', options.ratePerMinute ?? 30),
      ),
      schema: {
        tags: ['verify'],
        summary: 'Check a signed PDF’s signatures (no API key)',
        querystring: verifyQuery,
        body: {
          content: {
            'application/pdf': { schema: documentedOnly(binary) },
            'multipart/form-data': { schema: documentedOnly(z.strictObject({ file: binary })) },
          },
        },
        response: { 200: verificationReportSchema, ...errorAnswers },
      },
    },
    async (request) => {
      const pdf = await readPdf(request, maxUpload);
      const at = request.query.at;
      const report = await platform.pdfWork.verify(pdf, {
        trustAnchors,
        ...(at ? { now: new Date(at) } : {}),
      });
      const sealed = await findSealedDocument(platform.db, report.sha256);
      return { ...report, sealedBySignet: sealed ?? null };
    },
  );
}

/** The body is the PDF (`application/pdf`) or a multipart form with a `file` part. */
async function readPdf(request: FastifyRequest, limit: number): Promise<Uint8Array> {
  if (request.isMultipart()) return readMultipartFile(request, limit);
  if (Buffer.isBuffer(request.body)) return new Uint8Array(request.body);
  throw new SignetError(
    'PDF_MISSING',
    'Send the PDF as the request body (application/pdf) or as a multipart part named `file`',
  );
}

async function readMultipartFile(request: FastifyRequest, limit: number): Promise<Uint8Array> {
  try {
    for await (const part of request.parts({ limits: { fileSize: limit, files: 1, fields: 5 } })) {
      if (part.type === 'file' && part.fieldname === 'file') return new Uint8Array(await part.toBuffer());
      if (part.type === 'file') await part.toBuffer();
    }
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new SignetError(
        'REQUEST_TOO_LARGE',
        `The PDF is larger than ${Math.round(limit / 1024 / 1024)} MB`,
      );
    }
    if (code.startsWith('FST_'))
      throw new SignetError('MULTIPART_INVALID', 'The multipart body is malformed or has too many parts');
    throw error;
  }
  throw new SignetError('PDF_MISSING', 'Add the PDF as a multipart part named `file`');
}
