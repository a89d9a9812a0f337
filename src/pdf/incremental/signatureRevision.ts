import { createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFHexString, PDFNumber, type PDFObject, PDFRef, PDFString } from 'pdf-lib';
import { SignetError } from '../../errors.ts';
import { normalizeRotation, type QuarterTurn } from '../composeGeometry.ts';
import { IncrementalUpdate, serialize } from './incrementalUpdate.ts';
import type { PdfBuffer } from './pdfBuffer.ts';
import { openPdfFile, type PdfFile } from './pdfFile.ts';
import { pdfName } from './pdfName.ts';
import { signatureAppearanceStream, type VisibleSignature } from './signatureAppearance.ts';

/*
 * Appends one signature (or document time-stamp) to a PDF as its own incremental update:
 * a signature field merged with its widget, the signature dictionary with a /Contents hole,
 * and the /ByteRange that covers everything but that hole (ISO 32000-1 §12.8.1). The caller
 * turns the digest of the covered bytes into the DER that fills the hole: a CMS SignedData
 * for a signature, an RFC 3161 token for a document time-stamp (ETSI EN 319 142-1 §5.4).
 */

export type SignatureKind = 'signature' | 'document-timestamp';

export interface SignatureRevisionOptions {
  kind: SignatureKind;
  fieldName: string;
  /** Bytes reserved for the DER that goes into /Contents. */
  contentsBytes: number;
  /** /M: the claimed signing time (not written for document time-stamps). */
  signingTime?: Date;
  name?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  /** Absent: an invisible signature (zero-size widget on the first page). */
  visible?: VisibleSignature;
  /**
   * Makes this the document's certification signature (ISO 32000-1 §12.8.2.2, DocMDP) with
   * the given permission: 1 no changes, 2 form filling and signing, 3 also annotations. Only
   * the first signature of a document may certify; anything else is refused.
   */
  certify?: 1 | 2 | 3;
}

/** Produces the DER for /Contents from the SHA-256 of the bytes /ByteRange covers. */
export type ContentsProducer = (digest: Uint8Array) => Promise<Uint8Array>;

/** Annotation flags (ISO 32000-1 §12.5.3): Print (PDF/A needs it) and Locked. */
const WIDGET_FLAGS = 4 | 128;
/** §12.7.2 Table 219: SignaturesExist | AppendOnly — tells writers to save incrementally. */
const SIG_FLAGS = 3;
/** Ten digits hold any offset below 10 GB; the placeholder has a fixed width so nothing moves. */
const BYTE_RANGE_PLACEHOLDER = '[0 0000000000 0000000000 0000000000]';

/** Appends the revision to `target` in place and returns the whole signed file (a view of it). */
export async function appendSignatureRevision(
  target: PdfBuffer,
  options: SignatureRevisionOptions,
  produceContents: ContentsProducer,
): Promise<Uint8Array> {
  const file = openPdfFile(target.bytes);
  const update = new IncrementalUpdate(file);
  if (options.certify !== undefined && (options.kind !== 'signature' || carriesSignatureField(file))) {
    throw new SignetError('PDF_ALREADY_SIGNED', 'only the first signature of a document can certify it');
  }
  const pageIndex = options.visible?.pageIndex ?? 0;
  const pageRef = file.pageRef(pageIndex);
  if (!pageRef) {
    throw new SignetError('PDF_PAGE_MISSING', `the document has no page ${pageIndex + 1}`);
  }

  const signatureRef = update.allocate();
  const rawSignature = signatureDictionary(options);
  update.set(signatureRef, { raw: rawSignature.bytes });

  const fieldName = uniqueFieldName(update, options.fieldName);
  const widget = PDFDict.withContext(file.context);
  widget.set(pdfName('Type'), pdfName('Annot'));
  widget.set(pdfName('Subtype'), pdfName('Widget'));
  widget.set(pdfName('FT'), pdfName('Sig'));
  widget.set(pdfName('T'), PDFHexString.fromText(fieldName));
  widget.set(pdfName('V'), signatureRef);
  widget.set(pdfName('F'), PDFNumber.of(WIDGET_FLAGS));
  widget.set(pdfName('P'), pageRef);
  const rect = options.visible?.rect ?? [0, 0, 0, 0];
  widget.set(pdfName('Rect'), numberArray(file, rect));
  if (options.visible) {
    const appearance = signatureAppearanceStream(file, update, options.visible, pageRotation(file, pageRef));
    const ap = PDFDict.withContext(file.context);
    ap.set(pdfName('N'), appearance);
    widget.set(pdfName('AP'), ap);
  }
  const widgetRef = update.add(widget);

  addToPageAnnotations(update, pageRef, widgetRef);
  addToAcroForm(update, widgetRef);
  if (options.certify !== undefined) addDocMdpPermission(update, signatureRef);

  const { bytes, bodyOffsets } = update.appendTo(target);
  const bodyOffset = bodyOffsets.get(signatureRef.objectNumber);
  if (bodyOffset === undefined) throw new Error('signature dictionary was not written');
  return fillSignature(bytes, bodyOffset, rawSignature, options.contentsBytes, produceContents);
}

