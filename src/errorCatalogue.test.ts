import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE, isErrorCode } from './errorCatalogue.ts';
import { SignetError } from './errors.ts';

describe('the error catalogue', () => {
  it('gives every code an HTTP error status and a meaning of its own', () => {
    for (const [code, definition] of Object.entries(ERROR_CATALOGUE)) {
      assert.match(code, /^[A-Z][A-Z0-9_]*$/, code);
      assert.ok(definition.status >= 400 && definition.status <= 599, `${code}: ${definition.status}`);
      assert.match(definition.meaning, /^[A-Z`].*[.)]$/, `${code}: a sentence`);
    }
    const meanings = Object.values(ERROR_CATALOGUE).map((definition) => definition.meaning);
    assert.equal(new Set(meanings).size, meanings.length, 'two codes with one meaning');
  });

  it('is where an error’s status comes from', () => {
    assert.equal(new SignetError('ENVELOPE_NOT_FOUND', 'No such envelope').status, 404);
    assert.equal(new SignetError('RATE_LIMITED', 'slow down').status, 429);
    assert.equal(isErrorCode('ENVELOPE_NOT_FOUND'), true);
    assert.equal(isErrorCode('toString'), false);
  });
});
