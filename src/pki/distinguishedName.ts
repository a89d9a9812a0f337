import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SignetError } from '../errors.ts';

/*
 * Distinguished names as an operator writes them on the command line ("CN=Acme Seal,O=Acme
 * GmbH,C=DE", RFC 4514) and as certificates carry them (an X.501 RDNSequence, RFC 5280
 * §4.1.2.4). Written by hand because neither Node nor pkijs parses the string form; the
 * encoding itself is pkijs'.
 *
 * RFC 4514 §2.1 writes the most specific RDN first, so "CN=…,O=…,C=…" is encoded C, O, CN —
 * the order `openssl x509 -subject` prints back.
 */

/** A Name already encoded (DER RDNSequence), e.g. copied byte for byte from a CSR. */
export interface EncodedName {
  der: Uint8Array;
}

type StringKind = 'utf8' | 'printable' | 'ia5';

interface AttributeType {
  oid: string;
  /** How the value is encoded: RFC 5280 Appendix A fixes PrintableString for C and serialNumber. */
  kind: StringKind;
  /** Upper bounds of RFC 5280 Appendix A (ub-…), in characters. */
  maxLength: number;
  check?: (value: string) => string | undefined;
}

/** The attributes a seal or CA certificate needs; names as RFC 4514 §3 and ETSI EN 319 412-1 spell them. */
const ATTRIBUTE_TYPES: Record<string, AttributeType> = {
  CN: { oid: '2.5.4.3', kind: 'utf8', maxLength: 64 },
  O: { oid: '2.5.4.10', kind: 'utf8', maxLength: 64 },
  OU: { oid: '2.5.4.11', kind: 'utf8', maxLength: 64 },
  C: {
    oid: '2.5.4.6',
    kind: 'printable',
    maxLength: 2,
    check: (value) => (/^[A-Z]{2}$/.test(value) ? undefined : 'C is a two-letter ISO 3166 code, e.g. DE'),
  },
  L: { oid: '2.5.4.7', kind: 'utf8', maxLength: 128 },
  ST: { oid: '2.5.4.8', kind: 'utf8', maxLength: 128 },
  SERIALNUMBER: { oid: '2.5.4.5', kind: 'printable', maxLength: 64 },
  // ETSI EN 319 412-1 §5.1.4: "VATDE-123456789", "NTRDE-HRB12345"; eIDAS seals name the organisation by it.
  ORGANIZATIONIDENTIFIER: { oid: '2.5.4.97', kind: 'utf8', maxLength: 64 },
  EMAILADDRESS: { oid: '1.2.840.113549.1.9.1', kind: 'ia5', maxLength: 255 },
};
const ALIASES: Record<string, string> = { E: 'EMAILADDRESS' };
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.5': 'serialNumber',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** X.680 §41.4: the characters a PrintableString may hold. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

const invalid = (text: string, why: string) =>
  new SignetError('DISTINGUISHED_NAME_INVALID', `cannot read the name "${text}": ${why}`);

/** Encodes "CN=…,O=…,C=…" (RFC 4514) as a DER Name, one attribute per RDN. */
export function parseDistinguishedName(text: string): EncodedName {
  if (text.trim() === '') throw invalid(text, 'it names no attribute');
  const pairs = splitUnescaped(text, ',').map((part) => readPair(text, part));
  const rdns = pairs.reverse().map(
    ({ type, value }) =>
      new asn1js.Set({
        value: [
          new pkijs.AttributeTypeAndValue({ type: type.oid, value: encodeValue(type, value) }).toSchema(),
        ],
      }),
  );
  return { der: new Uint8Array(new asn1js.Sequence({ value: rdns }).toBER()) };
}

/** A DER Name as RFC 4514 text, most specific first ("CN=Acme Seal,O=Acme GmbH,C=DE"). */
export function formatDistinguishedName(der: Uint8Array): string {
  const name = pkijs.RelativeDistinguishedNames.fromBER(der);
  return name.typesAndValues
    .map(({ type, value }) => `${SHORT_NAMES[type] ?? type}=${escapeValue(String(value.valueBlock.value))}`)
    .reverse()
    .join(',');
}

function readPair(text: string, part: string): { type: AttributeType; value: string } {
  if (splitUnescaped(part, '+').length > 1) {
    throw invalid(text, 'multi-valued RDNs ("+") are not supported; separate attributes with ","');
  }
  const equals = indexOfUnescaped(part, '=');
  if (equals < 0) throw invalid(text, `"${part.trim()}" is not TYPE=value`);
  const written = part.slice(0, equals).trim();
  const key = written.toUpperCase();
  const type = ATTRIBUTE_TYPES[ALIASES[key] ?? key];
  if (!type) {
    const known = [...Object.values(SHORT_NAMES), 'E'].join(', ');
    throw invalid(text, `unknown attribute "${written}" (known: ${known})`);
  }
  const value = unescapeValue(text, trimUnescaped(part.slice(equals + 1)));
  if (value === '') throw invalid(text, `${written} is empty`);
  const problem = type.check?.(value);
  if (problem) throw invalid(text, problem);
  if ([...value].length > type.maxLength) {
    throw invalid(text, `${written} is longer than ${type.maxLength} characters`);
  }
  if (type.kind === 'printable' && !PRINTABLE.test(value)) {
    throw invalid(text, `${written} may hold only letters, digits, spaces and '()+,-./:=?`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: IA5String is 7-bit ASCII, controls included
  if (type.kind === 'ia5' && !/^[\x00-\x7f]*$/.test(value)) throw invalid(text, `${written} must be ASCII`);
  return { type, value };
}

function encodeValue(type: AttributeType, value: string) {
  if (type.kind === 'printable') return new asn1js.PrintableString({ value });
  if (type.kind === 'ia5') return new asn1js.IA5String({ value });
  return new asn1js.Utf8String({ value });
}

/** Splits at each `separator` not preceded by a backslash escape. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? '';
    if (char === '\\') {
      current += char + (text[index + 1] ?? '');
      index++;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function indexOfUnescaped(text: string, char: string): number {
  for (let index = 0; index < text.length; index++) {
    if (text[index] === '\\') index++;
    else if (text[index] === char) return index;
  }
  return -1;
}

/** Leading spaces, and trailing ones unless escaped ("\ "), are not part of the value (RFC 4514 §2.4). */
function trimUnescaped(value: string): string {
  let end = value.length;
  while (end > 0 && value[end - 1] === ' ' && value[end - 2] !== '\\') end--;
  return value.slice(0, end).replace(/^ +/, '');
}

/** RFC 4514 §3: `\` followed by a special character, or by two hex digits of a UTF-8 octet. */
function unescapeValue(text: string, value: string): string {
  const bytes: number[] = [];
  for (let index = 0; index < value.length; index++) {
    const char = value[index] ?? '';
    if (char !== '\\') {
      bytes.push(...Buffer.from(char, 'utf8'));
      continue;
    }
    const next = value.slice(index + 1, index + 3);
    if (/^[0-9a-fA-F]{2}$/.test(next)) {
      bytes.push(Number.parseInt(next, 16));
      index += 2;
    } else if (next[0] !== undefined && ' "#+,;<=>\\'.includes(next[0])) {
      bytes.push(next.charCodeAt(0));
      index += 1;
    } else {
      throw invalid(text, `"\\${next[0] ?? ''}" is not an escape RFC 4514 knows`);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function escapeValue(value: string): string {
  return value
    .replace(/[\\",+;<>=]/g, (char) => `\\${char}`)
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}
