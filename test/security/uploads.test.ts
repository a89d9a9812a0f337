import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * Finding 8 of the security review: up to 50 parts of 50 MB each were buffered in memory per
 * request. Here one document may be 2 MB and a request's documents 3 MB in all; the server must
 * refuse with 413 as soon as either is passed — while the client is still sending.
 */

const MiB = 1024 * 1024;
const BOUNDARY = 'signet-upload-test';

interface Sent {
  status: number;
  body: { code?: string; detail?: string };
  /** Bytes of the body the client had written when the answer came. */
  writtenWhenAnswered: number;
}

/**
 * Streams a multipart envelope (the JSON part, then `parts` PDF-sized parts) in 64 KiB chunks
 * with Transfer-Encoding: chunked (no Content-Length to refuse up front), and stops writing as
 * soon as the server answers.
 */
async function streamUpload(signet: TestSignet, apiKey: string, parts: number[]): Promise<Sent> {
  const pdf = await makePdf();
  const envelope = JSON.stringify({
    title: 'Big',
    recipients: [{ name: 'Sam', email: 'sam@upload.test' }],
  });
  const chunks: Buffer[] = [
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="envelope"\r\n\r\n${envelope}\r\n`,
      'latin1',
    ),
  ];
  parts.forEach((size, index) => {
    // 0 stands for the PDF itself; other sizes are the PDF padded with spaces to that size.
    const body = size === 0 ? pdf : Buffer.alloc(size, 0x20);
    if (size > 0) pdf.copy(body, 0, 0, Math.min(pdf.length, size));
    chunks.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="doc-${index}.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
        'latin1',
      ),
      body,
      Buffer.from('\r\n', 'latin1'),
    );
  });
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`, 'latin1'));
  const payload = Buffer.concat(chunks);

  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const outgoing = request(
      `${signet.url}/api/v1/envelopes`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          'transfer-encoding': 'chunked',
        },
      },
      (response) => {
        answered = true;
        const writtenWhenAnswered = written;
        const received: Buffer[] = [];
        response.on('data', (chunk: Buffer) => received.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(received).toString('utf8') || '{}'),
            writtenWhenAnswered,
          }),
        );
      },
    );
    outgoing.on('error', (error) => (answered ? undefined : reject(error)));
    const writeNext = () => {
      if (answered || written >= payload.length) {
        outgoing.end();
        return;
      }
      const chunk = payload.subarray(written, written + 64 * 1024);
      written += chunk.length;
      outgoing.write(chunk, () => setImmediate(writeNext));
    };
    writeNext();
  });
}

for (const kind of databaseKinds()) {
  describe(`upload totals on ${kind}`, () => {
    let signet: TestSignet;
    let apiKey: string;

    before(async () => {
      signet = await startTestSignet(kind, { MAX_UPLOAD_MB: '2', MAX_REQUEST_MB: '3' });
      apiKey = (await createTestOrganization(signet)).apiKey;
    });
    after(() => signet?.stop());

    it('refuses documents over the request total with 413 while they are still arriving, storing nothing', async () => {
      // Five documents of 1.5 MB: each is allowed, together they are 7.5 MB against 3 MB.
      const sent = await streamUpload(
        signet,
        apiKey,
        [1.5, 1.5, 1.5, 1.5, 1.5].map((mb) => mb * MiB),
      );
      assert.equal(sent.status, 413);
      assert.equal(sent.body.code, 'REQUEST_TOO_LARGE');
      assert.ok(
        sent.writtenWhenAnswered < 6 * MiB,
        `answered after ${sent.writtenWhenAnswered} of ~7.5 MB: the rest was never needed`,
      );
      const [count] = await signet.platform.db.query<{ n: number }>(
        'select count(*)::int as n from envelopes',
      );
      assert.equal(count?.n, 0);
    });

    it('refuses one document over the per-document limit with 413 PDF_TOO_LARGE', async () => {
      const sent = await streamUpload(signet, apiKey, [2.5 * MiB]);
      assert.equal(sent.status, 413);
      assert.equal(sent.body.code, 'PDF_TOO_LARGE');
    });

    it('refuses a body that declares more than the limit before reading it', async () => {
      const response = await signet.app.inject({
        method: 'POST',
        url: '/api/v1/envelopes',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'content-length': String(50 * MiB),
        },
        payload: '{}',
      });
      assert.equal(response.statusCode, 413);
    });

    it('refuses a large JSON body on a public route instead of parsing it on the event loop', async () => {
      const response = await signet.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'a@b.test', password: 'x'.repeat(3 * MiB) }),
        remoteAddress: '198.51.100.77',
      });
      assert.equal(response.statusCode, 413);
      assert.equal((response.json() as { code: string }).code, 'REQUEST_TOO_LARGE');
    });

    it('still accepts documents within both limits, streamed the same way', async () => {
      const sent = await streamUpload(signet, apiKey, [0, 0]);
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
    });
  });
}
