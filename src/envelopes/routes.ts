import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SignetError } from '../errors.ts';
import { verifyEnvelopeAudit } from '../evidence/auditLog.ts';
import { renderCertificateOfCompletion } from '../evidence/certificatePdf.ts';
import { principalOf } from '../http/apiKeyAuth.ts';
import { parseInput, withoutUnstorableText } from '../http/parseInput.ts';
import type { Platform } from '../platform.ts';
import { loadDocuments, loadEnvelope } from './aggregate/store.ts';
import { completionRecord } from './completionRecord.ts';
import { pdfFileName } from './records.ts';
import {
  type EnvelopeInput,
  envelopeInput,
  jsonEnvelopeInput,
  listQuery,
  sendQuery,
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

const idParams = z.object({ id: z.string() });
const documentParams = z.object({ id: z.string(), documentId: z.string() });
const recipientParams = z.object({ id: z.string(), recipientId: z.string() });

function senderOf(request: FastifyRequest): SenderContext {
  const principal = principalOf(request);
  return {
    organizationId: principal.organizationId,
    apiKeyId: principal.apiKeyId,
    who: {
      actor: principal.actor,
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    },
  };
}

/** The envelope API (SPEC §A, §H): HTTP only — parse, call the service, shape the reply. */
export async function envelopeRoutes(app: FastifyInstance, platform: Platform) {
  const read = { config: { scope: 'envelopes:read' as const } };
  const write = { config: { scope: 'envelopes:write' as const } };

  const sizes = { document: platform.config.maxUploadBytes, request: platform.config.maxRequestBytes };

  const createOptions = {
    ...write,
    onRequest: refuseDeclaredOversize(sizes.request),
    // Base64 inflates documents by 4/3; the limits on the documents themselves are checked
    // after decoding (readJsonEnvelope) or while streaming (readMultipartEnvelope).
    bodyLimit: jsonBodyLimit(sizes.request),
  };
  app.post('/api/v1/envelopes', createOptions, async (request, reply) => {
    const { send } = parseInput(sendQuery, request.query);
    const { input, documents } = request.isMultipart()
      ? await readMultipartEnvelope(request, sizes).catch((error: unknown) => {
          if (error instanceof SignetError && error.status === 413) closeAfterAnswering(request);
          throw error;
        })
      : readJsonEnvelope(request.body, sizes);
    const envelope = await createEnvelope(platform, senderOf(request), input, documents, {
      send: send === 'true',
    });
    return reply.status(201).header('location', `/api/v1/envelopes/${envelope.id}`).send(envelope);
  });

  app.get('/api/v1/envelopes', read, async (request) => {
    return listEnvelopes(platform, principalOf(request).organizationId, parseInput(listQuery, request.query));
  });

  app.get('/api/v1/envelopes/:id', read, async (request) => {
    const { id } = parseInput(idParams, request.params);
    return getEnvelope(platform, principalOf(request).organizationId, id);
  });

  app.post('/api/v1/envelopes/:id/send', write, async (request) => {
    const { id } = parseInput(idParams, request.params);
    return sendEnvelope(platform, senderOf(request), id);
  });

  app.post('/api/v1/envelopes/:id/void', write, async (request) => {
    const { id } = parseInput(idParams, request.params);
    const { reason } = parseInput(voidInput, request.body ?? {});
    return voidEnvelope(platform, senderOf(request), id, reason);
  });

  app.post('/api/v1/envelopes/:id/remind', write, async (request) => {
    const { id } = parseInput(idParams, request.params);
    return remindEnvelope(platform, senderOf(request), id);
  });

  app.delete('/api/v1/envelopes/:id', write, async (request, reply) => {
    const { id } = parseInput(idParams, request.params);
    await deleteDraft(platform, senderOf(request), id);
    return reply.status(204).send();
  });

  app.get('/api/v1/envelopes/:id/documents/:documentId', read, async (request, reply) => {
    const { id, documentId } = parseInput(documentParams, request.params);
    const envelope = await loadEnvelope(platform.db, principalOf(request).organizationId, id);
    const document = (await loadDocuments(platform.db, envelope.id)).find((d) => d.id === documentId);
    if (!document) throw new SignetError('DOCUMENT_NOT_FOUND', 'No such document in this envelope');
    const bytes = await platform.blobs.get(document.sha256);
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="${pdfFileName(document.name)}"`)
      .send(bytes);
  });

  app.get('/api/v1/envelopes/:id/download', read, async (request, reply) => {
    const { id } = parseInput(idParams, request.params);
    const envelope = await loadEnvelope(platform.db, principalOf(request).organizationId, id);
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
  });

  app.get('/api/v1/envelopes/:id/audit', read, async (request) => {
    const { id } = parseInput(idParams, request.params);
    const envelope = await loadEnvelope(platform.db, principalOf(request).organizationId, id);
    const verification = await verifyEnvelopeAudit(platform.db, envelope.id);
    return {
      envelopeId: envelope.id,
      verified: verification.ok,
      problems: verification.problems,
      headHash: verification.recordedHead,
      events: verification.checked,
    };
  });

  app.get('/api/v1/envelopes/:id/certificate', read, async (request, reply) => {
    const { id } = parseInput(idParams, request.params);
    const envelope = await loadEnvelope(platform.db, principalOf(request).organizationId, id);
    const results = envelope.sealed_sha256
      ? [{ label: 'Sealed document', sha256: envelope.sealed_sha256 }]
      : [];
    const pdf = await renderCertificateOfCompletion(await completionRecord(platform, envelope, results));
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="certificate-${envelope.id}.pdf"`)
      .send(Buffer.from(pdf));
  });

  app.post('/api/v1/envelopes/:id/recipients/:recipientId/signing-url', write, async (request) => {
    const { id, recipientId } = parseInput(recipientParams, request.params);
    return createEmbeddedSigningUrl(platform, senderOf(request), id, recipientId);
  });
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
  body: unknown,
  sizes: UploadSizes,
): { input: EnvelopeInput; documents: UploadedDocument[] } {
  const parsed = parseInput(jsonEnvelopeInput, body);
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

/** Multipart: PDF parts in order, plus a JSON part named `envelope`. */
async function readMultipartEnvelope(request: FastifyRequest, sizes: UploadSizes) {
  const documents: UploadedDocument[] = [];
  const total = { bytes: 0 };
  let envelopeJson: string | undefined;
  try {
    const limits = { fileSize: sizes.document + 1, files: 50, fields: 10, throwFileSizeLimit: false };
    for await (const part of request.parts({ limits })) {
      if (part.type === 'file') {
        const bytes = await readPartWithin(part, sizes, total);
        documents.push({
          name: cleanFileName(part.filename) || `document-${documents.length + 1}.pdf`,
          bytes,
        });
      } else if (part.fieldname === 'envelope') {
        if (envelopeJson !== undefined) {
          throw new SignetError('VALIDATION_FAILED', 'Send the `envelope` part once', [
            { path: 'envelope', message: 'appears more than once' },
          ]);
        }
        envelopeJson = String(part.value);
      }
    }
  } catch (error) {
    throw multipartProblem(error);
  }
  if (envelopeJson === undefined) {
    throw new SignetError('VALIDATION_FAILED', 'Add a form field `envelope` holding the envelope JSON', [
      { path: 'envelope', message: 'missing' },
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(envelopeJson);
  } catch {
    throw new SignetError('JSON_INVALID', 'The `envelope` part is not valid JSON', [
      { path: 'envelope', message: 'not valid JSON' },
    ]);
  }
  return { input: parseInput(envelopeInput, json), documents };
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
  if (['FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT', 'FST_REQ_FILE_TOO_LARGE'].includes(code)) {
    return new SignetError(
      'REQUEST_TOO_LARGE',
      'Too many parts: send up to 50 PDF files and the `envelope` field',
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