interface RawSignatureDictionary {
  bytes: Uint8Array;
  byteRangeAt: number;
  contentsAt: number;
  contentsLength: number;
}

function signatureDictionary(options: SignatureRevisionOptions): RawSignatureDictionary {
  const isTimestamp = options.kind === 'document-timestamp';
  let head = isTimestamp
    ? '<</Type/DocTimeStamp/Filter/Adobe.PPKLite/SubFilter/ETSI.RFC3161'
    : '<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached';
  head += '/ByteRange ';
  const byteRangeAt = head.length;
  head += `${BYTE_RANGE_PLACEHOLDER}/Contents `;
  const contentsAt = head.length;
  const contentsLength = options.contentsBytes * 2 + 2;
  let tail = '';
  if (!isTimestamp && options.signingTime) tail += `/M(${pdfDate(options.signingTime)})`;
  if (options.name) tail += `/Name${pdfText(options.name)}`;
  if (options.reason) tail += `/Reason${pdfText(options.reason)}`;
  if (options.location) tail += `/Location${pdfText(options.location)}`;
  if (options.contactInfo) tail += `/ContactInfo${pdfText(options.contactInfo)}`;
  if (options.certify !== undefined) {
    // §12.8.1 Table 253 / §12.8.2.2 Table 254: the signature reference that makes it certify.
    tail += `/Reference[<</Type/SigRef/TransformMethod/DocMDP/DigestMethod/SHA256/TransformParams<</Type/TransformParams/P ${options.certify}/V/1.2>>>>]`;
  }
  tail += '>>';
  // Written into one buffer: the hole is most of the dictionary (tens of KiB of "0"), and as a
  // string it was built, flattened and copied again on every signature.
  const bytes = Buffer.allocUnsafe(contentsAt + contentsLength + tail.length);
  bytes.write(head, 0, 'latin1');
  bytes[contentsAt] = 0x3c; // <
  bytes.fill(0x30, contentsAt + 1, contentsAt + contentsLength - 1); // 0
  bytes[contentsAt + contentsLength - 1] = 0x3e; // >
  bytes.write(tail, contentsAt + contentsLength, 'latin1');
  return { bytes, byteRangeAt, contentsAt, contentsLength };
}

async function fillSignature(
  bytes: Uint8Array,
  bodyOffset: number,
  raw: RawSignatureDictionary,
  contentsBytes: number,
  produceContents: ContentsProducer,
): Promise<Uint8Array> {
  const holeStart = bodyOffset + raw.contentsAt;
  const holeEnd = holeStart + raw.contentsLength;
  const byteRange = [0, holeStart, holeEnd, bytes.length - holeEnd];
  const rendered = `[${byteRange.join(' ')}]`.padEnd(BYTE_RANGE_PLACEHOLDER.length, ' ');
  const output = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  output.write(rendered, bodyOffset + raw.byteRangeAt, 'latin1');

  const digest = createHash('sha256')
    .update(output.subarray(0, holeStart))
    .update(output.subarray(holeEnd))
    .digest();
  const contents = await produceContents(new Uint8Array(digest));
  if (contents.length > contentsBytes) {
    throw new SignetError(
      'SIGNATURE_TOO_LARGE',
      `the signature needs ${contents.length} bytes but only ${contentsBytes} were reserved`,
    );
  }
  output.write(Buffer.from(contents).toString('hex'), holeStart + 1, 'latin1');
  return bytes;
}

/** The page's /Rotate, inherited through the page tree (ISO 32000-1 §7.7.3.4), as a quarter turn. */
function pageRotation(file: PdfFile, pageRef: PDFRef): QuarterTurn {
  const visited = new Set<PDFDict>();
  let node = file.resolve(pageRef);
  while (node instanceof PDFDict && !visited.has(node)) {
    visited.add(node);
    const rotate = file.resolve(node.get(pdfName('Rotate')));
    if (rotate instanceof PDFNumber) return normalizeRotation(rotate.asNumber());
    node = file.resolve(node.get(pdfName('Parent')));
  }
  return 0;
}

function addToPageAnnotations(update: IncrementalUpdate, pageRef: PDFRef, widgetRef: PDFRef): void {
  const page = update.editableDict(pageRef);
  if (!page) throw new SignetError('PDF_DAMAGED', 'the PDF is damaged: a page is not a dictionary');
  const annots = page.get(pdfName('Annots'));
  if (annots instanceof PDFRef) {
    // The array is its own object: change that object and leave the page alone.
    const array = arrayCopy(update, update.current(annots));
    array.push(widgetRef);
    update.set(annots, array);
    return;
  }
  const array = arrayCopy(update, annots);
  array.push(widgetRef);
  page.set(pdfName('Annots'), array);
  update.set(pageRef, page);
}

