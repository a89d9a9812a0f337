import type { Element } from '@xmldom/xmldom';
import { type ContentNamespaces, type QNameResolver, qnameResolver } from './qnames.ts';
import { children, hasDoctype, NS, parseXml, textOf } from './xml.ts';

/*
 * The GOV.UK Verify Matching Data Set (SPEC §E), as pure functions over an assertion that the
 * SAML core has already verified:
 *
 *   parseMatchingDataSet  XML → typed MDS, or every structural fault found (not just the first);
 *   levelOfAssurance      AuthnContextClassRef → level1…level4, and meetsLevel to compare them;
 *   matchIdentity         MDS × the identity the sender expected → match | no-match, with a
 *                         reason per decision, worded for the audit log (and free of the names
 *                         themselves, which are personal data);
 *   describeForCertificate one line for the certificate of completion.
 *
 * Attribute names, value types and the ida namespace are those of GOV.UK Verify's hub
 * (IdaConstants.Attributes_1_1, saml-extensions): MDS_firstname, MDS_middlename, MDS_surname,
 * MDS_gender, MDS_dateofbirth, MDS_currentaddress, MDS_previousaddress.
 */

export const IDA_NS = 'http://www.cabinetoffice.gov.uk/resource-library/ida/attributes';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

// ---------------------------------------------------------------------------------------------
// The typed Matching Data Set

/** One value of an MDS attribute with its history facts; dates are xs:date (yyyy-MM-dd). */
export interface MdsValue<T> {
  value: T;
  from?: string;
  to?: string;
  verified: boolean;
}

export const MDS_GENDERS = ['Male', 'Female', 'Not Specified'] as const;
export type MdsGender = (typeof MDS_GENDERS)[number];

export interface MdsAddress {
  lines: string[];
  postCode?: string;
  internationalPostCode?: string;
  /** Unique Property Reference Number (Ordnance Survey AddressBase): up to 12 digits. */
  uprn?: string;
}

export interface MatchingDataSet {
  firstNames: MdsValue<string>[];
  middleNames: MdsValue<string>[];
  surnames: MdsValue<string>[];
  /** Single-valued in Verify (the hub's MatchingDataset holds an Optional<SimpleMdsValue<Gender>>). */
  gender?: MdsValue<MdsGender>;
  datesOfBirth: MdsValue<string>[];
  currentAddresses: MdsValue<MdsAddress>[];
  previousAddresses: MdsValue<MdsAddress>[];
}

// ---------------------------------------------------------------------------------------------
// Structural faults

export const MDS_FAULT_CODES = {
  /** The input is not XML, carries a DOCTYPE, or its document element is not a saml:Assertion. */
  MDS_MALFORMED: 'the assertion cannot be read as a SAML 2.0 Assertion',
  /** A required attribute (firstname, surname, dateofbirth, currentaddress) is absent. */
  MDS_ATTRIBUTE_MISSING: 'a required MDS attribute is absent',
  /** The same MDS attribute appears twice, or a single-valued one (gender) carries several values. */
  MDS_DUPLICATE_ATTRIBUTE: 'an MDS attribute is repeated',
  /** An AttributeValue's xsi:type, resolved through its namespace prefix, is not the ida type expected. */
  MDS_WRONG_TYPE: 'a value has the wrong xsi:type',
  /** An attribute without values, or a value (name, date, address line, post code) with no text. */
  MDS_VALUE_EMPTY: 'a value is empty',
  /** A date of birth, From or To that is not yyyy-MM-dd or not a real calendar date. */
  MDS_DATE_INVALID: 'a date is malformed or impossible',
  /** A value whose From is after its To. */
  MDS_PERIOD_INVALID: 'a value ends before it starts',
  /** ida:Verified is not an xs:boolean (true, false, 1, 0). */
  MDS_VERIFIED_INVALID: 'a Verified flag is not a boolean',
  /** firstname, surname or dateofbirth with no value marked Verified=true. */
  MDS_NO_VERIFIED_VALUE: 'an attribute that is matched on has no verified value',
  /** A gender other than Male, Female or Not Specified. */
  MDS_GENDER_INVALID: 'a gender outside the Verify vocabulary',
  /** An address without any ida:Line. */
  MDS_ADDRESS_NO_LINE: 'an address has no line',
  /** A UPRN that is not 1 to 12 digits. */
  MDS_UPRN_INVALID: 'a UPRN is not a number',
} as const;
export type MdsFaultCode = keyof typeof MDS_FAULT_CODES;

