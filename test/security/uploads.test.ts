import assert from 'node:assert/strict';
import { connect } from 'node:net';
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

  // A raw socket, because an HTTP client library may drop an answer that arrives while it is
  // still writing (a failed write destroys its socket before the answer is parsed). This client
  // reads the answer as soon as it comes, stops sending, and closes once it has read it all.
  const { hostname, port } = new URL(signet.url);
  return new Promise((resolve, reject) => {
    let written = 0;
    let writtenWhenAnswered: number | undefined;
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = connect(Number(port), hostname);
    const finish = () => {
      const answer = parseAnswer(received);
      if (!answer || settled) return;
      settled = true;
      socket.destroy();
      resolve({ ...answer, writtenWhenAnswered: writtenWhenAnswered ?? written });
    };
    socket.on('data', (chunk: Buffer) => {
      writtenWhenAnswered ??= written;
      received = Buffer.concat([received, chunk]);
      finish();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!settled) reject(new Error(`no whole HTTP answer (${received.length} bytes)`));
    });
    socket.write(
      `POST /api/v1/envelopes HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${apiKey}\r\n` +
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const writeNext = () => {
      if (socket.destroyed) return;
      if (writtenWhenAnswered !== undefined) return;
      if (written >= payload.length) {
        socket.write('0\r\n\r\n');
        return;
      }
      const chunk = payload.subarray(written, written + 64 * 1024);
      written += chunk.length;
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      socket.write('\r\n', () => setImmediate(writeNext));
    };
    writeNext();
  });
}

/** Status and JSON body of an HTTP/1.1 answer once all of it (by Content-Length) has arrived. */
function parseAnswer(bytes: Buffer): { status: number; body: Sent['body'] } | undefined {
  const headerEnd = bytes.indexOf('\r\n\r\n');
  if (headerEnd < 0) return undefined;
  const head = bytes.subarray(0, headerEnd).toString('latin1');
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
  const body = bytes.subarray(headerEnd + 4);
  if (!(body.length >= length)) return undefined;
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
    body: JSON.parse(body.subarray(0, length).toString('utf8') || '{}'),
  };
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