function addToAcroForm(update: IncrementalUpdate, widgetRef: PDFRef): void {
  const file = update.file;
  const catalogRef = file.catalogRef();
  const catalog = update.editableDict(catalogRef);
  if (!catalog) throw new SignetError('PDF_DAMAGED', 'the PDF is damaged: no catalog');
  const existing = catalog.get(pdfName('AcroForm'));
  const acroFormRef = existing instanceof PDFRef ? existing : undefined;
  const acroForm =
    (acroFormRef ? update.editableDict(acroFormRef) : undefined) ??
    (existing instanceof PDFDict ? existing.clone(file.context) : PDFDict.withContext(file.context));

  const fields = acroForm.get(pdfName('Fields'));
  if (fields instanceof PDFRef) {
    const array = arrayCopy(update, update.current(fields));
    array.push(widgetRef);
    update.set(fields, array);
  } else {
    const array = arrayCopy(update, fields);
    array.push(widgetRef);
    acroForm.set(pdfName('Fields'), array);
  }
  const flags = acroForm.get(pdfName('SigFlags'));
  const currentFlags = flags instanceof PDFNumber ? flags.asNumber() : 0;
  acroForm.set(pdfName('SigFlags'), PDFNumber.of(currentFlags | SIG_FLAGS));

  if (acroFormRef) {
    update.set(acroFormRef, acroForm);
    return;
  }
  // A new or inline AcroForm becomes its own object, so later revisions change it, not the catalog.
  catalog.set(pdfName('AcroForm'), update.add(acroForm));
  update.set(catalogRef, catalog);
}

/** §12.8.4: the catalog's /Perms /DocMDP names the certification signature dictionary. */
function addDocMdpPermission(update: IncrementalUpdate, signatureRef: PDFRef): void {
  const catalogRef = update.file.catalogRef();
  const catalog = update.editableDict(catalogRef);
  if (!catalog) throw new SignetError('PDF_DAMAGED', 'the PDF is damaged: no catalog');
  const perms = PDFDict.withContext(update.file.context);
  perms.set(pdfName('DocMDP'), signatureRef);
  catalog.set(pdfName('Perms'), perms);
  update.set(catalogRef, catalog);
}

/** Whether the AcroForm already holds a signed signature field (one with a /V). */
function carriesSignatureField(file: PdfFile): boolean {
  const acroForm = file.resolve(file.catalog().get(pdfName('AcroForm')));
  const fields = acroForm instanceof PDFDict ? file.resolve(acroForm.get(pdfName('Fields'))) : undefined;
  if (!(fields instanceof PDFArray)) return false;
  return fields.asArray().some((field) => {
    const dict = file.resolve(field);
    return dict instanceof PDFDict && dict.get(pdfName('FT')) === pdfName('Sig') && dict.has(pdfName('V'));
  });
}

/** Field names are unique among the AcroForm's top-level fields (ISO 32000-1 §12.7.3.2). */
function uniqueFieldName(update: IncrementalUpdate, wanted: string): string {
  const taken = new Set<string>();
  const acroForm = update.file.resolve(update.file.catalog().get(pdfName('AcroForm')));
  const fields =
    acroForm instanceof PDFDict ? update.file.resolve(acroForm.get(pdfName('Fields'))) : undefined;
  if (fields instanceof PDFArray) {
    for (const field of fields.asArray()) {
      const dict = update.file.resolve(field);
      const title = dict instanceof PDFDict ? dict.get(pdfName('T')) : undefined;
      if (title instanceof PDFString || title instanceof PDFHexString) taken.add(title.decodeText());
    }
  }
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n++) {
    const candidate = `${wanted} ${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

function arrayCopy(update: IncrementalUpdate, object: PDFObject | undefined): PDFArray {
  const copy = PDFArray.withContext(update.file.context);
  const resolved = object instanceof PDFRef ? update.current(object) : object;
  if (resolved instanceof PDFArray) for (const item of resolved.asArray()) copy.push(item);
  return copy;
}

function numberArray(file: PdfFile, values: number[]): PDFArray {
  const array = PDFArray.withContext(file.context);
  for (const value of values) array.push(PDFNumber.of(value));
  return array;
}

/** A text string (§7.9.2.2): UTF-16BE with BOM, as hex, so any name survives. */
function pdfText(text: string): string {
  return Buffer.from(serialize(PDFHexString.fromText(text))).toString('latin1');
}

/** §7.9.4: D:YYYYMMDDHHmmSS+00'00' in UTC. */
export function pdfDate(date: Date): string {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return `D:${digits}+00'00'`;
}
