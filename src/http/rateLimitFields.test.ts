import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rateLimitField, rateLimitPolicyField, structuredString } from './rateLimitFields.ts';

// draft-ietf-httpapi-ratelimit-headers-11 §3.2 and §4.2 examples, and RFC 9651 serialisation.
describe('RateLimit-Policy and RateLimit field values', () => {
  const policyCases: [string, Parameters<typeof rateLimitPolicyField>[0], string][] = [
    ['one policy (§3.2)', [{ name: 'default', quota: 100, windowSeconds: 10 }], '"default";q=100;w=10'],
    [
      'several policies, as one list (§3.2)',
      [
        { name: 'permin', quota: 50, windowSeconds: 60 },
        { name: 'perhr', quota: 1000, windowSeconds: 3600 },
      ],
      '"permin";q=50;w=60, "perhr";q=1000;w=3600',
    ],
    [
      'a window of at least one second (§3.1.3: non-zero)',
      [{ name: 'x', quota: 5, windowSeconds: 0 }],
      '"x";q=5;w=1',
    ],
  ];
  for (const [what, policies, expected] of policyCases) {
    it(`writes RateLimit-Policy for ${what}`, () => assert.equal(rateLimitPolicyField(policies), expected));
  }

  const limitCases: [string, Parameters<typeof rateLimitField>[0], string][] = [
    ['quota left (§4.2)', [{ name: 'default', remaining: 50, resetSeconds: 30 }], '"default";r=50;t=30'],
    [
      'a spent quota: never a negative r',
      [{ name: 'api', remaining: -7, resetSeconds: 12 }],
      '"api";r=0;t=12',
    ],
    [
      'several policies',
      [
        { name: 'public', remaining: 1199, resetSeconds: 60 },
        { name: 'verify-ip', remaining: 29, resetSeconds: 59 },
      ],
      '"public";r=1199;t=60, "verify-ip";r=29;t=59',
    ],
  ];
  for (const [what, limits, expected] of limitCases) {
    it(`writes RateLimit for ${what}`, () => assert.equal(rateLimitField(limits), expected));
  }

  it('escapes quotes and backslashes in a policy name, and refuses what a String cannot hold', () => {
    assert.equal(structuredString('a"b\\c'), '"a\\"b\\\\c"');
    assert.throws(() => structuredString('café'), /structured-field string/);
    assert.throws(() => structuredString('tab\there'), /structured-field string/);
  });
});
