import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as pkijs from 'pkijs';
import { SignetError } from '../errors.ts';
import { formatDistinguishedName, parseDistinguishedName } from './distinguishedName.ts';

/** The encoded Name as (OID, ASN.1 string type, value) triples, in encoding order. */
function attributesOf(text: string): [string, string, string][] {
  const name = pkijs.RelativeDistinguishedNames.fromBER(parseDistinguishedName(text).der);
  return name.typesAndValues.map(({ type, value }) => [
    type,
    value.constructor.name,
    String(value.valueBlock.value),
  ]);
}

describe('distinguished names as operators write them (RFC 4514)', () => {
  it('encodes the most specific attribute last, as RFC 4514 §2.1 reads the string, one attribute per RDN', () => {
    assert.deepEqual(attributesOf('CN=Acme Seal,O=Acme GmbH,C=DE'), [
      ['2.5.4.6', 'PrintableString', 'DE'],
      ['2.5.4.10', 'Utf8String', 'Acme GmbH'],
      ['2.5.4.3', 'Utf8String', 'Acme Seal'],
    ]);
  });

  const cases: [string, string, [string, string, string][]][] = [
    [
      'spaces around separators are not part of values',
      'CN = Acme ,  O=Acme',
      [
        ['2.5.4.10', 'Utf8String', 'Acme'],
        ['2.5.4.3', 'Utf8String', 'Acme'],
      ],
    ],
    [
      'escaped commas, plus signs and quotes stay in the value',
      'CN=Müller\\, Schmidt \\+ Co \\"KG\\"',
      [['2.5.4.3', 'Utf8String', 'Müller, Schmidt + Co "KG"']],
    ],
    ['hex pairs are UTF-8 octets', 'CN=Z\\C3\\B6e', [['2.5.4.3', 'Utf8String', 'Zöe']]],
    ['an escaped trailing space is kept', 'CN=Acme\\ ', [['2.5.4.3', 'Utf8String', 'Acme ']]],
    [
      'attribute names are case-insensitive; E is emailAddress (IA5String)',
      'e=seal@acme.example,cn=Seal',
      [
        ['2.5.4.3', 'Utf8String', 'Seal'],
        ['1.2.840.113549.1.9.1', 'IA5String', 'seal@acme.example'],
      ],
    ],
    [
      'eIDAS seal attributes: organizationIdentifier and serialNumber',
      'CN=Seal,organizationIdentifier=VATDE-123456789,serialNumber=HRB 1234',
      [
        ['2.5.4.5', 'PrintableString', 'HRB 1234'],
        ['2.5.4.97', 'Utf8String', 'VATDE-123456789'],
        ['2.5.4.3', 'Utf8String', 'Seal'],
      ],
    ],
  ];
  for (const [what, text, expected] of cases) {
    it(`reads "${text}": ${what}`, () => assert.deepEqual(attributesOf(text), expected));
  }

  const refusals: [string, string, RegExp][] = [
    ['an empty name', '  ', /names no attribute/],
    ['a pair without "="', 'CN=Acme,Acme GmbH', /"Acme GmbH" is not TYPE=value/],
    ['an unknown attribute', 'CN=Acme,XYZ=1', /unknown attribute "XYZ"/],
    ['a country that is not two capital letters', 'CN=Acme,C=Germany', /two-letter ISO 3166 code/],
    ['an empty value', 'CN=,O=Acme', /CN is empty/],
    ['a multi-valued RDN', 'CN=Acme+O=Acme', /multi-valued RDNs/],
    ['a common name over 64 characters', `CN=${'a'.repeat(65)}`, /longer than 64/],
    ['characters a PrintableString cannot hold', 'CN=Acme,serialNumber=Nr_1', /serialNumber may hold only/],
    ['a trailing comma', 'CN=Acme,', /"" is not TYPE=value/],
    ['an escape RFC 4514 does not know', 'CN=A\\q', /not an escape/],
  ];
  for (const [what, text, message] of refusals) {
    it(`refuses ${what} with DISTINGUISHED_NAME_INVALID`, () => {
      assert.throws(
        () => parseDistinguishedName(text),
        (error: unknown) =>
          error instanceof SignetError &&
          error.code === 'DISTINGUISHED_NAME_INVALID' &&
          message.test(error.detail),
      );
    });
  }

  it('writes a Name back as RFC 4514 text, escaping what must be', () => {
    const text = 'CN=Müller\\, Schmidt,O=Acme GmbH,C=DE';
    assert.equal(formatDistinguishedName(parseDistinguishedName(text).der), text);
  });
});
