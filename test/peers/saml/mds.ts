import type { MdsFaultCode } from '../../../src/identity/saml/matchingDataSet.ts';

/*
 * GOV.UK Verify Matching Data Set values for tests, written as the IdP would: each attribute is
 * a list of AttributeValue snippets with the prefix `ida`. The same builders feed the parser's
 * own tests (as a bare Assertion) and pysaml2 (as whole <saml:Attribute> elements it signs), so
 * every structural fault is checked both in the parser and through Signet's real ACS.
 */

export const IDA_NS = 'http://www.cabinetoffice.gov.uk/resource-library/ida/attributes';
const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

// prefix `ida`; `assertion()` can rebind that prefix to show that only the namespace counts.

export interface ValueFacts {
  from?: string;
  to?: string;
  /** The raw ida:Verified text; null leaves the attribute out. */
  verified?: string | null;
  /** The raw xsi:type; null leaves it out. */
  type?: string | null;
  /** Extra namespace declarations on the AttributeValue. */
  xmlns?: string;
}

export function attributeValue(defaultType: string, body: string, facts: ValueFacts = {}): string {
  const type = facts.type === undefined ? defaultType : facts.type;
  const verified = facts.verified === undefined ? 'true' : facts.verified;
  const attributes = [
    facts.xmlns ?? '',
    type === null ? '' : `xsi:type="${type}"`,
    facts.from === undefined ? '' : `ida:From="${facts.from}"`,
    facts.to === undefined ? '' : `ida:To="${facts.to}"`,
    verified === null ? '' : `ida:Verified="${verified}"`,
  ].filter(Boolean);
  return `<saml:AttributeValue ${attributes.join(' ')}>${body}</saml:AttributeValue>`;
}

export const personName = (text: string, facts?: ValueFacts) =>
  attributeValue('ida:PersonNameType', text, facts);
export const gender = (text: string, facts?: ValueFacts) => attributeValue('ida:GenderType', text, facts);
export const date = (text: string, facts?: ValueFacts) => attributeValue('ida:DateType', text, facts);

export interface AddressFacts extends ValueFacts {
  lines?: string[];
  postCode?: string;
  internationalPostCode?: string;
  uprn?: string;
}

export function address(facts: AddressFacts = {}): string {
  const lines = (facts.lines ?? ['1 Horse Guards Road', 'London']).map((l) => `<ida:Line>${l}</ida:Line>`);
  const optional = (name: string, text: string | undefined) =>
    text === undefined ? '' : `<ida:${name}>${text}</ida:${name}>`;
  const body = [
    ...lines,
    optional('PostCode', facts.postCode),
    optional('InternationalPostCode', facts.internationalPostCode),
    optional('UPRN', facts.uprn),
  ].join('');
  return attributeValue('ida:AddressType', body, facts);
}

export type MdsAttributes = Record<string, string[] | undefined>;

/** A complete, valid MDS: Zoë Anne-Marie Smith-Jones (formerly Smith), born 1980-05-24. */
export const COMPLETE: MdsAttributes = {
  MDS_firstname: [personName('Zoë', { from: '1980-05-24' })],
  MDS_middlename: [personName('Anne-Marie')],
  MDS_surname: [
    personName('Smith-Jones', { from: '2010-06-01' }),
    personName('Smith', { from: '1980-05-24', to: '2010-05-31' }),
  ],
  MDS_gender: [gender('Female')],
  MDS_dateofbirth: [date('1980-05-24')],
  MDS_currentaddress: [address({ from: '2015-01-01', postCode: 'SW1A 2HQ', uprn: '100023336956' })],
  MDS_previousaddress: [
    address({ lines: ['2 Old Street'], from: '2005-01-01', to: '2014-12-31', verified: 'false' }),
  ],
};

/** The prefixes the MDS builders write, and their namespaces. */
export const MDS_PREFIXES = { saml: SAML_NS, xsi: XSI_NS, ida: IDA_NS } as const;
export type MdsPrefix = keyof typeof MDS_PREFIXES;

/**
 * The attributes as whole <saml:Attribute> elements for pysaml2 to splice into its
 * AttributeStatement before signing (ResponseOptions.attributesXml). Each declares the prefixes
 * in `declare` (all three by default); leave one out to have the IdP declare it elsewhere
 * (ResponseOptions.declareNamespaces).
 */