export interface MdsFault {
  /** The MDS attribute Name (e.g. `MDS_surname`), or `Assertion` for faults of the whole document. */
  attribute: string;
  code: MdsFaultCode;
  detail: string;
}

export type MdsParseResult = { ok: true; mds: MatchingDataSet } | { ok: false; faults: MdsFault[] };

// ---------------------------------------------------------------------------------------------
// What each attribute is

type IdaValueType = 'PersonNameType' | 'GenderType' | 'DateType' | 'AddressType';

interface AttributeRule {
  name: string;
  type: IdaValueType;
  /*
   * Required: what the sender's identity is matched on (names, date of birth) plus the current
   * address, which every Verify IdP asserts at LOA2. Middle names, gender and previous
   * addresses are legitimately absent for many people.
   */
  required: boolean;
  /** Matched on, so a value the IdP did not verify cannot carry the identity. */
  needsVerifiedValue: boolean;
  singleValued: boolean;
}

const rule = (
  name: string,
  type: IdaValueType,
  facts: Partial<Omit<AttributeRule, 'name' | 'type'>> = {},
): AttributeRule => ({
  name,
  type,
  required: false,
  needsVerifiedValue: false,
  singleValued: false,
  ...facts,
});

const FIRST_NAME = rule('MDS_firstname', 'PersonNameType', { required: true, needsVerifiedValue: true });
const MIDDLE_NAME = rule('MDS_middlename', 'PersonNameType');
const SURNAME = rule('MDS_surname', 'PersonNameType', { required: true, needsVerifiedValue: true });
const GENDER = rule('MDS_gender', 'GenderType', { singleValued: true });
const DATE_OF_BIRTH = rule('MDS_dateofbirth', 'DateType', { required: true, needsVerifiedValue: true });
const CURRENT_ADDRESS = rule('MDS_currentaddress', 'AddressType', { required: true });
const PREVIOUS_ADDRESS = rule('MDS_previousaddress', 'AddressType');

const MDS_ATTRIBUTES = [
  FIRST_NAME,
  MIDDLE_NAME,
  SURNAME,
  GENDER,
  DATE_OF_BIRTH,
  CURRENT_ADDRESS,
  PREVIOUS_ADDRESS,
];

type Report = (code: MdsFaultCode, detail: string) => void;

/** Reads the content of one AttributeValue of the right type; reports and answers undefined if bad. */
type ContentReader<T> = (value: Element, report: Report) => T | undefined;

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Reads the MDS from a verified `<saml:Assertion>`. Every structural fault is collected, so one
 * audit entry explains everything wrong with what the IdP sent. Attributes other than the MDS
 * (e.g. TXN_IPaddress) are ignored.
 */
