import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { sealWithDevPki } from '../../test/support/devPkiSeals.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { registerContract } from '../http/contract.ts';
import { handleError, handleNotFound } from '../http/problem.ts';
import { memoryRateLimitStore } from '../http/rateLimitStores.ts';
import { registerRateLimits } from '../http/rateLimits.ts';
import { DEFAULT_PDF_LIMITS } from '../pdf/limits/pdfBudget.ts';
import { sealPdf } from '../pdf/seal.ts';
import { loadOrCreateDevPki } from '../pki/devCa.ts';
import type { Platform } from '../platform.ts';
import { createPdfWorkPool, type PdfWork } from '../workers/pdfWorkPool.ts';
import type { VerificationReport } from './report.ts';
import { verifyRoutes } from './routes.ts';

/*
 * The public endpoint as a Fastify plugin, driven with app.inject(): the verify routes alone,
 * the error handler every route shares, and a real (in-memory PGlite) database for the
 * sealed-document lookup.
 */

describe('POST /api/v1/verify', () => {
  let work: string;
  let db: Database;
  let app: FastifyInstance;
  let sealed: Uint8Array;
  let archived: Uint8Array;
  let pdfWork: PdfWork;
  const envelopeId = randomUUID();

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'signet-verify-http-'));
    const pki = await loadOrCreateDevPki(join(work, 'pki'));
    sealed = await sealPdf(await makePdf(), pki.sealing);
    archived = await sealWithDevPki(pki, 'B-LTA');
    db = await openDatabase({ kind: 'pglite' });
    await migrate(db);
    const organizationId = randomUUID();
    await db.query(`insert into organizations (id, name) values ($1, 'Acme')`, [organizationId]);
    await db.query(
      `insert into envelopes (id, organization_id, title, status, seal_state, sealed_at, sealed_sha256)
       values ($1, $2, 'Contract', 'completed', 'done', now(), $3)`,
      [envelopeId, organizationId, createHash('sha256').update(sealed).digest('hex')],
    );
    // Every sealed version is listed, the seal's first (envelopes/aggregate/store.ts#recordSealed).
    await db.query(
      `insert into sealed_versions (envelope_id, version, sha256, size, reason) values ($1, 1, $2, $3, 'seal')`,
      [envelopeId, createHash('sha256').update(sealed).digest('hex'), sealed.length],
    );
    pdfWork = createPdfWorkPool({
      threads: 1,
      timeoutMs: 60_000,
      memoryMb: 512,
      queueLimit: 16,
      limits: DEFAULT_PDF_LIMITS,
    });
    const platform = {
      config: { maxUploadBytes: 1024 * 1024 },
      db,
      pki: { rootPem: pki.rootPem },
      pdfWork,
    } as unknown as Platform;
    app = Fastify();
    app.setErrorHandler(handleError);
    app.setNotFoundHandler(handleNotFound);
    await app.register(multipart);
    // The route's zod schemas need the contract's compilers, as in the assembled server.
    await registerContract(app, { version: 'test', publicUrl: 'http://127.0.0.1' });
    registerRateLimits(app, memoryRateLimitStore(), { apiPerMinute: 600, publicPerMinute: 1200 });
    await app.register(async (scope) => verifyRoutes(scope, platform, { ratePerMinute: 8 }));
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await pdfWork?.close();
    await db?.close();
    await rm(work, { recursive: true, force: true });
  });

  const post = (body: Buffer | string, contentType = 'application/pdf', ip = '192.0.2.1', query = '') =>
    app.inject({
      method: 'POST',
      url: `/api/v1/verify${query}`,
      headers: { 'content-type': contentType },
      payload: body,
      remoteAddress: ip,
    });

  it('answers the report for a PDF sent as the body, without an API key, and says Signet sealed it', async () => {
    const response = await post(Buffer.from(sealed));
    assert.equal(response.statusCode, 200, response.body);
    const report = response.json() as VerificationReport;
    assert.equal(report.verdict, 'valid');
    assert.deepEqual(report.sealedBySignet, { envelopeId });
    assert.equal(report.signatures[0]?.chain?.trusted, true);
  });

  it('accepts the PDF as a multipart part named file', async () => {
    const boundary = 'signetboundary';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
      ),
      Buffer.from(sealed),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await post(body, `multipart/form-data; boundary=${boundary}`, '192.0.2.2');
    assert.equal(response.statusCode, 200, response.body);
    assert.equal((response.json() as VerificationReport).verdict, 'valid');
  });

  it('validates as of the instant in ?at=, and says which instant that was', async () => {
    const later = await post(
      Buffer.from(archived),
      'application/pdf',
      '192.0.2.5',
      '?at=2040-01-01T00:00:00Z',
    );
    assert.equal(later.statusCode, 200, later.body);
    const report = later.json() as VerificationReport;
    assert.equal(report.validationTime, '2040-01-01T00:00:00.000Z');
    assert.equal(report.verdict, 'indeterminate');
    assert.equal(report.findings[0]?.code, 'ARCHIVE_TIMESTAMP_EXPIRED');

    const now = (
      await post(Buffer.from(archived), 'application/pdf', '192.0.2.5')
    ).json() as VerificationReport;
    assert.equal(now.verdict, 'valid', JSON.stringify(now.findings));
    assert.ok(Math.abs(Date.parse(now.validationTime) - Date.now()) < 60_000);

    const invalid = await post(Buffer.from(archived), 'application/pdf', '192.0.2.5', '?at=next-year');
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(invalid.json().code, 'VALIDATION_FAILED');
    assert.match(JSON.stringify(invalid.json().errors), /at/);
  });

  it('says sealedBySignet null for a file this installation did not seal', async () => {
    const tampered = Buffer.from(sealed);
    tampered[12] = (tampered[12] ?? 0) ^ 1;
    const report = (await post(tampered, 'application/pdf', '192.0.2.3')).json() as VerificationReport;
    assert.equal(report.verdict, 'invalid');
    assert.equal(report.sealedBySignet, null);
  });

  it('answers problem+json 400 for what is not a PDF, 415 for other media types, 413 beyond the size limit', async () => {
    const notPdf = await post('hello', 'application/pdf', '192.0.2.4');
    assert.equal(notPdf.statusCode, 400);
    assert.equal(notPdf.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(notPdf.json().code, 'PDF_NOT_PDF');
    const text = await post('hello', 'text/csv', '192.0.2.4');
    assert.equal(text.statusCode, 415);
    const huge = await post(Buffer.alloc(1024 * 1024 + 10, 0x20), 'application/pdf', '192.0.2.4');
    assert.equal(huge.statusCode, 413, huge.body);
  });

  it('limits each client IP, answering 429 problem+json once the limit is spent', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++)
      statuses.push((await post('x', 'application/pdf', '198.51.100.7')).statusCode);
    assert.deepEqual(statuses.slice(0, 8), Array(8).fill(400));
    assert.equal(statuses[8], 429);
    const limited = await post('x', 'application/pdf', '198.51.100.7');
    assert.equal(limited.json().code, 'RATE_LIMITED');
    assert.equal(
      (await post('x', 'application/pdf', '198.51.100.8')).statusCode,
      400,
      'another client is not limited',
    );
  });
});
