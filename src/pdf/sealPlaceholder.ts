import { DEFAULT_BYTE_RANGE_PLACEHOLDER, SUBFILTER_ETSI_CADES_DETACHED } from '@signpdf/utils';
import {
  PDFArray,
  PDFDict,
  type PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  type PDFRef,
  PDFString,
} from 'pdf-lib';

/*
 * Adds an empty signature to a pdf-lib document: the signature dictionary with room for the
 * CMS, and an invisible signature field pointing at it. @signpdf/signpdf then measures the
 * saved file, writes the real /ByteRange and drops the CMS into /Contents.
 *
 * Written here rather than taken from @signpdf/placeholder-pdf-lib because that one always
 * writes /Reason, /Location, /Name and /ContactInfo (empty when we have nothing to say) and
 * always names the field "Signature1", which clashes with a field of that name in the document.
 */

/**
 * Bytes reserved for the DER CMS. A B-B seal with an RSA-2048 key and its issuing CA takes
 * about 3 KiB; the rest leaves room for the signature time-stamp token (B-T, typically 4–6 KiB
 * with its TSA chain) that a later step adds to the same CMS.
 */
export const SIGNATURE_CONTENTS_BYTES = 16 * 1024;

export interface SignatureDictionaryFields {
  /** Claimed signing time, written as /M (ISO 32000-1 §12.8.1, Table 252). */
  signingTime: Date;
  reason?: string;
  location?: string;
  name?: string;
  contactInfo?: string;
}

const FIELD_NAME = 'Signet seal';
/** Annotation flags (ISO 32000-1 §12.5.3): Print (PDF/A requires it) and Locked. */
const ANNOTATION_FLAGS = 4 | 128;
/** SigFlags (ISO 32000-1 §12.7.2): SignaturesExist | AppendOnly — readers must save incrementally. */
const SIG_FLAGS = 1 | 2;

export function addSignaturePlaceholder(document: PDFDocument, fields: SignatureDictionaryFields): void {
  const signature = document.context.register(signatureDictionary(document, fields));
  const page = document.getPage(0);
  const widget = document.context.register(
    document.context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      T: PDFString.of(uniqueFieldName(document)),
      // A zero-size rectangle makes the signature invisible (ISO 32000-1 §12.7.4.5).
      Rect: [0, 0, 0, 0],
      F: ANNOTATION_FLAGS,
      P: page.ref,
      V: signature,
      // An empty appearance: PDF/A wants every widget to have one, even an invisible widget.
      AP: {
        N: document.context.register(document.context.formXObject([], { BBox: [0, 0, 0, 0], Resources: {} })),
      },
    }),
  );
  appendToArray(document, page.node, 'Annots', widget);
  const acroForm = acroFormOf(document);
  appendToArray(document, acroForm, 'Fields', widget);
  const sigFlags = acroForm.lookupMaybe(PDFName.of('SigFlags'), PDFNumber)?.asNumber() ?? 0;
  acroForm.set(PDFName.of('SigFlags'), PDFNumber.of(sigFlags | SIG_FLAGS));
}

/**
 * ISO 32000-1 §12.8.1 Table 252, with the SubFilter of EN 319 142-1 for CAdES-based PAdES.
 * /ByteRange precedes /Contents and holds name placeholders: @signpdf/signpdf finds the first
 * by DEFAULT_BYTE_RANGE_PLACEHOLDER and then looks for /Contents after it.
 */
function signatureDictionary(document: PDFDocument, fields: SignatureDictionaryFields): PDFDict {
  const placeholder = PDFName.of(DEFAULT_BYTE_RANGE_PLACEHOLDER);
  const dictionary = document.context.obj({
    Type: 'Sig',
    Filter: 'Adobe.PPKLite',
    SubFilter: SUBFILTER_ETSI_CADES_DETACHED,
    ByteRange: [PDFNumber.of(0), placeholder, placeholder, placeholder],
    Contents: PDFHexString.of('00'.repeat(SIGNATURE_CONTENTS_BYTES)),
    M: PDFString.fromDate(fields.signingTime),
  });
  const optionalText: [string, string | undefined][] = [
    ['Name', fields.name],
    ['Reason', fields.reason],
    ['Location', fields.location],
    ['ContactInfo', fields.contactInfo],
  ];
  for (const [key, value] of optionalText) {
    // Text strings as UTF-16BE with BOM (§7.9.2.2) so any language survives.
    if (value) dictionary.set(PDFName.of(key), PDFHexString.fromText(value));
  }
  dictionary.set(PDFName.of('Prop_Build'), document.context.obj({ App: { Name: 'Signet' } }));
  return dictionary;
}

function acroFormOf(document: PDFDocument): PDFDict {
  const existing = document.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  if (existing) return existing;
  const acroForm = document.context.obj({ Fields: [] });
  document.catalog.set(PDFName.of('AcroForm'), document.context.register(acroForm));
  return acroForm;
}

/** Field names must be unique among siblings (§12.7.3.2); add a counter if ours is taken. */
function uniqueFieldName(document: PDFDocument): string {
  const fields = document.catalog
    .lookupMaybe(PDFName.of('AcroForm'), PDFDict)
    ?.lookupMaybe(PDFName.of('Fields'), PDFArray);
  const taken = new Set<string>();
  for (let i = 0; i < (fields?.size() ?? 0); i++) {
    const name = fields?.lookupMaybe(i, PDFDict)?.lookupMaybe(PDFName.of('T'), PDFString, PDFHexString);
    if (name) taken.add(name.decodeText());
  }
  let candidate = FIELD_NAME;
  for (let n = 2; taken.has(candidate); n++) candidate = `${FIELD_NAME} ${n}`;
  return candidate;
}

function appendToArray(document: PDFDocument, owner: PDFDict, key: string, item: PDFRef): void {
  const array = owner.lookupMaybe(PDFName.of(key), PDFArray);
  if (array) {
    array.push(item);
    return;
  }
  owner.set(PDFName.of(key), document.context.obj([item]));
}
