import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { envelopeJson } from '../support/apiClient.ts';
import { dssBomb, manyRevisions, nestingBomb, objectStreamArrayBomb } from '../support/pdfBombs.ts';
import {
  createTestOrganization,
  databaseKinds,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * Finding 1 of the security review: a 21 kB PDF whose object stream inflates to 20 MB, sent to
 * the public verify route, took 15 s to answer while /healthz waited 14 s. Each bomb goes
 * through the real HTTP server (a socket, not app.inject), to every PDF entry point.
 */

const verify = (signet: TestSignet, pdf: Buffer) =>
  fetch(`${signet.url}/api/v1/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: pdf,
  });

for (const kind of databaseKinds()) {
  describe(`decompression bombs on ${kind}`, () => {
    let signet: TestSignet;
    let apiKey: string;

    before(async () => {
      signet = await startTestSignet(kind);
      apiKey = (await createTestOrganization(signet)).apiKey;
    });
    after(() => signet?.stop());

    it('answers the 21 kB object-stream bomb on the public verify route with 422 PDF_TOO_COMPLEX', async () => {
      const bomb = objectStreamArrayBomb(20);
      assert.ok(bomb.length < 40_000);
      const response = await verify(signet, bomb);
      const problem = (await response.json()) as { code: string; detail: string };
      assert.equal(response.status, 422);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(problem.code, 'PDF_TOO_COMPLEX');
      assert.match(problem.detail, /more than 2,000,000 objects/);
    });

    it('refuses the same bomb as an upload, naming the document, and stores nothing', async () => {
      const response = await fetch(`${signet.url}/api/v1/envelopes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(envelopeJson(objectStreamArrayBomb(20))),
      });
      const problem = (await response.json()) as { code: string; errors: { path: string }[] };
      assert.equal(response.status, 422);
      assert.equal(problem.code, 'PDF_TOO_COMPLEX');
      assert.equal(problem.errors[0]?.path, '/documents/0');
      const [count] = await signet.platform.db.query<{ n: number }>(
        'select count(*)::int as n from envelopes',
      );
      assert.equal(count?.n, 0);
    });

    it('refuses a bomb in the Document Security Store, deep nesting and too many revisions', async () => {
      for (const [pdf, detail] of [
        [dssBomb(64), /a compressed stream inflates to more than 32 MB/],
        [nestingBomb(100_000), /nested more than 500 levels/],
        [manyRevisions(100), /101 revisions; at most 64/],
      ] as const) {
        const response = await verify(signet, pdf);
        const problem = (await response.json()) as { code: string; detail: string };
        assert.deepEqual([response.status, problem.code], [422, 'PDF_TOO_COMPLEX']);
        assert.match(problem.detail, detail);
      }
    });
  });

  describe(`the server while the worst allowed PDF is processed, on ${kind}`, () => {
    let signet: TestSignet;

    before(async () => {
      // Limits raised so that a bomb is allowed and takes seconds: the worst case of a
      // deployment that accepts more than the defaults.
      signet = await startTestSignet(kind, { PDF_MAX_OBJECTS: '20000000', PDF_WORK_MEMORY_MB: '4096' });
    });
    after(() => signet?.stop());

    it('keeps answering /healthz and other requests while the verification runs on a worker', async () => {
      let verifying = true;
      const verification = verify(signet, objectStreamArrayBomb(6)).then(async (response) => {
        verifying = false;
        return response;
      });
      // Ordering, not timing: each health check must come back while the bomb is still being
      // verified. On the event loop, the first one would wait for the whole verification.
      let answeredDuring = 0;
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const health = await fetch(`${signet.url}/healthz`);
        assert.equal(health.status, 200);
        if (verifying) answeredDuring += 1;
      }
      const root = await fetch(`${signet.url}/pki/root.pem`);
      assert.equal(root.status, 200);
      assert.equal(answeredDuring, 5, 'every health check was answered while the verification was running');
      const response = await verification;
      assert.equal(response.status, 200, 'the allowed document is verified in the end');
      const report = (await response.json()) as { signatures: unknown[] };
      assert.deepEqual(report.signatures, []);
    });
  });
}
