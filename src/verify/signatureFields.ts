import * as asn1js from 'asn1js';
import {
  PDFArray,
  PDFDict,
  type PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  type PDFObject,
  PDFRef,
  PDFString,
} from 'pdf-lib';
import { docMdpPermissionOf } from '../pdf/docMdp.ts';
import { type Finding, finding, type SignatureKind } from './report.ts';
import { latin1 } from './revisions.ts';

/*
 * Signature fields and their signature dictionaries (ISO 32000-1 §12.7.4.5, §12.8.1; document
 * time-stamps ISO 32000-2 §12.8.5), and the raw bytes a signature dictionary points at.
 */

export interface SignatureField {
  /** Fully qualified field name (§12.7.3.2): the partial names of its ancestors joined by dots. */
  name: string;
  fieldRef?: PDFRef;
  /** The signature dictionary (/V), and its reference when it is indirect. */
  signature: PDFDict;
  signatureRef?: PDFRef;
}

/** Guards against cyclic /Kids and absurdly deep field trees in hostile files. */
const MAX_FIELD_DEPTH = 32;

/** Every terminal signature field with a value, in /Fields order. */
export function signatureFieldsOf(document: PDFDocument): SignatureField[] {
  const acroForm = document.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  const fields = acroForm?.lookupMaybe(PDFName.of('Fields'), PDFArray);
  if (!fields) return [];
  const found: SignatureField[] = [];
  const seen = new Set<string>();
  const visit = (entry: PDFObject, parentName: string, inheritedType: string | undefined, depth: number) => {
    if (depth > MAX_FIELD_DEPTH) return;
    const ref = entry instanceof PDFRef ? entry : undefined;
    if (ref) {
      if (seen.has(ref.toString())) return;
      seen.add(ref.toString());
    }
    const field = document.context.lookup(entry);
    if (!(field instanceof PDFDict)) return;
    const partial = textOf(field.get(PDFName.of('T')));
    const name = partial === undefined ? parentName : parentName ? `${parentName}.${partial}` : partial;
    const type = field.lookupMaybe(PDFName.of('FT'), PDFName)?.decodeText() ?? inheritedType;
    const kids = field.lookupMaybe(PDFName.of('Kids'), PDFArray);
    const fieldKids = kids?.asArray().filter((kid) => {
      const dict = document.context.lookup(kid);
      return dict instanceof PDFDict && dict.has(PDFName.of('T'));
    });
    if (fieldKids && fieldKids.length > 0) {
      for (const kid of fieldKids) visit(kid, name, type, depth + 1);
      return;
    }
    if (type !== 'Sig') return;
    const value = field.get(PDFName.of('V'));
    const signature = document.context.lookup(value);
    if (!(signature instanceof PDFDict)) return;
    found.push({
      name: name || '(unnamed)',
      ...(ref ? { fieldRef: ref } : {}),
      signature,
      ...(value instanceof PDFRef ? { signatureRef: value } : {}),
    });
  };
  for (const entry of fields.asArray()) visit(entry, '', undefined, 0);
  return found;
}

export interface SignatureDictionary {
  kind: SignatureKind;
  subFilter?: string;
  byteRange?: number[];
  /** /Contents as pdf-lib parsed it. */
  contents?: Uint8Array;
  /** /M as ISO 8601 when it parses as a PDF date (§7.9.4). */
  claimedTime?: Date;
  /** The DocMDP permission (/Reference … /TransformMethod /DocMDP /TransformParams /P), §12.8.2.2. */
  docMdpPermission?: 1 | 2 | 3;
}

export function readSignatureDictionary(document: PDFDocument, signature: PDFDict): SignatureDictionary {
  const type = signature.lookupMaybe(PDFName.of('Type'), PDFName)?.decodeText();
  const subFilter = signature.lookupMaybe(PDFName.of('SubFilter'), PDFName)?.decodeText();
  const kind: SignatureKind =
    type === 'DocTimeStamp' || subFilter === 'ETSI.RFC3161' ? 'document-timestamp' : 'signature';
  const byteRangeArray = signature.lookupMaybe(PDFName.of('ByteRange'), PDFArray);
  const byteRange = byteRangeArray?.asArray().map((item) => {
    const number = document.context.lookup(item);
    return number instanceof PDFNumber ? number.asNumber() : Number.NaN;
  });
  const contents = signature.lookup(PDFName.of('Contents'));
  const claimed = textOf(signature.lookup(PDFName.of('M')));
  const claimedTime = claimed === undefined ? undefined : parsePdfDate(claimed);
  const docMdpPermission = docMdpPermissionOf(document, signature);
  return {
    kind,
    ...(subFilter ? { subFilter } : {}),
    ...(byteRange ? { byteRange } : {}),
    ...(contents instanceof PDFHexString || contents instanceof PDFString
      ? { contents: contents.asBytes() }
      : {}),
    ...(claimedTime ? { claimedTime } : {}),
    ...(docMdpPermission ? { docMdpPermission } : {}),
  };
}

/** Text of a PDF string object, or undefined for anything else. */
export function textOf(object: PDFObject | undefined): string | undefined {
  if (object instanceof PDFString || object instanceof PDFHexString) return object.decodeText();
  return undefined;
}

