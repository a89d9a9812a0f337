import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignetError } from '../errors.ts';
import {
  jsonBodyDigest,
  MultipartDigest,
  parseIdempotencyKey,
  type RequestIdentity,
  requestFingerprint,
} from './requestFingerprint.ts';

describe('the Idempotency-Key header', () => {
  const accepted: [string, string][] = [
    ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['order 17 / attempt', 'order 17 / attempt'],
    ['"say \\"hi\\" \\\\ bye"', 'say "hi" \\ bye'],
    ['x'.repeat(255), 'x'.repeat(255)],
  ];
  for (const [header, key] of accepted) {
    it(`reads ${JSON.stringify(header.slice(0, 40))} as the key ${JSON.stringify(key.slice(0, 40))}`, () => {
      assert.equal(parseIdempotencyKey(header), key);
    });
  }

  it('is optional', () => {
    assert.equal(parseIdempotencyKey(undefined), undefined);
  });

  const refused: [string, string | string[]][] = [
    ['an empty key', ''],
    ['an empty quoted key', '""'],
    ['a key of 256 characters', 'x'.repeat(256)],
    ['a quoted key of 256 characters', `"${'x'.repeat(256)}"`],
    ['a non-ASCII key', 'clé'],
    ['a key with a control character', 'a\tb'],
    ['an unterminated quoted string', '"abc'],
    ['a quoted string followed by more', '"abc"def'],
    ['an escape other than \\" and \\\\', '"a\\nb"'],
    ['two headers', ['a', 'b']],
  ];
  for (const [what, header] of refused) {
    it(`refuses ${what} with 400 IDEMPOTENCY_KEY_INVALID`, () => {
      assert.throws(
        () => parseIdempotencyKey(header),
        (error: unknown) =>
          error instanceof SignetError && error.code === 'IDEMPOTENCY_KEY_INVALID' && error.status === 400,
      );
    });
  }
});

describe('the body digest', () => {
  it('does not depend on key order or whitespace in a JSON body', () => {
    const a = JSON.parse('{"title":"Lease","recipients":[{"name":"Ada","email":"ada@x.test"}]}');
    const b = JSON.parse(
      '{ "recipients" : [ { "email": "ada@x.test", "name": "Ada" } ],\n "title": "Lease" }',
    );
    assert.equal(jsonBodyDigest(a), jsonBodyDigest(b));
  });

  it('tells different JSON bodies apart, and no body from an empty one', () => {
    assert.notEqual(jsonBodyDigest({ title: 'Lease' }), jsonBodyDigest({ title: 'Lease 2' }));
    assert.notEqual(jsonBodyDigest({ list: [1, 2] }), jsonBodyDigest({ list: [2, 1] }));
    assert.notEqual(jsonBodyDigest({ n: 1 }), jsonBodyDigest({ n: '1' }));
    assert.equal(jsonBodyDigest(undefined), 'none');
    assert.notEqual(jsonBodyDigest({}), jsonBodyDigest(undefined));
    assert.notEqual(jsonBodyDigest(null), jsonBodyDigest(undefined));
  });

  it('gives a body RFC 8785 refuses (a lone surrogate) a stable digest instead of failing', () => {
    const body = JSON.parse('{"title":"a\\ud800b"}');
    assert.equal(jsonBodyDigest(body), jsonBodyDigest(JSON.parse('{"title":"a\\ud800b"}')));
    assert.notEqual(jsonBodyDigest(body), jsonBodyDigest({ title: 'ab' }));
  });

  const multipart = (parts: [string, string | undefined, Buffer | string | unknown][]) => {
    const digest = new MultipartDigest();
    for (const [field, filename, content] of parts) digest.add(field, filename, content);
    return digest.digest();
  };
  const pdf = Buffer.from('%PDF-1.7 one');
  const otherPdf = Buffer.from('%PDF-1.7 two');
  const base: [string, string | undefined, Buffer | string | unknown][] = [
    ['envelope', undefined, '{"title":"Lease"}'],
    ['file', 'lease.pdf', pdf],
    ['file', 'annex.pdf', otherPdf],
  ];

  it('digests multipart parts by field name, file name and content, in order', () => {
    assert.equal(multipart(base), multipart(base.map((part) => [...part])));
    assert.match(multipart(base), /^multipart:[0-9a-f]{64}$/);
    const variants: [string, [string, string | undefined, Buffer | string | unknown][]][] = [
      ['another order', [base[0]!, base[2]!, base[1]!]],
      ['another file name', [base[0]!, ['file', 'other.pdf', pdf], base[2]!]],
      ['another field name', [base[0]!, ['document', 'lease.pdf', pdf], base[2]!]],
      ['another content', [base[0]!, ['file', 'lease.pdf', otherPdf], base[2]!]],
      ['another envelope', [['envelope', undefined, '{"title":"Lease 2"}'], base[1]!, base[2]!]],
      ['a part fewer', [base[0]!, base[1]!]],
      ['a file part with no file name', [base[0]!, ['file', undefined, pdf], base[2]!]],
    ];
    for (const [what, parts] of variants) assert.notEqual(multipart(parts), multipart(base), what);
  });

  it('digests a field that arrived parsed (typed JSON) by its canonical JSON', () => {
    assert.equal(
      multipart([['envelope', undefined, { b: 1, a: 2 }]]),
      multipart([['envelope', undefined, { a: 2, b: 1 }]]),
    );
    assert.notEqual(
      multipart([['envelope', undefined, { a: 2 }]]),
      multipart([['envelope', undefined, { a: 3 }]]),
    );
  });
});

describe('the request fingerprint', () => {
  const base: RequestIdentity = {
    method: 'POST',
    path: '/api/v1/envelopes',
    query: { send: 'true', x: '1' },
    body: jsonBodyDigest({ title: 'Lease' }),
  };

  it('covers method, path, query and body', () => {
    const variants: [string, RequestIdentity][] = [
      ['method', { ...base, method: 'PUT' }],
      ['path', { ...base, path: '/api/v1/envelopes/1/send' }],
      ['query', { ...base, query: { send: 'false', x: '1' } }],
      ['no query', { ...base, query: {} }],
      ['body', { ...base, body: jsonBodyDigest({ title: 'Lease 2' }) }],
      ['no body', { ...base, body: 'none' }],
    ];
    for (const [what, variant] of variants) {
      assert.notEqual(requestFingerprint(variant), requestFingerprint(base), what);
    }
  });

  it('does not depend on the order of the query parameters', () => {
    assert.equal(requestFingerprint({ ...base, query: { x: '1', send: 'true' } }), requestFingerprint(base));
  });
});
