import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import { loggerOptions } from '../../src/http/server.ts';
import { type RunningSignet, startSignet } from '../../src/main.ts';
import { apiClient, envelopeJson, latestTokenFor } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { createTestOrganization, freePort, pgliteTemplate } from '../support/signetHarness.ts';

/** Logs carry request ids but never API keys or signing tokens (SPEC §L). */
describe('what the logs contain', () => {
  const lines: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-logs-'));
  let signet: RunningSignet;

  before(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const port = await freePort();
    signet = await startSignet(
      loadConfig({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'test' }),
      { logger: pino(loggerOptions('info'), sink), pgliteTemplate: await pgliteTemplate(), bootstrap: false },
    );
  });
  after(async () => {
    await signet?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs each request with its id, and neither the API key nor the signing token', async () => {
    const { apiKey } = await createTestOrganization(signet);
    const api = apiClient(signet.app, apiKey);
    const created = await api.post('/api/v1/envelopes?send=true', envelopeJson(await makePdf()));
    assert.equal(created.status, 201);
    const token = await latestTokenFor(api, 'sam@client.test');
    await apiClient(signet.app).get(`/api/v1/signing/${token}`);
    await apiClient(signet.app).get(`/sign/${token}`);
    await fetch(`${signet.url}/api/v1/signing/${token}/consent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'x-request-id': 'trace-me-42' },
    });

    // A careless client putting its key in the query string must not get it logged either.
    await fetch(`${signet.url}/api/v1/envelopes?api_key=${apiKey}`);
    const log = lines.join('');
    assert.ok(log.includes('/api/v1/signing/[redacted]'), 'signing requests are logged, redacted');
    assert.ok(log.includes('"reqId":"trace-me-42"'), 'an incoming request id is kept');
    assert.equal(log.includes(token), false, 'the signing token was logged');
    assert.equal(log.includes(apiKey), false, 'the API key was logged');
  });
});
