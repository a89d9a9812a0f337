import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CMS_BYTES, parsePdfDate, readSignedBytes } from './signatureFields.ts';

/** ByteRange checks (ISO 32000-1 §12.8.1) on synthetic files: pure, table-driven. */

const cms = '3003020101'; // a tiny DER SEQUENCE standing in for the CMS
const file = (gap: string) => new TextEncoder().encode(`%PDF-1.7 head <${gap}> tail`);
const gapStart = '%PDF-1.7 head '.length;
const rangeFor = (gap: string) => [0, gapStart, gapStart + gap.length + 2, ' tail'.length];

describe('readSignedBytes', () => {
  it('returns the two ranges and the CMS without its zero padding', () => {
    const gap = `${cms}0000`;
    const result = readSignedBytes(file(gap), { kind: 'signature', byteRange: rangeFor(gap) });
    assert.ok(result.ok);
    assert.equal(new TextDecoder().decode(result.value.content), '%PDF-1.7 head  tail');
    assert.equal(Buffer.from(result.value.cms).toString('hex'), cms);
  });

  const refusals: [string, Uint8Array, number[], string][] = [
    ['not four integers', file(cms), [0, 1, 2], 'BYTE_RANGE_INVALID'],
    ['negative or fractional numbers', file(cms), [0, 14, -3, 1.5], 'BYTE_RANGE_INVALID'],
    ['a first range not starting at 0', file(cms), [1, gapStart - 1, gapStart + 12, 5], 'BYTE_RANGE_INVALID'],
    ['ranges that overlap', file(cms), [0, 20, 10, 5], 'BYTE_RANGE_INVALID'],
    ['a range past the end of the file', file(cms), [0, gapStart, gapStart + 12, 5000], 'BYTE_RANGE_INVALID'],
    ['absurd offsets', file(cms), [0, 1e15, 1e15 + 10, 1e15], 'BYTE_RANGE_INVALID'],
    [
      'a gap that is not the hex string',
      file(cms),
      [0, gapStart - 2, gapStart + 12, 5],
      'BYTE_RANGE_INVALID',
    ],
    ['a gap with more than hex digits', file(`${cms} /X`), rangeFor(`${cms} /X`), 'BYTE_RANGE_INVALID'],
    ['a gap holding no DER', file('ffff'), rangeFor('ffff'), 'CMS_MALFORMED'],
    [
      'a giant /Contents',
      new Uint8Array(0),
      [0, 1, MAX_CMS_BYTES * 2 + 10, 0],
      'SIGNATURE_CONTENTS_TOO_LARGE',
    ],
  ];
  for (const [name, pdf, byteRange, code] of refusals) {
    it(`refuses ${name} with ${code}`, () => {
      const bytes = code === 'SIGNATURE_CONTENTS_TOO_LARGE' ? new Uint8Array(MAX_CMS_BYTES * 2 + 10) : pdf;
      const result = readSignedBytes(bytes, { kind: 'signature', byteRange });
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.findings[0]?.code, code);
    });
  }

  it('refuses a signature dictionary whose /Contents is not what the gap holds (redefined later)', () => {
    const result = readSignedBytes(file(cms), {
      kind: 'signature',
      byteRange: rangeFor(cms),
      contents: new Uint8Array([1, 2]),
    });
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.findings[0]?.code, 'SIGNATURE_DICTIONARY_MISMATCH');
  });
});

describe('parsePdfDate', () => {
  it('reads ISO 32000-1 §7.9.4 dates with and without offsets', () => {
    assert.equal(parsePdfDate("D:20261120100000+01'00'")?.toISOString(), '2026-11-20T09:00:00.000Z');
    assert.equal(parsePdfDate('D:20261120100000Z')?.toISOString(), '2026-11-20T10:00:00.000Z');
    assert.equal(parsePdfDate('D:2026')?.toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(parsePdfDate('yesterday'), undefined);
  });
});