export function parseMatchingDataSet(
  assertionXml: string,
  options: {
    /**
     * Where xsi:type names a prefix the verified bytes do not declare: the prefixes in scope at
     * each element where it sat in the message (SamlOutcome.contentNamespaces). Exclusive C14N,
     * the usual SAML signature transform, keeps only the declarations element and attribute
     * names use, and an encrypting IdP may declare them outside the cleartext; ./qnames.ts says
     * how they are resolved and why that is safe. Without it, only the verified bytes count.
     */
    contentNamespaces?: ContentNamespaces;
  } = {},
): MdsParseResult {
  const assertion = readAssertion(assertionXml);
  if (typeof assertion === 'string') {
    return { ok: false, faults: [{ attribute: 'Assertion', code: 'MDS_MALFORMED', detail: assertion }] };
  }
  const resolve = qnameResolver(assertion, options.contentNamespaces);
  const faults: MdsFault[] = [];
  const found = findMdsAttributes(assertion, faults);
  const read = <T>(attributeRule: AttributeRule, content: ContentReader<T>) =>
    readAttribute(found.get(attributeRule.name), attributeRule, content, faults, resolve);

  const mds: MatchingDataSet = {
    firstNames: read(FIRST_NAME, readName),
    middleNames: read(MIDDLE_NAME, readName),
    surnames: read(SURNAME, readName),
    datesOfBirth: read(DATE_OF_BIRTH, readDateOfBirth),
    currentAddresses: read(CURRENT_ADDRESS, readAddress),
    previousAddresses: read(PREVIOUS_ADDRESS, readAddress),
  };
  const gender = read(GENDER, readGender)[0];
  if (gender) mds.gender = gender;

  return faults.length > 0 ? { ok: false, faults: sortByAttribute(faults) } : { ok: true, mds };
}

/** The Assertion element, or why there is none. */
function readAssertion(xml: string): Element | string {
  // Refused before any parser sees the bytes: a DOCTYPE opens entity expansion and XXE.
  if (hasDoctype(xml)) return 'the input carries a DOCTYPE or ENTITY declaration, never part of SAML';
  let root: Element | null;
  try {
    root = parseXml(xml).documentElement;
  } catch (error) {
    return `not well-formed XML (${error instanceof Error ? error.message : String(error)})`;
  }
  if (!root || root.namespaceURI !== NS.assertion || root.localName !== 'Assertion') {
    const name = root ? `{${root.namespaceURI ?? ''}}${root.localName}` : 'nothing';
    return `the document element is ${name}, not a SAML 2.0 Assertion`;
  }
  return root;
}

/** The MDS attributes by Name, from the assertion's own AttributeStatements (SAML core §2.7.3). */
function findMdsAttributes(assertion: Element, faults: MdsFault[]): Map<string, Element> {
  const mdsNames = new Set(MDS_ATTRIBUTES.map((r) => r.name));
  const found = new Map<string, Element>();
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of children(statement, NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name') ?? '';
      if (!mdsNames.has(name)) continue;
      if (found.has(name)) {
        faults.push({
          attribute: name,
          code: 'MDS_DUPLICATE_ATTRIBUTE',
          detail: `${name} appears more than once; only one Attribute per name is allowed`,
        });
        continue;
      }
      found.set(name, attribute);
    }
  }
  return found;
}

function readAttribute<T>(
  attribute: Element | undefined,
  attributeRule: AttributeRule,
  content: ContentReader<T>,
  faults: MdsFault[],
  resolve: QNameResolver,
): MdsValue<T>[] {
  const { name } = attributeRule;
  const fault = (code: MdsFaultCode, detail: string) => faults.push({ attribute: name, code, detail });
  if (!attribute) {
    if (attributeRule.required) fault('MDS_ATTRIBUTE_MISSING', `${name} is required and absent`);
    return [];
  }
  const valueElements = children(attribute, NS.assertion, 'AttributeValue');
  if (valueElements.length === 0) {
    fault('MDS_VALUE_EMPTY', `${name} has no AttributeValue`);
    return [];
  }
  if (attributeRule.singleValued && valueElements.length > 1) {
    fault('MDS_DUPLICATE_ATTRIBUTE', `${name} carries ${valueElements.length} values; it holds one`);
    return [];
  }
  const faultsBefore = faults.length;
  const values: MdsValue<T>[] = [];
  for (const [index, element] of valueElements.entries()) {
    const report: Report = (code, detail) => fault(code, `value ${index + 1}: ${detail}`);
    const value = readValue(element, attributeRule.type, content, report, resolve);
    if (value) values.push(value);
  }
  // Only when the values themselves were sound: otherwise the earlier fault is the real cause.
  const valuesWereSound = faults.length === faultsBefore;
  if (attributeRule.needsVerifiedValue && valuesWereSound && !values.some((v) => v.verified)) {
    fault('MDS_NO_VERIFIED_VALUE', `none of the ${values.length} value(s) of ${name} is Verified=true`);
  }
  return values;
}

