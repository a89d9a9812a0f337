import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  address,
  COMPLETE,
  date,
  gender,
  MDS_FAULT_CASES,
  type MdsAttributes,
  personName,
} from '../../../test/peers/saml/mds.ts';
import {
  describeForCertificate,
  type ExpectedIdentity,
  IDA_NS,
  isCalendarDate,
  type LevelOfAssurance,
  levelOfAssurance,
  type MatchingDataSet,
  type MdsFaultCode,
  type MdsValue,
  matchIdentity,
  meetsLevel,
  nameKey,
  parseMatchingDataSet,
  ukDate,
} from './matchingDataSet.ts';
import { contentNamespacesOf } from './qnames.ts';
import { parseXml } from './xml.ts';

// `assertion()` can rebind the `ida` prefix to show that only the namespace counts.

function assertion(overrides: MdsAttributes = {}, idaPrefix = 'ida'): string {
  const attributes = { ...COMPLETE, ...overrides };
  const statement = Object.entries(attributes)
    .filter((entry): entry is [string, string[]] => entry[1] !== undefined)
    .map(([name, values]) => `<saml:Attribute Name="${name}">${values.join('')}</saml:Attribute>`)
    .join('');
  const xml =
    '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"' +
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' +
    ` xmlns:ida="${IDA_NS}" ID="_a1" Version="2.0" IssueInstant="2026-11-22T09:00:00Z">` +
    '<saml:Issuer>https://idp.example</saml:Issuer>' +
    `<saml:AttributeStatement>${statement}</saml:AttributeStatement>` +
    '</saml:Assertion>';
  if (idaPrefix === 'ida') return xml;
  return xml.replace(/\bida:/g, `${idaPrefix}:`).replace('xmlns:ida=', `xmlns:${idaPrefix}=`);
}

function faultsOf(xml: string): { attribute: string; code: MdsFaultCode }[] {
  const result = parseMatchingDataSet(xml);
  assert.equal(result.ok, false, 'expected structural faults');
  return result.ok ? [] : result.faults.map(({ attribute, code }) => ({ attribute, code }));
}

function mdsOf(xml: string): MatchingDataSet {
  const result = parseMatchingDataSet(xml);
  if (!result.ok) assert.fail(`unexpected faults: ${JSON.stringify(result.faults)}`);
  return result.mds;
}

// ---------------------------------------------------------------------------------------------

