import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  documentText,
  SDK_DOCUMENT,
  SDK_TYPES,
  sdkDocument,
  sdkTypesText,
  servedDocument,
} from '../../bin/sdkContract.ts';
import { startTestSignet, type TestSignet } from '../support/signetHarness.ts';

/*
 * The SDK is generated from the routes (npm run sdk:generate); its committed document and types
 * must be what the server produces now, so a route changed without regenerating fails here.
 */

const REGENERATE = 'the routes changed: run `npm run sdk:generate` and commit sdk/';

describe('the SDK is generated from the routes as they are now', () => {
  let signet: TestSignet;
  let served: unknown;

  before(async () => {
    signet = await startTestSignet('pglite');
    const answer = await fetch(`${signet.url}/api/v1/openapi.json`);
    assert.equal(answer.status, 200);
    served = await answer.json();
  });
  after(() => signet?.stop());

  it('keeps the document the server serves, but the server-specific `servers`', () => {
    const document = sdkDocument(served);
    assert.equal('servers' in document, false);
    assert.deepEqual(document, sdkDocument(servedDocument(signet.app)), 'served = app.swagger()');
    const committed = readFileSync(SDK_DOCUMENT, 'utf8');
    assert.deepEqual(JSON.parse(committed), document, REGENERATE);
    assert.equal(committed, documentText(document), REGENERATE);
  });

  it('keeps the types openapi-typescript makes of that document', async () => {
    const committed = readFileSync(SDK_TYPES, 'utf8');
    assert.equal(committed, await sdkTypesText(sdkDocument(served)), REGENERATE);
  });

  it('notices a route that is not in the committed types', async () => {
    // The check above cannot pass vacuously: a document with one more route makes other types.
    const document = sdkDocument(served);
    const grown = {
      ...document,
      paths: {
        ...document.paths,
        '/api/v1/not-yet-generated': { get: { responses: { 204: { description: 'x' } } } },
      },
    };
    assert.notEqual(await sdkTypesText(grown), readFileSync(SDK_TYPES, 'utf8'));
  });
});