function readValue<T>(
  element: Element,
  expectedType: IdaValueType,
  content: ContentReader<T>,
  report: Report,
  resolve: QNameResolver,
): MdsValue<T> | undefined {
  const typeProblem = checkXsiType(element, expectedType, resolve);
  // Content is only meaningful under its declared type, so a wrong type ends this value's checks.
  if (typeProblem) {
    report('MDS_WRONG_TYPE', typeProblem);
    return undefined;
  }
  let sound = true;
  const reportAndMark: Report = (code, detail) => {
    sound = false;
    report(code, detail);
  };
  const value = content(element, reportAndMark);
  const from = readPeriodDate(element, 'From', reportAndMark);
  const to = readPeriodDate(element, 'To', reportAndMark);
  if (from && to && from > to) reportAndMark('MDS_PERIOD_INVALID', `From ${from} is after To ${to}`);
  const verified = readVerified(element, reportAndMark);
  if (!sound || value === undefined || verified === undefined) return undefined;
  const mdsValue: MdsValue<T> = { value, verified };
  if (from) mdsValue.from = from;
  if (to) mdsValue.to = to;
  return mdsValue;
}

/**
 * xsi:type is a QName, so its prefix is resolved against the namespaces in scope at the value
 * (XML Schema part 1 §2.6.1); `foo:PersonNameType` is right whenever foo is bound to the ida
 * namespace, and `ida:PersonNameType` is wrong when ida is bound elsewhere.
 */
function checkXsiType(element: Element, expected: IdaValueType, resolve: QNameResolver): string | undefined {
  const wanted = `{${IDA_NS}}${expected}`;
  if (!element.hasAttributeNS(XSI_NS, 'type')) return `no xsi:type; expected ${wanted}`;
  const qname = (element.getAttributeNS(XSI_NS, 'type') ?? '').trim();
  const colon = qname.indexOf(':');
  const prefix = colon === -1 ? null : qname.slice(0, colon);
  const localName = colon === -1 ? qname : qname.slice(colon + 1);
  const namespace = resolve(element, prefix);
  if (prefix !== null && namespace === null) {
    return `xsi:type "${qname}" uses the undeclared prefix "${prefix}"; expected ${wanted}`;
  }
  if (namespace !== IDA_NS || localName !== expected) {
    return `xsi:type "${qname}" is {${namespace ?? ''}}${localName}; expected ${wanted}`;
  }
  return undefined;
}

/** ida:From / ida:To: optional xs:date. */
function readPeriodDate(element: Element, name: 'From' | 'To', report: Report): string | undefined {
  if (!element.hasAttributeNS(IDA_NS, name)) return undefined;
  const text = (element.getAttributeNS(IDA_NS, name) ?? '').trim();
  if (!isCalendarDate(text)) {
    report('MDS_DATE_INVALID', `${name} "${text}" is not a real date in the form yyyy-MM-dd`);
    return undefined;
  }
  return text;
}

/** ida:Verified: xs:boolean (XML Schema part 2 §3.2.2); absent means not verified. */
function readVerified(element: Element, report: Report): boolean | undefined {
  if (!element.hasAttributeNS(IDA_NS, 'Verified')) return false;
  const text = (element.getAttributeNS(IDA_NS, 'Verified') ?? '').trim();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  report('MDS_VERIFIED_INVALID', `Verified "${text}" is not one of true, false, 1, 0`);
  return undefined;
}

const readName: ContentReader<string> = (value, report) => {
  const name = textOf(value).trim();
  if (!name) {
    report('MDS_VALUE_EMPTY', 'the name is empty');
    return undefined;
  }
  return name;
};