describe('parseMatchingDataSet', () => {
  it('reads a complete MDS into typed values, keeping the history of each attribute', () => {
    assert.deepEqual(mdsOf(assertion()), {
      firstNames: [{ value: 'Zoë', from: '1980-05-24', verified: true }],
      middleNames: [{ value: 'Anne-Marie', verified: true }],
      surnames: [
        { value: 'Smith-Jones', from: '2010-06-01', verified: true },
        { value: 'Smith', from: '1980-05-24', to: '2010-05-31', verified: true },
      ],
      gender: { value: 'Female', verified: true },
      datesOfBirth: [{ value: '1980-05-24', verified: true }],
      currentAddresses: [
        {
          value: { lines: ['1 Horse Guards Road', 'London'], postCode: 'SW1A 2HQ', uprn: '100023336956' },
          from: '2015-01-01',
          verified: true,
        },
      ],
      previousAddresses: [
        { value: { lines: ['2 Old Street'] }, from: '2005-01-01', to: '2014-12-31', verified: false },
      ],
    });
  });

  it('accepts the minimum: first name, surname, date of birth and current address', () => {
    const mds = mdsOf(
      assertion({ MDS_middlename: undefined, MDS_gender: undefined, MDS_previousaddress: undefined }),
    );
    assert.deepEqual(mds.middleNames, []);
    assert.equal(mds.gender, undefined);
    assert.deepEqual(mds.previousAddresses, []);
  });

  it('ignores attributes that are not part of the MDS', () => {
    const mds = mdsOf(assertion({ TXN_IPaddress: ['<saml:AttributeValue>192.0.2.1</saml:AttributeValue>'] }));
    assert.equal(mds.firstNames.length, 1);
  });

  it('reads international post codes and treats an absent Verified as not verified', () => {
    const mds = mdsOf(
      assertion({
        MDS_previousaddress: [
          address({ lines: ['Rue de Rivoli'], internationalPostCode: '75001', verified: null }),
        ],
      }),
    );
    assert.deepEqual(mds.previousAddresses, [
      { value: { lines: ['Rue de Rivoli'], internationalPostCode: '75001' }, verified: false },
    ]);
  });

  describe('reports each structural fault with a stable code and the attribute it concerns', () => {
    const cases = MDS_FAULT_CASES;
    for (const { name, overrides, attribute, code } of cases) {
      it(`${code} for ${name}`, () => {
        assert.deepEqual(faultsOf(assertion(overrides)), [{ attribute, code }]);
      });
    }

    it('MDS_DUPLICATE_ATTRIBUTE for an attribute given twice, even in separate statements', () => {
      const twice = assertion().replace(
        '</saml:Assertion>',
        `<saml:AttributeStatement><saml:Attribute Name="MDS_surname">${personName('Other')}</saml:Attribute></saml:AttributeStatement></saml:Assertion>`,
      );
      assert.deepEqual(faultsOf(twice), [{ attribute: 'MDS_surname', code: 'MDS_DUPLICATE_ATTRIBUTE' }]);
    });
  });

  describe('resolves an xsi:type prefix the verified bytes do not declare where the value sat', () => {
    // Exclusive C14N keeps only the declarations that element and attribute names use: a value
    // written without ida:Verified keeps its prefix only inside the xsi:type text, and loses
    // the binding. `t` stands for it here, declared in the message as received but not in the
    // verified bytes; the received message says where each declaration was in scope.
    const lost = personName('Zoey', { type: 't:PersonNameType', verified: null });
    const verified = assertion({ MDS_firstname: [personName('Zoë'), lost] });
    const namespacesOf = (received: string) => {
      const root = parseXml(received).documentElement;
      assert.ok(root);
      return contentNamespacesOf(root, {}, undefined);
    };

    it('from a declaration on an ancestor of the value', () => {
      assert.deepEqual(faultsOf(verified), [{ attribute: 'MDS_firstname', code: 'MDS_WRONG_TYPE' }]);
      const received = verified.replace(
        '<saml:Attribute Name="MDS_firstname">',
        `<saml:Attribute xmlns:t="${IDA_NS}" Name="MDS_firstname">`,
      );
      const resolved = parseMatchingDataSet(verified, { contentNamespaces: namespacesOf(received) });
      assert.ok(resolved.ok, JSON.stringify(!resolved.ok && resolved.faults));
      assert.deepEqual(
        resolved.mds.firstNames.map((n) => [n.value, n.verified]),
        [
          ['Zoë', true],
          ['Zoey', false],
        ],
      );
    });

    it('from the context the assertion sat in (the Response, or an encrypted one’s EncryptedAssertion)', () => {
      const root = parseXml(verified).documentElement;
      assert.ok(root);
      const result = parseMatchingDataSet(verified, {
        contentNamespaces: contentNamespacesOf(root, { t: IDA_NS }, undefined),
      });
      assert.ok(result.ok, JSON.stringify(!result.ok && result.faults));
    });

    it('never from a declaration in scope elsewhere (on another attribute)', () => {
      const received = verified.replace(
        '<saml:Attribute Name="MDS_surname">',
        `<saml:Attribute xmlns:t="${IDA_NS}" Name="MDS_surname">`,
      );
      const result = parseMatchingDataSet(verified, { contentNamespaces: namespacesOf(received) });
      assert.deepEqual(result.ok ? [] : result.faults.map((f) => f.code), ['MDS_WRONG_TYPE']);
    });

    it('never over a binding the verified bytes declare', () => {
      const declared = assertion({
        MDS_firstname: [personName('Zoe', { type: 't:PersonNameType', xmlns: 'xmlns:t="urn:not-ida"' })],
      });
      const root = parseXml(declared).documentElement;
      assert.ok(root);
      const stillWrong = parseMatchingDataSet(declared, {
        contentNamespaces: contentNamespacesOf(root, { t: IDA_NS }, undefined),
      });
      assert.equal(stillWrong.ok, false, 'a binding the signed bytes do declare always wins');
    });

    it('and not at all when what was received does not describe the verified elements', () => {
      const received = verified
        .replace(
          '<saml:Attribute Name="MDS_firstname">',
          `<saml:Attribute xmlns:t="${IDA_NS}" Name="MDS_firstname">`,
        )
        .replace('<saml:Issuer>', '<saml:Extra/><saml:Issuer>');
      const result = parseMatchingDataSet(verified, { contentNamespaces: namespacesOf(received) });
      assert.equal(result.ok, false);
    });
  });

  describe('refuses what is not a SAML assertion with MDS_MALFORMED', () => {
    const cases: { name: string; xml: string }[] = [
      { name: 'text that is not XML', xml: 'not xml at all' },
      { name: 'truncated XML', xml: assertion().slice(0, -10) },
      { name: 'the empty string', xml: '' },
      {
        name: 'a DOCTYPE, before parsing',
        xml: `<!DOCTYPE x [<!ENTITY e "Zoe">]>${assertion({ MDS_firstname: [personName('&e;')] })}`,
      },
      {
        name: 'a Response instead of an Assertion',
        xml: '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>',
      },
      {
        name: 'an Assertion in another namespace',
        xml: '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion"/>',
      },
    ];
    for (const { name, xml } of cases) {
      it(`for ${name}`, () => {
        assert.deepEqual(faultsOf(xml), [{ attribute: 'Assertion', code: 'MDS_MALFORMED' }]);
      });
    }
  });

  it('says why a DOCTYPE is refused', () => {
    const result = parseMatchingDataSet(`<!DOCTYPE Assertion>${assertion()}`);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.match(result.faults[0]?.detail ?? '', /DOCTYPE/);
  });

  it('collects every fault at once, ordered by attribute, not just the first', () => {
    const xml = assertion({
      MDS_firstname: undefined,
      MDS_surname: [personName('', { verified: 'maybe' })],
      MDS_gender: [gender('Unknown')],
      MDS_dateofbirth: [date('1980-05-24', { from: '2000-01-01', to: '1999-01-01' })],
      MDS_currentaddress: [address({ lines: [] }), address({ uprn: 'abc' })],
    });
    assert.deepEqual(faultsOf(xml), [
      { attribute: 'MDS_firstname', code: 'MDS_ATTRIBUTE_MISSING' },
      { attribute: 'MDS_surname', code: 'MDS_VALUE_EMPTY' },
      { attribute: 'MDS_surname', code: 'MDS_VERIFIED_INVALID' },
      { attribute: 'MDS_gender', code: 'MDS_GENDER_INVALID' },
      { attribute: 'MDS_dateofbirth', code: 'MDS_PERIOD_INVALID' },
      { attribute: 'MDS_currentaddress', code: 'MDS_ADDRESS_NO_LINE' },
      { attribute: 'MDS_currentaddress', code: 'MDS_UPRN_INVALID' },
    ]);
  });

  it('says which value of an attribute is at fault', () => {
    const result = parseMatchingDataSet(
      assertion({ MDS_surname: [personName('Smith'), personName('Jones', { from: 'yesterday' })] }),
    );
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.match(result.faults[0]?.detail ?? '', /^value 2: From "yesterday"/);
  });

  describe('resolves the ida namespace by URI, whatever its prefix', () => {
    it('with ida bound to another prefix on the Assertion', () => {
      assert.deepEqual(mdsOf(assertion({}, 'verify')).firstNames, [
        { value: 'Zoë', from: '1980-05-24', verified: true },
      ]);
    });

    it('with a prefix declared on the AttributeValue itself', () => {
      const local = `<saml:AttributeValue xmlns:m="${IDA_NS}" xsi:type="m:PersonNameType" m:Verified="true">Zoe</saml:AttributeValue>`;
      assert.deepEqual(mdsOf(assertion({ MDS_firstname: [local] })).firstNames, [
        { value: 'Zoe', verified: true },
      ]);
    });

    it('with ida as the default namespace of the value and an unprefixed xsi:type', () => {
      const unprefixed =
        `<saml:AttributeValue xmlns="${IDA_NS}" xmlns:i="${IDA_NS}" xsi:type="AddressType" i:Verified="1">` +
        '<Line>10 Downing Street</Line><PostCode>SW1A 2AA</PostCode></saml:AttributeValue>';
      assert.deepEqual(mdsOf(assertion({ MDS_currentaddress: [unprefixed] })).currentAddresses, [
        { value: { lines: ['10 Downing Street'], postCode: 'SW1A 2AA' }, verified: true },
      ]);
    });

    it('and ignores From, To and Verified outside the ida namespace', () => {
      const foreign = `<saml:AttributeValue xmlns:f="urn:foreign" xsi:type="ida:PersonNameType" f:Verified="true" f:From="nonsense" ida:Verified="false">Zoe</saml:AttributeValue>`;
      const faults = faultsOf(assertion({ MDS_firstname: [foreign] }));
      assert.deepEqual(faults, [{ attribute: 'MDS_firstname', code: 'MDS_NO_VERIFIED_VALUE' }]);
    });
  });
});

