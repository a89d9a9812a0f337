import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pointer, SignetError } from '../errors.ts';
import { verifyEnvelopeAudit } from '../evidence/auditLog.ts';
import { envelopeTimeline } from '../evidence/people.ts';
import { principalOf } from '../http/apiKeyAuth.ts';
import { binaryAnswer, documentedOnly, errorAnswers } from '../http/contract.ts';
import { claimIdempotencyKey } from '../http/idempotency.ts';
import { parseInput, withoutUnstorableText } from '../http/parseInput.ts';
import { MultipartDigest } from '../http/requestFingerprint.ts';
import { loadOrganizationRow } from '../orgs/settings.ts';
import type { Platform } from '../platform.ts';
import { loadDocuments, loadEnvelope } from './aggregate/store.ts';
import { sealedCertificate } from './certificate.ts';
import { pdfFileName } from './records.ts';
import {
  auditView,
  documentParams,
  type EnvelopeInput,
  envelopeIdParams,
  envelopeInput,
  envelopePage,
  envelopeView,
  jsonEnvelopeInput,
  listQuery,
  multipartEnvelopeForm,
  recipientParams,
  remindedView,
  sendQuery,
  signingUrlInput,
  signingUrlView,
  timelineQuery,
  timelineView,
  voidInput,
} from './schema.ts';
import {
  createEmbeddedSigningUrl,
  createEnvelope,
  deleteDraft,
  getEnvelope,
  listEnvelopes,
  remindEnvelope,
  type SenderContext,
  sendEnvelope,
  type UploadedDocument,
  voidEnvelope,
} from './service.ts';

function senderOf(request: FastifyRequest): SenderContext {
  const principal = principalOf(request);
  return {
    organizationId: principal.organizationId,
    apiKeyId: principal.apiKeyId,
    userId: principal.userId,
    who: {
      actor: principal.actor,
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    },
  };
}

const pdfAnswer = (description: string) => ({
  200: binaryAnswer('application/pdf', description),
  ...errorAnswers,
});