export function mdsAttributeElements(
  overrides: MdsAttributes = {},
  declare: readonly MdsPrefix[] = ['saml', 'xsi', 'ida'],
): string[] {
  const declarations = declare.map((prefix) => `xmlns:${prefix}="${MDS_PREFIXES[prefix]}" `).join('');
  return Object.entries({ ...COMPLETE, ...overrides })
    .filter((entry): entry is [string, string[]] => entry[1] !== undefined)
    .map(
      ([name, values]) =>
        `<saml:Attribute ${declarations}Name="${name}"` +
        ` NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${values.join('')}</saml:Attribute>`,
    );
}

export interface MdsFaultCase {
  name: string;
  overrides: MdsAttributes;
  attribute: string;
  code: MdsFaultCode;
}

/** Every structural fault of the MDS the parser names, one change to COMPLETE each. */
export const MDS_FAULT_CASES: MdsFaultCase[] = [
  {
    name: 'a missing first name',
    overrides: { MDS_firstname: undefined },
    attribute: 'MDS_firstname',
    code: 'MDS_ATTRIBUTE_MISSING',
  },
  {
    name: 'a missing surname',
    overrides: { MDS_surname: undefined },
    attribute: 'MDS_surname',
    code: 'MDS_ATTRIBUTE_MISSING',
  },
  {
    name: 'a missing date of birth',
    overrides: { MDS_dateofbirth: undefined },
    attribute: 'MDS_dateofbirth',
    code: 'MDS_ATTRIBUTE_MISSING',
  },
  {
    name: 'a missing current address',
    overrides: { MDS_currentaddress: undefined },
    attribute: 'MDS_currentaddress',
    code: 'MDS_ATTRIBUTE_MISSING',
  },
  {
    name: 'a value typed as another ida type',
    overrides: { MDS_surname: [personName('Smith', { type: 'ida:DateType' })] },
    attribute: 'MDS_surname',
    code: 'MDS_WRONG_TYPE',
  },
  {
    name: 'a value without xsi:type',
    overrides: { MDS_firstname: [personName('Zoe', { type: null })] },
    attribute: 'MDS_firstname',
    code: 'MDS_WRONG_TYPE',
  },
  {
    name: 'an xsi:type whose prefix is bound to another namespace',
    overrides: {
      MDS_firstname: [personName('Zoe', { type: 'x:PersonNameType', xmlns: 'xmlns:x="urn:not-ida"' })],
    },
    attribute: 'MDS_firstname',
    code: 'MDS_WRONG_TYPE',
  },
  {
    name: 'an xsi:type spelled ida:PersonNameType whose ida prefix is rebound to another namespace',
    overrides: {
      MDS_firstname: [personName('Zoe', { type: 'ida:PersonNameType', xmlns: 'xmlns:ida="urn:not-ida"' })],
    },
    attribute: 'MDS_firstname',
    code: 'MDS_WRONG_TYPE',
  },
  {
    name: 'an xsi:type whose prefix is not declared',
    overrides: { MDS_firstname: [personName('Zoe', { type: 'nope:PersonNameType' })] },
    attribute: 'MDS_firstname',
    code: 'MDS_WRONG_TYPE',
  },
  {
    name: 'an xsi:type without a prefix where no default namespace is ida',
    overrides: { MDS_firstname: [personName('Zoe', { type: 'PersonNameType' })] },
    attribute: 'MDS_firstname',
    code: 'MDS_WRONG_TYPE',
  },
  {
    name: 'an empty name',
    overrides: { MDS_surname: [personName('  ')] },
    attribute: 'MDS_surname',
    code: 'MDS_VALUE_EMPTY',
  },
  {
    name: 'an attribute without any value',
    overrides: { MDS_middlename: [] },
    attribute: 'MDS_middlename',
    code: 'MDS_VALUE_EMPTY',
  },
  {
    name: 'an empty address line',
    overrides: { MDS_currentaddress: [address({ lines: ['1 High Street', ' '] })] },
    attribute: 'MDS_currentaddress',
    code: 'MDS_VALUE_EMPTY',
  },
  {
    name: 'an empty post code',
    overrides: { MDS_currentaddress: [address({ postCode: '' })] },
    attribute: 'MDS_currentaddress',
    code: 'MDS_VALUE_EMPTY',
  },
  {
    name: 'a date of birth that does not exist (30 February)',
    overrides: { MDS_dateofbirth: [date('1980-02-30')] },
    attribute: 'MDS_dateofbirth',
    code: 'MDS_DATE_INVALID',
  },
  {
    name: 'a date of birth in another format',
    overrides: { MDS_dateofbirth: [date('24/05/1980')] },
    attribute: 'MDS_dateofbirth',
    code: 'MDS_DATE_INVALID',
  },
  {
    name: 'a malformed From',
    overrides: { MDS_firstname: [personName('Zoe', { from: '2020-13-01' })] },
    attribute: 'MDS_firstname',
    code: 'MDS_DATE_INVALID',
  },
  {
    name: 'a To with a time of day',
    overrides: { MDS_gender: [gender('Male', { to: '2020-01-01T00:00:00Z' })] },
    attribute: 'MDS_gender',
    code: 'MDS_DATE_INVALID',
  },
  {
    name: 'a From after its To',
    overrides: { MDS_surname: [personName('Smith', { from: '2020-01-02', to: '2020-01-01' })] },
    attribute: 'MDS_surname',
    code: 'MDS_PERIOD_INVALID',
  },
  {
    name: 'a Verified flag that is not a boolean',
    overrides: { MDS_firstname: [personName('Zoe', { verified: 'yes' })] },
    attribute: 'MDS_firstname',
    code: 'MDS_VERIFIED_INVALID',
  },
  {
    name: 'a first name with no verified value',
    overrides: {
      MDS_firstname: [personName('Zoe', { verified: 'false' }), personName('Zoey', { verified: null })],
    },
    attribute: 'MDS_firstname',
    code: 'MDS_NO_VERIFIED_VALUE',
  },
  {
    name: 'a date of birth with no verified value',
    overrides: { MDS_dateofbirth: [date('1980-05-24', { verified: '0' })] },
    attribute: 'MDS_dateofbirth',
    code: 'MDS_NO_VERIFIED_VALUE',
  },
  {
    name: 'a gender outside the vocabulary',
    overrides: { MDS_gender: [gender('female')] },
    attribute: 'MDS_gender',
    code: 'MDS_GENDER_INVALID',
  },
  {
    name: 'more than one gender value',
    overrides: { MDS_gender: [gender('Female'), gender('Male')] },
    attribute: 'MDS_gender',
    code: 'MDS_DUPLICATE_ATTRIBUTE',
  },
  {
    name: 'an address without lines',
    overrides: { MDS_previousaddress: [address({ lines: [], postCode: 'SW1A 2HQ' })] },
    attribute: 'MDS_previousaddress',
    code: 'MDS_ADDRESS_NO_LINE',
  },
  {
    name: 'a UPRN that is not digits',
    overrides: { MDS_currentaddress: [address({ uprn: '7D68E096-5510' })] },
    attribute: 'MDS_currentaddress',
    code: 'MDS_UPRN_INVALID',
  },
  {
    name: 'a UPRN longer than twelve digits',
    overrides: { MDS_currentaddress: [address({ uprn: '1000233369561' })] },
    attribute: 'MDS_currentaddress',
    code: 'MDS_UPRN_INVALID',
  },
];