describe('isCalendarDate', () => {
  const cases: [string, boolean][] = [
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['1900-02-29', false],
    ['2023-02-29', false],
    ['2023-04-31', false],
    ['2023-12-31', true],
    ['0000-01-01', false],
    ['2023-00-10', false],
    ['2023-1-10', false],
    ['2023-01-10Z', false],
  ];
  for (const [text, valid] of cases) {
    it(`${valid ? 'accepts' : 'refuses'} ${text}`, () => assert.equal(isCalendarDate(text), valid));
  }
});

describe('level of assurance', () => {
  const refs: [string | undefined, LevelOfAssurance | undefined][] = [
    ['urn:uk:gov:cabinet-office:tc:saml:authn-context:level1', 'level1'],
    ['urn:uk:gov:cabinet-office:tc:saml:authn-context:level2', 'level2'],
    ['urn:uk:gov:cabinet-office:tc:saml:authn-context:level3', 'level3'],
    ['urn:uk:gov:cabinet-office:tc:saml:authn-context:level4', 'level4'],
    [' urn:uk:gov:cabinet-office:tc:saml:authn-context:level2\n', 'level2'],
    ['urn:uk:gov:cabinet-office:tc:saml:authn-context:levelX', undefined],
    ['urn:uk:gov:cabinet-office:tc:saml:authn-context:level5', undefined],
    ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', undefined],
    ['level2', undefined],
    [undefined, undefined],
  ];
  for (const [ref, level] of refs) {
    it(`reads ${JSON.stringify(ref)} as ${level ?? 'no level'}`, () =>
      assert.equal(levelOfAssurance(ref), level));
  }

  const ordering: [LevelOfAssurance | undefined, LevelOfAssurance, boolean][] = [
    ['level1', 'level1', true],
    ['level1', 'level2', false],
    ['level2', 'level1', true],
    ['level2', 'level2', true],
    ['level2', 'level3', false],
    ['level3', 'level2', true],
    ['level4', 'level3', true],
    ['level3', 'level4', false],
    [undefined, 'level1', false],
  ];
  for (const [actual, required, meets] of ordering) {
    it(`${actual ?? 'no level'} ${meets ? 'meets' : 'does not meet'} ${required}`, () =>
      assert.equal(meetsLevel(actual, required), meets));
  }
});