/** The envelope API (SPEC §A, §H): HTTP only — declare the contract, call the service, shape the reply. */
export async function envelopeRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const read = { config: { scope: 'envelopes:read' as const } };
  const write = { config: { scope: 'envelopes:write' as const } };

  const sizes = { document: platform.config.maxUploadBytes, request: platform.config.maxRequestBytes };

  app.post(
    '/api/v1/envelopes',
    {
      // A multipart body is read below, and its Idempotency-Key claimed once its parts are.
      config: { ...write.config, claimsIdempotencyKey: true },
      onRequest: refuseDeclaredOversize(sizes.request),
      // Base64 inflates documents by 4/3; the limits on the documents themselves are checked
      // after decoding (readJsonEnvelope) or while streaming (readMultipartEnvelope).
      bodyLimit: jsonBodyLimit(sizes.request),
      schema: {
        summary: 'Create an envelope (and send it with ?send=true)',
        description:
          'Send JSON with the documents in base64, or multipart/form-data with PDF file parts and an `envelope` part holding the same JSON without `documents`. The `envelope` part may be a plain field, a typed JSON part or a file part: the same input gives the same envelope.',
        querystring: sendQuery,
        body: {
          content: {
            'application/json': { schema: jsonEnvelopeInput },
            'multipart/form-data': {
              schema: documentedOnly(multipartEnvelopeForm, {
                envelope: { contentType: 'application/json' },
              }),
            },
          },
        },
        response: { 201: envelopeView, ...errorAnswers },
      },
    },
    async (request, reply) => {
      const { input, documents, digest } = request.isMultipart()
        ? await readMultipartEnvelope(request, sizes).catch((error: unknown) => {
            if (error instanceof SignetError && error.status === 413) closeAfterAnswering(request);
            throw error;
          })
        : {
            ...readJsonEnvelope(request.body as z.infer<typeof jsonEnvelopeInput>, sizes),
            digest: undefined,
          };
      // Idempotency-Key: a JSON body was claimed before the handler; multipart by its parts, here.
      if (digest && (await claimIdempotencyKey(request, reply, digest.digest())) === 'replayed') return reply;
      const envelope = await createEnvelope(platform, senderOf(request), input, documents, {
        send: request.query.send === 'true',
      });
      return reply.status(201).header('location', `/api/v1/envelopes/${envelope.id}`).send(envelope);
    },
  );

  app.get(
    '/api/v1/envelopes',
    {
      ...read,
      schema: {
        summary: 'List envelopes, newest first',
        querystring: listQuery,
        response: { 200: envelopePage, ...errorAnswers },
      },
    },
    async (request) => listEnvelopes(platform, principalOf(request).organizationId, request.query),
  );

  app.get(
    '/api/v1/envelopes/:id',
    {
      ...read,
      schema: {
        summary: 'Get an envelope',
        params: envelopeIdParams,
        response: { 200: envelopeView, ...errorAnswers },
      },
    },
    async (request) => getEnvelope(platform, principalOf(request).organizationId, request.params.id),
  );

  app.post(
    '/api/v1/envelopes/:id/send',
    {
      ...write,
      schema: {
        summary: 'Send a draft',
        params: envelopeIdParams,
        response: { 200: envelopeView, ...errorAnswers },
      },
    },
    async (request) => sendEnvelope(platform, senderOf(request), request.params.id),
  );

  app.post(
    '/api/v1/envelopes/:id/void',
    {
      ...write,
      schema: {
        summary: 'Void an envelope with a reason',
        params: envelopeIdParams,
        body: voidInput,
        response: { 200: envelopeView, ...errorAnswers },
      },
    },
    async (request) => voidEnvelope(platform, senderOf(request), request.params.id, request.body.reason),
  );

  app.post(
    '/api/v1/envelopes/:id/remind',
    {
      ...write,
      schema: {
        summary: 'Remind the recipients whose turn it is',
        params: envelopeIdParams,
        response: { 200: remindedView, ...errorAnswers },
      },
    },
    async (request) => remindEnvelope(platform, senderOf(request), request.params.id),
  );

  app.delete(
    '/api/v1/envelopes/:id',
    {
      ...write,
      schema: {
        summary: 'Delete a draft',
        params: envelopeIdParams,
        response: { 204: z.null().describe('Deleted'), ...errorAnswers },
      },
    },
    async (request, reply) => {
      await deleteDraft(platform, senderOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/envelopes/:id/documents/:documentId',
    {
      ...read,
      schema: {
        summary: 'Download an original document',
        params: documentParams,
        response: pdfAnswer('The PDF as uploaded'),
      },
    },
    async (request, reply) => {
      const { id, documentId } = request.params;
      const envelope = await loadEnvelope(platform.db, principalOf(request).organizationId, id);
      const document = (await loadDocuments(platform.db, envelope.id)).find((d) => d.id === documentId);
      if (!document) throw new SignetError('DOCUMENT_NOT_FOUND', 'No such document in this envelope');
      const bytes = await platform.blobs.get(document.sha256);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${pdfFileName(document.name)}"`)
        .send(bytes);
    },
  );

  app.get(
    '/api/v1/envelopes/:id/download',
    {
      ...read,
      schema: {
        summary: 'Download the sealed PDF of a completed envelope',
        params: envelopeIdParams,
        response: pdfAnswer('The sealed PDF'),
      },
    },
    async (request, reply) => {
      const envelope = await loadEnvelope(
        platform.db,
        principalOf(request).organizationId,
        request.params.id,
      );
      if (envelope.status !== 'completed') {
        throw new SignetError('ENVELOPE_NOT_COMPLETED', `The envelope is ${envelope.status}, not completed`);
      }
      if (envelope.seal_state !== 'done' || !envelope.sealed_sha256) {
        throw new SignetError(
          'ENVELOPE_NOT_SEALED',
          `The completed document is still being sealed (seal state: ${envelope.seal_state}); try again shortly`,
        );
      }
      const bytes = await platform.blobs.get(envelope.sealed_sha256);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${pdfFileName(envelope.title)}"`)
        .send(bytes);
    },
  );

  app.get(
    '/api/v1/envelopes/:id/audit',
    {
      ...read,
      schema: {
        summary: 'The audit trail, with its hash chain checked',
        params: envelopeIdParams,
        response: { 200: auditView, ...errorAnswers },
      },
    },
    async (request) => {
      const envelope = await loadEnvelope(
        platform.db,
        principalOf(request).organizationId,
        request.params.id,
      );
      const verification = await verifyEnvelopeAudit(platform.db, envelope.id);
      return {
        envelopeId: envelope.id,
        verified: verification.ok,
        problems: verification.problems,
        headHash: verification.recordedHead,
        events: verification.checked,
      };
    },
  );

  app.get(
    '/api/v1/envelopes/:id/timeline',
    {
      ...read,
      schema: {
        summary: 'The audit trail in plain words: who did what, when, from which device',
        params: envelopeIdParams,
        querystring: timelineQuery,
        response: { 200: timelineView, ...errorAnswers },
      },
    },
    async (request) => {
      const organizationId = principalOf(request).organizationId;
      const envelope = await loadEnvelope(platform.db, organizationId, request.params.id);
      const language =
        request.query.language ?? (await loadOrganizationRow(platform.db, organizationId)).default_language;
      return {
        envelopeId: envelope.id,
        language,
        entries: await envelopeTimeline(platform.db, envelope, language),
      };
    },
  );

  app.get(
    '/api/v1/envelopes/:id/certificate',
    {
      ...read,
      schema: {
        summary: 'The certificate of completion, sealed like the completed document',
        params: envelopeIdParams,
        response: pdfAnswer('The certificate of completion, with the platform seal'),
      },
    },
    async (request, reply) => {
      const envelope = await loadEnvelope(
        platform.db,
        principalOf(request).organizationId,
        request.params.id,
      );
      const pdf = await sealedCertificate(platform, envelope);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="certificate-${envelope.id}.pdf"`)
        .send(Buffer.from(pdf));
    },
  );

  app.post(
    '/api/v1/envelopes/:id/recipients/:recipientId/signing-url',
    {
      ...write,
      schema: {
        summary: 'A short-lived link for embedded signing',
        params: recipientParams,
        body: signingUrlInput,
        response: { 200: signingUrlView, ...errorAnswers },
      },
    },
    async (request) =>
      createEmbeddedSigningUrl(platform, senderOf(request), request.params.id, request.params.recipientId, {
        returnUrl: request.body?.returnUrl,
      }),
  );
}

/** The documents in base64 (4/3 of their size) and room for the envelope JSON around them. */
const jsonBodyLimit = (requestLimit: number) => Math.ceil((requestLimit * 4) / 3) + 1024 * 1024;

interface UploadSizes {
  /** One document. */
  document: number;
  /** All documents of the request together. */
  request: number;
}

const megabytes = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;

function tooLarge(name: string, limit: number) {
  return new SignetError('PDF_TOO_LARGE', `${name} is larger than the ${megabytes(limit)} limit`);
}

function requestTooLarge(limit: number) {
  return new SignetError(
    'REQUEST_TOO_LARGE',
    `The documents of one request may be ${megabytes(limit)} in all; send fewer or smaller documents`,
  );
}

/**
 * A body that declares more than the documents may take (with room for base64 and the envelope
 * JSON) is refused before a byte of it is read; one that does not declare its length (chunked)
 * is counted as it arrives.
 */
function refuseDeclaredOversize(requestLimit: number) {
  const declaredLimit = jsonBodyLimit(requestLimit);
  return async (request: FastifyRequest) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > declaredLimit) throw requestTooLarge(requestLimit);
  };
}

function readJsonEnvelope(
  parsed: z.infer<typeof jsonEnvelopeInput>,
  sizes: UploadSizes,
): { input: EnvelopeInput; documents: UploadedDocument[] } {
  let total = 0;
  const documents = parsed.documents.map((d) => {
    const bytes = Buffer.from(d.content, 'base64');
    if (bytes.length > sizes.document) throw tooLarge(d.name, sizes.document);
    total += bytes.length;
    if (total > sizes.request) throw requestTooLarge(sizes.request);
    return { name: d.name, bytes };
  });
  const { documents: _omitted, ...input } = parsed;
  return { input, documents };
}

/**
 * Reads one file part chunk by chunk, counting it into the request's running total, and stops
 * reading (413) the moment either limit is passed, instead of buffering the part first.
 */
async function readPartWithin(
  part: { file: AsyncIterable<Buffer> & { truncated: boolean }; filename: string },
  sizes: UploadSizes,
  total: { bytes: number },
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of part.file) {
    length += chunk.length;
    total.bytes += chunk.length;
    if (length > sizes.document) throw tooLarge(part.filename || 'A document', sizes.document);
    if (total.bytes > sizes.request) throw requestTooLarge(sizes.request);
    chunks.push(chunk);
  }
  // @fastify/multipart stops the stream at its own fileSize limit and marks it truncated.
  if (part.file.truncated) throw tooLarge(part.filename || 'A document', sizes.document);
  return Buffer.concat(chunks, length);
}

/** The envelope JSON is small; a part claiming more is not an envelope. */
const ENVELOPE_PART_LIMIT = 1024 * 1024;

/**
 * Multipart: PDF parts in order, plus the envelope JSON in a part named `envelope`, however the
 * client sent it — a plain field (curl -F envelope=<json>), a typed JSON field
 * (`;type=application/json`, which @fastify/multipart has already parsed), or a file part (a
 * browser FormData Blob, Python requests' `files=`, curl -F envelope=@file.json). All three give
 * the same envelope.
 */
async function readMultipartEnvelope(request: FastifyRequest, sizes: UploadSizes) {
  const documents: UploadedDocument[] = [];
  const total = { bytes: 0 };
  const digest = new MultipartDigest();
  let envelopePart: { json: unknown } | { text: string } | undefined;
  const unknownFields: string[] = [];
  const once = () => {
    if (envelopePart !== undefined) {
      throw new SignetError('VALIDATION_FAILED', 'Send the `envelope` part once', [
        { path: '/envelope', message: 'appears more than once' },
      ]);
    }
  };
  try {
    const limits = { fileSize: sizes.document + 1, files: 51, fields: 10, throwFileSizeLimit: false };
    for await (const part of request.parts({ limits })) {
      if (part.fieldname === 'envelope') {
        once();
        if (part.type === 'file') {
          const bytes = await readPartWithin(
            part,
            { document: ENVELOPE_PART_LIMIT, request: Number.POSITIVE_INFINITY },
            { bytes: 0 },
          );
          digest.add(part.fieldname, part.filename, bytes);
          envelopePart = { text: bytes.toString('utf8') };
        } else {
          digest.add(part.fieldname, undefined, part.value);
          envelopePart = typeof part.value === 'string' ? { text: part.value } : { json: part.value };
        }
      } else if (part.type === 'field') {
        unknownFields.push(part.fieldname);
      } else {
        const bytes = await readPartWithin(part, sizes, total);
        digest.add(part.fieldname, part.filename, bytes);
        documents.push({
          name: cleanFileName(part.filename) || `document-${documents.length + 1}.pdf`,
          bytes,
        });
      }
    }
  } catch (error) {
    throw multipartProblem(error);
  }
  if (unknownFields.length > 0) {
    // Unknown input is refused, not ignored: a misspelt `envelope` field must not vanish.
    throw new SignetError(
      'VALIDATION_FAILED',
      'Only PDF file parts and one `envelope` part are accepted',
      unknownFields.map((name) => ({ path: pointer(name), message: 'unknown form field' })),
    );
  }
  if (envelopePart === undefined) {
    throw new SignetError('VALIDATION_FAILED', 'Add a part `envelope` holding the envelope JSON', [
      { path: '/envelope', message: 'missing' },
    ]);
  }
  const json = 'json' in envelopePart ? envelopePart.json : parseEnvelopeText(envelopePart.text);
  return { input: parseInput(envelopeInput, json), documents, digest };
}

function parseEnvelopeText(text: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new SignetError('JSON_INVALID', 'The `envelope` part is not valid JSON', [
      { path: '/envelope', message: 'not valid JSON' },
    ]);
  }
}

/** How long a refused upload's remaining bytes are read and thrown away before the socket closes. */
const LINGER_MS = 2000;

/**
 * The answer to an upload refused halfway goes out at once, but closing the socket on bytes
 * still arriving makes the kernel reset the connection, and a reset can reach the client before
 * the answer does. So the rest is read and discarded (never buffered) for a moment, then a
 * connection still sending is closed — what web servers call a lingering close.
 */
function closeAfterAnswering(request: FastifyRequest): void {
  const body = request.raw;
  body.on('data', () => undefined);
  body.resume();
  // Only a body still arriving by then is cut off: a finished one leaves the connection to the
  // client (it may be kept alive for its next request).
  setTimeout(() => {
    if (!body.complete) body.destroy();
  }, LINGER_MS).unref();
}

/** A malformed or over-limit multipart body is the client's mistake, never a 500. */
function multipartProblem(error: unknown): SignetError {
  if (error instanceof SignetError) return error;
  const code = (error as { code?: string }).code ?? '';
  if (code === 'FST_INVALID_JSON_FIELD_ERROR') {
    return new SignetError('JSON_INVALID', 'The `envelope` part is not valid JSON', [
      { path: '/envelope', message: 'not valid JSON' },
    ]);
  }
  if (['FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT', 'FST_REQ_FILE_TOO_LARGE'].includes(code)) {
    return new SignetError(
      'REQUEST_TOO_LARGE',
      'Too many parts: send up to 50 PDF files and the `envelope` part',
    );
  }
  return new SignetError('MULTIPART_INVALID', 'The multipart body is malformed or incomplete');
}

/** File names become document names: no control characters or unpaired surrogates. */
const cleanFileName = (name: string) =>
  withoutUnstorableText(name)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .slice(0, 255);