const readGender: ContentReader<MdsGender> = (value, report) => {
  const text = textOf(value).trim();
  if (!text) {
    report('MDS_VALUE_EMPTY', 'the gender is empty');
    return undefined;
  }
  const gender = MDS_GENDERS.find((g) => g === text);
  if (!gender) report('MDS_GENDER_INVALID', `"${text}" is not one of ${MDS_GENDERS.join(', ')}`);
  return gender;
};

const readDateOfBirth: ContentReader<string> = (value, report) => {
  const text = textOf(value).trim();
  if (!text) {
    report('MDS_VALUE_EMPTY', 'the date of birth is empty');
    return undefined;
  }
  if (!isCalendarDate(text)) {
    report('MDS_DATE_INVALID', `date of birth "${text}" is not a real date in the form yyyy-MM-dd`);
    return undefined;
  }
  return text;
};

const UPRN = /^\d{1,12}$/;

const readAddress: ContentReader<MdsAddress> = (value, report) => {
  const lineElements = children(value, IDA_NS, 'Line');
  if (lineElements.length === 0) {
    report('MDS_ADDRESS_NO_LINE', 'the address has no ida:Line');
    return undefined;
  }
  const lines = lineElements.map((line) => textOf(line).trim());
  let sound = true;
  for (const [index, line] of lines.entries()) {
    if (line) continue;
    report('MDS_VALUE_EMPTY', `address line ${index + 1} is empty`);
    sound = false;
  }
  const optionalText = (localName: string): string | undefined => {
    const element = children(value, IDA_NS, localName)[0];
    if (!element) return undefined;
    const text = textOf(element).trim();
    if (!text) {
      report('MDS_VALUE_EMPTY', `the ${localName} is empty`);
      sound = false;
    }
    return text;
  };
  const postCode = optionalText('PostCode');
  const internationalPostCode = optionalText('InternationalPostCode');
  const uprn = optionalText('UPRN');
  if (uprn && !UPRN.test(uprn)) {
    report('MDS_UPRN_INVALID', `UPRN "${uprn}" is not 1 to 12 digits`);
    sound = false;
  }
  if (!sound) return undefined;
  const address: MdsAddress = { lines };
  if (postCode) address.postCode = postCode;
  if (internationalPostCode) address.internationalPostCode = internationalPostCode;
  if (uprn) address.uprn = uprn;
  return address;
};

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** yyyy-MM-dd naming a day that exists in the proleptic Gregorian calendar (year 0001 onwards). */
export function isCalendarDate(text: string): boolean {
  const parts = CALENDAR_DATE.exec(text);
  if (!parts) return false;
  const year = Number(parts[1]);
  const month = Number(parts[2]);
  const day = Number(parts[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Attribute order as the MDS lists them, document-level faults first; stable within one attribute. */
function sortByAttribute(faults: MdsFault[]): MdsFault[] {
  const rank = (attribute: string) => MDS_ATTRIBUTES.findIndex((r) => r.name === attribute);
  return faults
    .map((fault, index) => ({ fault, index }))
    .sort((a, b) => rank(a.fault.attribute) - rank(b.fault.attribute) || a.index - b.index)
    .map(({ fault }) => fault);
}

// ---------------------------------------------------------------------------------------------
// Level of assurance

/** The levels a sender may require, lowest first (GOV.UK Verify; eIDAS has the same shape). */
export const LEVELS_OF_ASSURANCE = ['level1', 'level2', 'level3', 'level4'] as const;
export type LevelOfAssurance = (typeof LEVELS_OF_ASSURANCE)[number];

/*
 * GOV.UK Verify's IdaAuthnContext defines level1 to level4 (and levelX, "no level", which is not
 * one): LOA1 is "on the balance of probabilities", LOA2 "beyond reasonable doubt" — the level
 * Verify IdPs certified against — with 3 and 4 defined for higher assurance (GPG 45).
 */
const AUTHN_CONTEXT_PREFIX = 'urn:uk:gov:cabinet-office:tc:saml:authn-context:';

/** The level of assurance an AuthnContextClassRef asserts, or undefined for anything else. */
export function levelOfAssurance(authnContextClassRef: string | undefined): LevelOfAssurance | undefined {
  const ref = authnContextClassRef?.trim();
  if (!ref?.startsWith(AUTHN_CONTEXT_PREFIX)) return undefined;
  const level = ref.slice(AUTHN_CONTEXT_PREFIX.length);
  return LEVELS_OF_ASSURANCE.find((known) => known === level);
}

/** The AuthnContextClassRef that names a level, for RequestedAuthnContext (Comparison="minimum"). */
export function authnContextClassRefFor(level: LevelOfAssurance): string {
  return `${AUTHN_CONTEXT_PREFIX}${level}`;
}

/** level1 < level2 < level3 < level4; an unknown level meets nothing. */
export function meetsLevel(actual: LevelOfAssurance | undefined, required: LevelOfAssurance): boolean {
  if (!actual) return false;
  return LEVELS_OF_ASSURANCE.indexOf(actual) >= LEVELS_OF_ASSURANCE.indexOf(required);
}

// ---------------------------------------------------------------------------------------------
// Matching against the identity the sender expected

export interface ExpectedIdentity {
  firstName: string;
  middleNames?: string;
  surname: string;
  /** yyyy-MM-dd */
  dateOfBirth: string;
}

export interface IdentityMatch {
  result: 'match' | 'no-match';
  /** One line per field, for the audit log; never the names or dates compared. */
  reasons: string[];
  /** The MDS values that matched, per field. */
  matched: {
    firstName?: MdsValue<string>;
    middleNames?: MdsValue<string>;
    surname?: MdsValue<string>;
    dateOfBirth?: MdsValue<string>;
  };
}

/*
 * The rules:
 * - first name, surname and date of birth must each equal a value that is verified and current
 *   on `now`'s date in the UK (From absent or not after today; To absent or not before today —
 *   both ends inclusive);
 * - a former surname (verified, To in the past) does not match: the sender names the person
 *   as they are now, and accepting old names widens who could pass. The reason says so, which
 *   helps the sender correct the expectation;
 * - middle names are compared only when both sides have them (the sender gave some, and the MDS
 *   has a verified current value); then they must match like the others;
 * - names are compared by `nameKey`, dates of birth exactly.
 */
export function matchIdentity(mds: MatchingDataSet, expected: ExpectedIdentity, now: Date): IdentityMatch {
  const today = ukDate(now);
  const matched: IdentityMatch['matched'] = {};
  const reasons: string[] = [];
  let allMatched = true;

  const judge = (label: string, values: MdsValue<string>[], wanted: string, sameValue: Comparison) => {
    const verdict = judgeField(label, values, wanted, sameValue, today);
    reasons.push(verdict.reason);
    if (!verdict.matched) allMatched = false;
    return verdict.matched;
  };

  const firstName = judge('first name', mds.firstNames, expected.firstName, sameName);
  if (firstName) matched.firstName = firstName;

  const expectedMiddle = nameKey(expected.middleNames ?? '');
  const currentMiddle = mds.middleNames.filter((v) => v.verified && isCurrent(v, today));
  if (!expectedMiddle) {
    reasons.push('middle names: not compared — the sender gave none');
  } else if (currentMiddle.length === 0) {
    reasons.push('middle names: not compared — the MDS has no verified current middle names');
  } else {
    const middleNames = judge('middle names', mds.middleNames, expected.middleNames ?? '', sameName);
    if (middleNames) matched.middleNames = middleNames;
  }

  const surname = judge('surname', mds.surnames, expected.surname, sameName);
  if (surname) matched.surname = surname;

  const dateOfBirth = judge('date of birth', mds.datesOfBirth, expected.dateOfBirth, sameDate);
  if (dateOfBirth) matched.dateOfBirth = dateOfBirth;

  return { result: allMatched ? 'match' : 'no-match', reasons, matched };
}

type Comparison = (mdsValue: string, expected: string) => boolean;

const sameName: Comparison = (mdsValue, expected) => nameKey(mdsValue) === nameKey(expected);
const sameDate: Comparison = (mdsValue, expected) => mdsValue.trim() === expected.trim();

function judgeField(
  label: string,
  values: MdsValue<string>[],
  wanted: string,
  sameValue: Comparison,
  today: string,
): { matched?: MdsValue<string>; reason: string } {
  const equal = values.filter((v) => sameValue(v.value, wanted));
  const matched = equal.find((v) => v.verified && isCurrent(v, today));
  if (matched) return { matched, reason: `${label}: matched a verified current value` };
  const noMatch = `${label}: no match —`;
  if (values.length === 0) return { reason: `${noMatch} the MDS has no value` };
  if (equal.length === 0) {
    return { reason: `${noMatch} none of the ${values.length} MDS value(s) equals the expected one` };
  }
  const verifiedEqual = equal.filter((v) => v.verified);
  if (verifiedEqual.length === 0) return { reason: `${noMatch} equals only an unverified value` };
  const ended = verifiedEqual.find((v) => v.to !== undefined && v.to < today);
  if (ended) return { reason: `${noMatch} equals only a former verified value (To ${ended.to})` };
  const future = verifiedEqual.find((v) => v.from !== undefined && v.from > today);
  return { reason: `${noMatch} equals only a verified value not yet in force (From ${future?.from})` };
}

function isCurrent(value: MdsValue<unknown>, today: string): boolean {
  if (value.from !== undefined && value.from > today) return false;
  if (value.to !== undefined && value.to < today) return false;
  return true;
}

/** The calendar date in the UK, where Verify's xs:date values are meant, as yyyy-MM-dd. */
export function ukDate(now: Date): string {
  // en-CA formats dates as yyyy-MM-dd.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

const HYPHENS_SPACES_AND_STOPS = /[\s\-‐‑‒–—―_.,]+/gu;
const APOSTROPHES = /['’‘ʼ`´]/gu;
const COMBINING_MARKS = /\p{M}/gu;

/**
 * The comparison key of a name:
 * - Unicode NFKD with combining marks removed, so "Zoë" = "Zoe" and ligatures/full-width letters
 *   fold to their plain letters;
 * - case folded (upper then lower, so "ß" = "SS" = "ss");
 * - apostrophes removed, so "O'Brien" = "O’Brien" = "OBrien": many registers cannot store them;
 * - hyphens, dashes, full stops, commas and runs of white space are one separator, so
 *   "Smith-Jones" = "Smith  Jones", but "SmithJones" stays a different spelling;
 * - trimmed.
 */
export function nameKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .replace(APOSTROPHES, '')
    .replace(HYPHENS_SPACES_AND_STOPS, ' ')
    .trim();
}

// ---------------------------------------------------------------------------------------------
// For the certificate of completion

const FIELD_LABELS: [keyof IdentityMatch['matched'], string][] = [
  ['firstName', 'first name'],
  ['middleNames', 'middle names'],
  ['surname', 'surname'],
  ['dateOfBirth', 'date of birth'],
];

/** e.g. "GOV.UK Verify MDS, level2, match (first name, surname, date of birth)". */
export function describeForCertificate(level: LevelOfAssurance | undefined, match: IdentityMatch): string {
  const head = `GOV.UK Verify MDS, ${level ?? 'level unknown'}`;
  const matchedFields = FIELD_LABELS.filter(([key]) => match.matched[key]).map(([, label]) => label);
  if (match.result === 'match') return `${head}, match (${matchedFields.join(', ')})`;
  const failed = FIELD_LABELS.map(([, label]) => label).filter((label) =>
    match.reasons.some((reason) => reason.startsWith(`${label}: no match`)),
  );
  return `${head}, no match (${failed.join(', ')} not matched)`;
}