// ---------------------------------------------------------------------------------------------

describe('nameKey', () => {
  const same: [string, string][] = [
    ['Zoë', 'Zoe'],
    ['ZOË', 'zoe'],
    ['José', 'JOSE'],
    ['Smith-Jones', 'Smith Jones'],
    ['Smith – Jones', 'smith jones'],
    ['  Anne   Marie ', 'Anne-Marie'],
    ["O'Brien", 'OBrien'],
    ['O’Brien', "o'brien"],
    ['Straße', 'STRASSE'],
    ['Ｓｍｉｔｈ', 'Smith'],
    ['St. John', 'St John'],
  ];
  for (const [a, b] of same) {
    it(`treats "${a}" and "${b}" as the same name`, () => assert.equal(nameKey(a), nameKey(b)));
  }

  const different: [string, string][] = [
    ['Smith-Jones', 'SmithJones'],
    ["O'Brien", 'O Brien'],
    ['Zoe', 'Zoey'],
    ['Ann', 'Anne'],
  ];
  for (const [a, b] of different) {
    it(`keeps "${a}" and "${b}" apart`, () => assert.notEqual(nameKey(a), nameKey(b)));
  }
});

describe('ukDate', () => {
  it('is the date in London, so just after midnight in summer is already the next day', () => {
    assert.equal(ukDate(new Date('2026-06-30T23:30:00Z')), '2026-07-01');
    assert.equal(ukDate(new Date('2026-12-31T23:30:00Z')), '2026-12-31');
  });
});

