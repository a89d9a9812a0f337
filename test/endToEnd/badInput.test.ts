import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { hasTool } from '../peers/pdfValidators.ts';
import { type ApiClient, apiClient, envelopeJson, latestTokenFor } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/** Bad input gets a 4xx problem+json with a specific code, and nothing is stored. */
for (const kind of databaseKinds()) {
  describe(`bad input on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let pdf: Buffer;

    before(async () => {
      signet = await startTestSignet(kind, { MAX_UPLOAD_MB: '1' });
      api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
      pdf = await makePdf();
    });
    after(() => signet?.stop());

    const countRows = async () => {
      const [row] = await signet.platform.db.query<{ envelopes: number; documents: number; audit: number }>(
        `select (select count(*)::int from envelopes) as envelopes, (select count(*)::int from documents) as documents,
                (select count(*)::int from audit_events) as audit`,
      );
      return row!;
    };

    const expectRejected = async (body: unknown, status: number, code: string, path?: string) => {
      const before = await countRows();
      const response = await api.post<{ code: string; status: number; errors?: { path: string }[] }>(
        '/api/v1/envelopes',
        body,
      );
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.equal(response.body.code, code);
      assert.equal(response.body.status, status);
      if (path)
        assert.ok(
          response.body.errors?.some((e) => e.path === path),
          JSON.stringify(response.body.errors),
        );
      assert.deepEqual(await countRows(), before, 'nothing was stored');
    };

    const asDocument = (bytes: Buffer) =>
      envelopeJson(pdf, { documents: [{ name: 'x.pdf', content: bytes.toString('base64') }] });

    it('rejects a file that is not a PDF', () =>
      expectRejected(asDocument(Buffer.from('hello, not a pdf at all')), 400, 'PDF_NOT_PDF', '/documents/0'));
    it('rejects an empty file', async () => {
      const response = await api.post<{ code: string }>('/api/v1/envelopes', asDocument(Buffer.alloc(0)));
      assert.equal(response.status, 400);
      assert.ok(['PDF_EMPTY', 'VALIDATION_FAILED'].includes(response.body.code), response.body.code);
    });
    it('rejects a damaged (truncated) PDF', () =>
      expectRejected(asDocument(pdf.subarray(0, 200)), 422, 'PDF_DAMAGED'));
    it('rejects an encrypted PDF', async (t) => {
      if (!hasTool('qpdf')) return t.skip('apt-get install -y qpdf');
      const dir = mkdtempSync(join(tmpdir(), 'signet-enc-'));
      writeFileSync(join(dir, 'plain.pdf'), pdf);
      execFileSync('qpdf', [
        '--encrypt',
        'user-pw',
        'owner-pw',
        '256',
        '--',
        join(dir, 'plain.pdf'),
        join(dir, 'locked.pdf'),
      ]);
      const encrypted = readFileSync(join(dir, 'locked.pdf'));
      rmSync(dir, { recursive: true, force: true });
      await expectRejected(asDocument(encrypted), 422, 'PDF_ENCRYPTED');
    });
    it('rejects a document over the size limit', async () => {
      const doc = await PDFDocument.load(pdf);
      // Random text does not compress, so the file really is over the 1 MB limit set above.
      doc.setSubject(randomBytes(900_000).toString('base64'));
      const big = Buffer.from(await doc.save());
      assert.ok(big.length > 1024 * 1024);
      await expectRejected(asDocument(big), 413, 'PDF_TOO_LARGE');
    });
    it('rejects a field off the page', () =>
      expectRejected(
        envelopeJson(pdf, {
          fields: [
            {
              recipient: 'sam@client.test',
              type: 'signature',
              page: 1,
              x: 500,
              y: 800,
              width: 200,
              height: 100,
            },
          ],
        }),
        422,
        'FIELD_OFF_PAGE',
        '/fields/0',
      ));
    it('rejects a field on a page the document does not have', () =>
      expectRejected(
        envelopeJson(pdf, {
          fields: [
            { recipient: 'sam@client.test', type: 'signature', page: 7, x: 5, y: 5, width: 20, height: 10 },
          ],
        }),
        422,
        'FIELD_OFF_PAGE',
        '/fields/0/page',
      ));
    it('rejects a field for an unknown recipient', () =>
      expectRejected(
        envelopeJson(pdf, {
          fields: [
            {
              recipient: 'nobody@client.test',
              type: 'signature',
              page: 1,
              x: 5,
              y: 5,
              width: 20,
              height: 10,
            },
          ],
        }),
        422,
        'FIELD_UNKNOWN_RECIPIENT',
        '/fields/0/recipient',
      ));
    it('names every bad field of a malformed request', async () => {
      const response = await api.post<{ code: string; errors: { path: string }[] }>('/api/v1/envelopes', {
        title: '',
        recipients: [{ name: 'X', email: 'not-an-email', role: 'boss' }],
        documents: [],
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.code, 'VALIDATION_FAILED');
      const paths = response.body.errors.map((e) => e.path).sort();
      for (const expected of ['/documents', '/recipients/0/email', '/recipients/0/role', '/title']) {
        assert.ok(paths.includes(expected), `${expected} in ${paths.join(', ')}`);
      }
    });
    it('rejects a body that is not JSON', async () => {
      const response = await signet.app.inject({
        method: 'POST',
        url: '/api/v1/envelopes',
        headers: {
          authorization: `Bearer ${(await createTestOrganization(signet, 'J')).apiKey}`,
          'content-type': 'application/json',
        },
        payload: '{"title": ',
      });
      assert.equal(response.statusCode, 400);
      assert.equal(JSON.parse(response.body).code, 'JSON_INVALID');
    });
    it('rejects sending at once when a signer has no signature field, and stores no draft', async () => {
      const before = await countRows();
      const response = await api.post<{ code: string }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf, { fields: [] }),
      );
      assert.equal(response.status, 422);
      assert.equal(response.body.code, 'SIGNER_WITHOUT_SIGNATURE_FIELD');
      assert.deepEqual(await countRows(), before);
    });

    it('rejects text no database can store — NUL and unpaired surrogates — naming the field', async () => {
      await expectRejected(envelopeJson(pdf, { title: 'a\u0000b' }), 400, 'TEXT_INVALID', '/title');
      await expectRejected(
        envelopeJson(pdf, { recipients: [{ name: 'x\ud800y', email: 'sam@client.test' }] }),
        400,
        'TEXT_INVALID',
        '/recipients/0/name',
      );
    });

    const multipart = (body: string, boundary = 'XyZ') =>
      signet.app.inject({
        method: 'POST',
        url: '/api/v1/envelopes',
        headers: {
          authorization: api.authorization,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        payload: body,
      });
    const part = (name: string, value: string, filename?: string) =>
      `--XyZ\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n${value}\r\n`;
    const envelopePart = JSON.stringify({
      title: 'Multipart',
      recipients: [{ name: 'Sam', email: 'sam@client.test' }],
    });

    it('answers malformed multipart bodies with 400, never a server error', async () => {
      const noBoundary = await signet.app.inject({
        method: 'POST',
        url: '/api/v1/envelopes',
        headers: { authorization: api.authorization, 'content-type': 'multipart/form-data' },
        payload: 'xx',
      });
      assert.equal(noBoundary.statusCode, 400);
      assert.equal(JSON.parse(noBoundary.body).code, 'MULTIPART_INVALID');
      const cut = await multipart(
        `${part('envelope', envelopePart)}--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7 and then nothing`,
      );
      assert.equal(cut.statusCode, 400);
      assert.equal(JSON.parse(cut.body).code, 'MULTIPART_INVALID');
    });

    it('refuses a multipart body with too many form fields, or the envelope twice', async () => {
      const many = Array.from({ length: 30 }, (_, i) => part(`x${i}`, 'y')).join('');
      const tooMany = await multipart(`${part('envelope', envelopePart)}${many}--XyZ--\r\n`);
      assert.equal(tooMany.statusCode, 413);
      assert.equal(JSON.parse(tooMany.body).code, 'REQUEST_TOO_LARGE');
      const twice = await multipart(
        `${part('envelope', envelopePart)}${part('envelope', envelopePart)}--XyZ--\r\n`,
      );
      assert.equal(twice.statusCode, 400);
      assert.deepEqual(JSON.parse(twice.body).errors, [
        { path: '/envelope', message: 'appears more than once' },
      ]);
    });

    it('answers a text/plain body with 415', async () => {
      const response = await signet.app.inject({
        method: 'POST',
        url: '/api/v1/envelopes',
        headers: { authorization: api.authorization, 'content-type': 'text/plain' },
        payload: 'hello',
      });
      assert.equal(response.statusCode, 415);
      assert.equal(JSON.parse(response.body).code, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers unusable URLs with problem+json', async () => {
      for (const url of [`/api/v1/envelopes/${'1'.repeat(1000)}`, '/api/v1/signing/%E0%A4%A']) {
        const response = await signet.app.inject({
          method: 'GET',
          url,
          headers: { authorization: api.authorization },
        });
        assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${url}: ${response.statusCode}`);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/, url);
        assert.ok(JSON.parse(response.body).code, url);
      }
    });

    it('refuses to send an envelope in which nobody acts', async () => {
      const ccOnly = envelopeJson(pdf, {
        recipients: [{ name: 'Copy', email: 'copy@client.test', role: 'cc' }],
        fields: [],
      });
      const before = await countRows();
      const atOnce = await api.post<{ code: string }>('/api/v1/envelopes?send=true', ccOnly);
      assert.equal(atOnce.status, 422);
      assert.equal(atOnce.body.code, 'NO_ACTIONABLE_RECIPIENT');
      assert.deepEqual(await countRows(), before);
    });

    describe('wrong transitions', () => {
      it('refuses to send twice, to void a completed envelope, and to sign a voided one', async () => {
        const created = await api.post<{ id: string }>('/api/v1/envelopes?send=true', envelopeJson(pdf));
        assert.equal(created.status, 201);
        const again = await api.post<{ code: string }>(`/api/v1/envelopes/${created.body.id}/send`);
        assert.equal(again.status, 409);
        assert.equal(again.body.code, 'ENVELOPE_ALREADY_SENT');

        const token = await latestTokenFor(api, 'sam@client.test');
        const voided = await api.post<{ status: string }>(`/api/v1/envelopes/${created.body.id}/void`, {
          reason: 'wrong terms',
        });
        assert.equal(voided.status, 200);
        assert.equal(voided.body.status, 'voided');
        const signer = apiClient(signet.app);
        const consent = await signer.post<{ code: string }>(`/api/v1/signing/${token}/consent`);
        assert.equal(consent.status, 410);
        assert.equal(consent.body.code, 'SIGNING_LINK_REVOKED');
        const voidAgain = await api.post<{ code: string }>(`/api/v1/envelopes/${created.body.id}/void`, {
          reason: 'again',
        });
        assert.equal(voidAgain.status, 409);
        assert.equal(voidAgain.body.code, 'ENVELOPE_NOT_VOIDABLE');
        const del = await api.delete<{ code: string }>(`/api/v1/envelopes/${created.body.id}`);
        assert.equal(del.status, 409);
        assert.equal(del.body.code, 'ENVELOPE_NOT_DRAFT');
      });
    });

    it('rejects forged and malformed signing tokens alike', async () => {
      const signer = apiClient(signet.app);
      for (const token of ['abc', 'A'.repeat(43), '../../etc/passwd']) {
        const response = await signer.get<{ code: string }>(`/api/v1/signing/${encodeURIComponent(token)}`);
        assert.equal(response.status, 404);
        assert.equal(response.body.code, 'SIGNING_LINK_INVALID');
      }
    });
  });
}