/**
 * An attribute of the IdP's own vocabulary, sent beside the MDS, whose declarations bind the
 * prefix `ida` to that vocabulary in its own scope: legal XML that a search of the whole message
 * for "the" binding of `ida` finds ambiguous.
 */
export const OWN_VOCABULARY_ATTRIBUTE =
  `<saml:Attribute xmlns:saml="${SAML_NS}" xmlns:xsi="${XSI_NS}" xmlns:xs="http://www.w3.org/2001/XMLSchema"` +
  ' xmlns:ida="urn:example:idp:attributes" Name="urn:example:idp:attributes:assurance"' +
  ' NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">' +
  '<saml:AttributeValue xsi:type="xs:string">high</saml:AttributeValue></saml:Attribute>';

/**
 * A first name typed with the prefix `t`, which only the middle name's value declares: out of
 * scope at the first name, so its type does not resolve (MDS_WRONG_TYPE on MDS_firstname).
 */
export const PREFIX_DECLARED_ON_ANOTHER_VALUE: MdsAttributes = {
  MDS_firstname: [personName('Zoë', { type: 't:PersonNameType', from: '1980-05-24' })],
  MDS_middlename: [personName('Anne-Marie', { type: 't:PersonNameType', xmlns: `xmlns:t="${IDA_NS}"` })],
};