describe('matchIdentity', () => {
  const NOW = new Date('2026-11-22T09:00:00Z');
  const value = (text: string, facts: Partial<MdsValue<string>> = {}): MdsValue<string> => ({
    value: text,
    verified: true,
    ...facts,
  });
  const MDS: MatchingDataSet = {
    firstNames: [value('Zoë')],
    middleNames: [value('Anne-Marie')],
    surnames: [value("O'Brien-Smith", { from: '2012-03-01' }), value('Jones', { to: '2012-02-29' })],
    datesOfBirth: [value('1980-05-24')],
    currentAddresses: [{ value: { lines: ['1 High Street'] }, verified: true }],
    previousAddresses: [],
  };
  const EXPECTED: ExpectedIdentity = {
    firstName: 'Zoe',
    middleNames: 'Anne Marie',
    surname: 'OBrien Smith',
    dateOfBirth: '1980-05-24',
  };

  it('matches the identity the sender expected, field by field, with a reason for each', () => {
    const match = matchIdentity(MDS, EXPECTED, NOW);
    assert.equal(match.result, 'match');
    assert.deepEqual(match.reasons, [
      'first name: matched a verified current value',
      'middle names: matched a verified current value',
      'surname: matched a verified current value',
      'date of birth: matched a verified current value',
    ]);
    assert.deepEqual(match.matched, {
      firstName: MDS.firstNames[0],
      middleNames: MDS.middleNames[0],
      surname: MDS.surnames[0],
      dateOfBirth: MDS.datesOfBirth[0],
    });
  });

  it('matches an MDS read from XML', () => {
    const mds = mdsOf(assertion());
    const match = matchIdentity(
      mds,
      { firstName: 'ZOE', surname: 'smith jones', middleNames: 'Anne-Marie', dateOfBirth: '1980-05-24' },
      NOW,
    );
    assert.equal(match.result, 'match');
  });

  const cases: {
    name: string;
    mds?: Partial<MatchingDataSet>;
    expected?: Partial<ExpectedIdentity>;
    result: 'match' | 'no-match';
    reason: string;
  }[] = [
    {
      name: 'a first name that only an unverified value carries does not match',
      mds: { firstNames: [value('Zoe', { verified: false }), value('Zara')] },
      result: 'no-match',
      reason: 'first name: no match — equals only an unverified value',
    },
    {
      name: 'a first name whose value ended (To in the past) does not match',
      mds: { firstNames: [value('Zoe', { to: '2026-11-21' }), value('Zara', { from: '2026-11-22' })] },
      result: 'no-match',
      reason: 'first name: no match — equals only a former verified value (To 2026-11-21)',
    },
    {
      name: 'a value whose To is today is still current',
      mds: { firstNames: [value('Zoe', { to: '2026-11-22' })] },
      result: 'match',
      reason: 'first name: matched a verified current value',
    },
    {
      name: 'a value that starts in the future is not yet current',
      mds: { firstNames: [value('Zoe', { from: '2026-11-23' })] },
      result: 'no-match',
      reason: 'first name: no match — equals only a verified value not yet in force (From 2026-11-23)',
    },
    {
      name: 'a former surname does not match, and the reason says it was a former one',
      expected: { surname: 'Jones' },
      result: 'no-match',
      reason: 'surname: no match — equals only a former verified value (To 2012-02-29)',
    },
    {
      name: 'a different surname does not match',
      expected: { surname: 'Brown' },
      result: 'no-match',
      reason: 'surname: no match — none of the 2 MDS value(s) equals the expected one',
    },
    {
      name: 'a different date of birth does not match',
      expected: { dateOfBirth: '1980-05-25' },
      result: 'no-match',
      reason: 'date of birth: no match — none of the 1 MDS value(s) equals the expected one',
    },
    {
      name: 'a date of birth is compared exactly, not as a name',
      mds: { datesOfBirth: [value('1980-05-24', { to: '1990-01-01' }), value('1980-05-42')] },
      result: 'no-match',
      reason: 'date of birth: no match — equals only a former verified value (To 1990-01-01)',
    },
    {
      name: 'different middle names do not match when both sides have them',
      expected: { middleNames: 'Louise' },
      result: 'no-match',
      reason: 'middle names: no match — none of the 1 MDS value(s) equals the expected one',
    },
    {
      name: 'middle names are not compared when the sender gave none',
      expected: { middleNames: undefined },
      result: 'match',
      reason: 'middle names: not compared — the sender gave none',
    },
    {
      name: 'middle names of only spaces count as none',
      expected: { middleNames: '  ' },
      result: 'match',
      reason: 'middle names: not compared — the sender gave none',
    },
    {
      name: 'middle names are not compared when the MDS has no verified current ones',
      mds: { middleNames: [value('Louise', { verified: false })] },
      result: 'match',
      reason: 'middle names: not compared — the MDS has no verified current middle names',
    },
    {
      name: 'an MDS without surnames does not match',
      mds: { surnames: [] },
      result: 'no-match',
      reason: 'surname: no match — the MDS has no value',
    },
  ];
  for (const { name, mds, expected, result, reason } of cases) {
    it(name, () => {
      const match = matchIdentity({ ...MDS, ...mds }, { ...EXPECTED, ...expected }, NOW);
      assert.equal(match.result, result);
      assert.ok(match.reasons.includes(reason), `reasons were ${JSON.stringify(match.reasons)}`);
    });
  }

  it('uses the UK date of `now` to decide what is current', () => {
    const mds = { ...MDS, firstNames: [value('Zoe', { to: '2026-06-30' })] };
    const lateEvening = new Date('2026-06-30T22:30:00Z'); // 23:30 in London, still 30 June
    const pastMidnight = new Date('2026-06-30T23:30:00Z'); // 00:30 on 1 July in London
    assert.equal(matchIdentity(mds, EXPECTED, lateEvening).result, 'match');
    assert.equal(matchIdentity(mds, EXPECTED, pastMidnight).result, 'no-match');
  });

  it('never puts the names or dates it compared into the reasons', () => {
    const match = matchIdentity(MDS, { ...EXPECTED, surname: 'Brown', dateOfBirth: '1999-09-09' }, NOW);
    const text = match.reasons.join('\n');
    for (const personal of ['Zoe', 'Zoë', 'Brown', 'OBrien', 'Anne', '1999-09-09', '1980-05-24']) {
      assert.ok(!text.includes(personal), `reason mentions ${personal}`);
    }
  });
});