/** ISO 32000-1 §7.9.4: D:YYYYMMDDHHmmSSOHH'mm, every part after the year optional. */
export function parsePdfDate(value: string): Date | undefined {
  const match = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?'?/.exec(
    value,
  );
  if (!match) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', sign, oh = '00', om = '00'] = match;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const offsetMinutes = (Number(oh) * 60 + Number(om)) * (sign === '-' ? -1 : sign === '+' ? 1 : 0);
  const date = new Date(utc - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The CMS may be at most this large; a real one with a B-LT payload stays well below 1 MiB. */
export const MAX_CMS_BYTES = 2 * 1024 * 1024;

export interface SignedBytes {
  /** The two ranges concatenated: what the signature covers. */
  content: Uint8Array;
  /** The DER CMS (or time-stamp token) from the gap, without zero padding. */
  cms: Uint8Array;
  /** Offset where the signed bytes end. */
  signedEnd: number;
}

/**
 * Checks a ByteRange against the file itself (ISO 32000-1 §12.8.1, ETSI EN 319 142-1 §5.1):
 * four non-negative integers, the first range starting at 0, the gap between the ranges being
 * exactly the `<…>` hex string of /Contents, both ranges inside the file. Returns the signed
 * bytes and the CMS, or the findings that explain why not.
 */
export function readSignedBytes(
  pdf: Uint8Array,
  dictionary: SignatureDictionary,
): { ok: true; value: SignedBytes } | { ok: false; findings: Finding[] } {
  const fail = (code: string, message: string) => ({
    ok: false as const,
    findings: [finding(code, 'error', message)],
  });
  const range = dictionary.byteRange;
  if (range?.length !== 4 || !range.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    return fail('BYTE_RANGE_INVALID', 'the /ByteRange is not four non-negative integers');
  }
  const [start1, length1, start2, length2] = range as [number, number, number, number];
  if (start1 !== 0)
    return fail('BYTE_RANGE_INVALID', 'the /ByteRange does not start at the beginning of the file');
  if (start2 < length1 + 2)
    return fail('BYTE_RANGE_INVALID', 'the /ByteRange ranges overlap or leave no gap');
  if (start2 + length2 > pdf.length) {
    return fail(
      'BYTE_RANGE_INVALID',
      `the /ByteRange reaches byte ${start2 + length2}, past the end of the file (${pdf.length})`,
    );
  }
  const gapHexLength = start2 - length1 - 2;
  if (gapHexLength > MAX_CMS_BYTES * 2) {
    return fail(
      'SIGNATURE_CONTENTS_TOO_LARGE',
      `the /Contents gap holds ${gapHexLength} hex digits, more than this validator accepts`,
    );
  }
  if (pdf[length1] !== 0x3c || pdf[start2 - 1] !== 0x3e) {
    return fail(
      'BYTE_RANGE_INVALID',
      'the gap between the /ByteRange ranges is not the /Contents hex string',
    );
  }
  const hex = latin1(pdf.subarray(length1 + 1, start2 - 1));
  if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length % 2 !== 0) {
    return fail(
      'BYTE_RANGE_INVALID',
      'the gap between the /ByteRange ranges holds more than the /Contents hex string',
    );
  }
  const padded = Buffer.from(hex, 'hex');
  if (dictionary.contents && !Buffer.from(dictionary.contents).equals(padded)) {
    return fail(
      'SIGNATURE_DICTIONARY_MISMATCH',
      'the signature dictionary the document now uses is not the one whose /Contents the ByteRange excludes',
    );
  }
  const cmsLength = derElementLength(padded);
  if (cmsLength === undefined || cmsLength > padded.length) {
    return fail('CMS_MALFORMED', 'the /Contents does not hold a DER-encoded CMS object');
  }
  const content = Buffer.concat([
    pdf.subarray(start1, start1 + length1),
    pdf.subarray(start2, start2 + length2),
  ]);
  return {
    ok: true,
    value: {
      content: new Uint8Array(content),
      cms: new Uint8Array(padded.subarray(0, cmsLength)),
      signedEnd: start2 + length2,
    },
  };
}

/** BER indefinite length (X.690 §8.1.3.6), as some OpenSSL-based signers write: let asn1js find the end. */
function berIndefiniteLength(bytes: Uint8Array): number | undefined {
  const parsed = asn1js.fromBER(bytes);
  return parsed.offset === -1 ? undefined : parsed.offset;
}

/** Length of the definite-length DER element at the start of `bytes` (X.690 §8.1.3). */
function derElementLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 2 || bytes[0] !== 0x30) return undefined;
  const first = bytes[1] ?? 0;
  if ((first & 0x80) === 0) return 2 + first;
  if (first === 0x80) return berIndefiniteLength(bytes);
  const lengthBytes = first & 0x7f;
  if (lengthBytes === 0 || lengthBytes > 4 || bytes.length < 2 + lengthBytes) return undefined;
  let length = 0;
  for (let i = 0; i < lengthBytes; i++) length = length * 256 + (bytes[2 + i] ?? 0);
  return 2 + lengthBytes + length;
}