describe('describeForCertificate', () => {
  const NOW = new Date('2026-11-22T09:00:00Z');
  const mds = mdsOf(assertion());
  const expected: ExpectedIdentity = { firstName: 'Zoe', surname: 'Smith-Jones', dateOfBirth: '1980-05-24' };

  const cases: {
    name: string;
    level: LevelOfAssurance | undefined;
    expected: ExpectedIdentity;
    line: string;
  }[] = [
    {
      name: 'a match without middle names',
      level: 'level2',
      expected,
      line: 'GOV.UK Verify MDS, level2, match (first name, surname, date of birth)',
    },
    {
      name: 'a match with middle names',
      level: 'level1',
      expected: { ...expected, middleNames: 'Anne Marie' },
      line: 'GOV.UK Verify MDS, level1, match (first name, middle names, surname, date of birth)',
    },
    {
      name: 'a no-match, naming what did not match',
      level: 'level2',
      expected: { ...expected, surname: 'Smith', dateOfBirth: '1980-05-25' },
      line: 'GOV.UK Verify MDS, level2, no match (surname, date of birth not matched)',
    },
    {
      name: 'an unknown level',
      level: undefined,
      expected,
      line: 'GOV.UK Verify MDS, level unknown, match (first name, surname, date of birth)',
    },
  ];
  for (const { name, level, expected: identity, line } of cases) {
    it(`summarises ${name}`, () => {
      assert.equal(describeForCertificate(level, matchIdentity(mds, identity, NOW)), line);
    });
  }
});
