import { createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFHexString, PDFNumber, type PDFObject, PDFRawStream, PDFRef } from 'pdf-lib';
import { decodeStreamWithin } from '../limits/streamDecoding.ts';
import { IncrementalUpdate } from './incrementalUpdate.ts';
import type { PdfBuffer } from './pdfBuffer.ts';
import { openPdfFile, type PdfFile } from './pdfFile.ts';
import { pdfName } from './pdfName.ts';

/*
 * The Document Security Store (ETSI EN 319 142-1 §5.4.2, ISO 32000-2 §12.8.4.3): certificates,
 * OCSP responses and CRLs that a validator needs to check the signatures years from now, when
 * the OCSP responder may be gone. Written as its own incremental update (PAdES B-LT); a later
 * document time-stamp over it makes the file B-LTA.
 */

export interface ValidationMaterial {
  /** DER certificates. */
  certificates: Uint8Array[];
  /** DER OCSPResponse (RFC 6960 §4.2.1), whole. */
  ocspResponses: Uint8Array[];
  /** DER CertificateList. */
  crls: Uint8Array[];
}

export interface SignatureValidationMaterial extends ValidationMaterial {
  /** The bytes of the signature's /Contents string, which name its VRI entry. */
  signatureContents: Uint8Array;
}

export interface EmbeddedSignature {
  fieldName: string;
  kind: 'signature' | 'document-timestamp';
  /** The whole /Contents string, including the zero padding after the DER. */
  contents: Uint8Array;
}

/**
 * The VRI key of a signature (EN 319 142-1 §5.4.2.3, ISO 32000-2 Table 262): upper-case hex of
 * the SHA-1 of the signature's /Contents bytes. SHA-1 here is a lookup key, not a security
 * mechanism; the standard fixes it.
 */
export function vriKey(signatureContents: Uint8Array): string {
  return createHash('sha1').update(signatureContents).digest('hex').toUpperCase();
}

/** The signatures and document time-stamps a file holds, in AcroForm order. */
export function embeddedSignatures(pdf: Uint8Array | PdfFile): EmbeddedSignature[] {
  const file = pdf instanceof Uint8Array ? openPdfFile(pdf) : pdf;
  const acroForm = file.resolve(file.catalog().get(pdfName('AcroForm')));
  if (!(acroForm instanceof PDFDict)) return [];
  const fields = file.resolve(acroForm.get(pdfName('Fields')));
  if (!(fields instanceof PDFArray)) return [];
  const found: EmbeddedSignature[] = [];
  for (const field of fields.asArray()) {
    const dict = file.resolve(field);
    if (!(dict instanceof PDFDict) || dict.get(pdfName('FT')) !== pdfName('Sig')) continue;
    const value = file.resolve(dict.get(pdfName('V')));
    if (!(value instanceof PDFDict)) continue;
    const contents = value.get(pdfName('Contents'));
    if (!(contents instanceof PDFHexString)) continue;
    const title = dict.get(pdfName('T'));
    const type = value.get(pdfName('Type'));
    found.push({
      fieldName: title instanceof PDFHexString || isPdfString(title) ? decodeTitle(title) : '',
      kind: type === pdfName('DocTimeStamp') ? 'document-timestamp' : 'signature',
      contents: contents.asBytes(),
    });
  }
  return found;
}

/**
 * Appends (or extends) the /DSS, with one VRI entry per signature given, to `target` in place;
 * returns the whole file (a view of it).
 */
export function appendDss(target: PdfBuffer, signatures: SignatureValidationMaterial[]): Uint8Array {
  const file = openPdfFile(target.bytes);
  const update = new IncrementalUpdate(file);
  const catalogRef = file.catalogRef();
  const catalog = update.editableDict(catalogRef);
  if (!catalog) throw new Error('the document has no catalog');

  const existingRef = catalog.get(pdfName('DSS'));
  const existing = file.resolve(existingRef);
  const dss = existing instanceof PDFDict ? existing.clone(file.context) : PDFDict.withContext(file.context);
  dss.set(pdfName('Type'), pdfName('DSS'));

  const stores = {
    certificates: new StreamStore(file, update, dss, 'Certs'),
    ocspResponses: new StreamStore(file, update, dss, 'OCSPs'),
    crls: new StreamStore(file, update, dss, 'CRLs'),
  };
  const vriDict = vriDictionary(file, dss);
  for (const signature of signatures) {
    const entry = PDFDict.withContext(file.context);
    const refs = {
      Cert: signature.certificates.map((der) => stores.certificates.add(der)),
      OCSP: signature.ocspResponses.map((der) => stores.ocspResponses.add(der)),
      CRL: signature.crls.map((der) => stores.crls.add(der)),
    };
    for (const [key, list] of Object.entries(refs)) {
      if (list.length === 0) continue;
      entry.set(pdfName(key), refArray(file, list));
    }
    vriDict.set(pdfName(vriKey(signature.signatureContents)), entry);
  }
  for (const store of Object.values(stores)) store.writeInto(dss);
  dss.set(pdfName('VRI'), vriDict);

  if (existingRef instanceof PDFRef) {
    update.set(existingRef, dss);
  } else {
    catalog.set(pdfName('DSS'), update.add(dss));
    update.set(catalogRef, catalog);
  }
  return update.appendTo(target).bytes;
}

/** One of the DSS arrays: keeps what is there, adds each new item once (by content). */
class StreamStore {
  readonly #file: PdfFile;
  readonly #update: IncrementalUpdate;
  readonly #refs: PDFRef[] = [];
  readonly #byHash = new Map<string, PDFRef>();
  readonly #key: string;

  constructor(file: PdfFile, update: IncrementalUpdate, dss: PDFDict, key: string) {
    this.#file = file;
    this.#update = update;
    this.#key = key;
    const existing = file.resolve(dss.get(pdfName(key)));
    if (!(existing instanceof PDFArray)) return;
    for (const item of existing.asArray()) {
      if (!(item instanceof PDFRef)) continue;
      this.#refs.push(item);
      const stream = file.lookup(item);
      if (stream instanceof PDFRawStream)
        this.#byHash.set(sha256Hex(decodeStreamWithin(stream, file.budget)), item);
    }
  }

  add(der: Uint8Array): PDFRef {
    const hash = sha256Hex(der);
    const known = this.#byHash.get(hash);
    if (known) return known;
    const dict = PDFDict.withContext(this.#file.context);
    dict.set(pdfName('Length'), PDFNumber.of(der.length));
    const ref = this.#update.add(PDFRawStream.of(dict, der));
    this.#byHash.set(hash, ref);
    this.#refs.push(ref);
    return ref;
  }

  writeInto(dss: PDFDict): void {
    if (this.#refs.length > 0) dss.set(pdfName(this.#key), refArray(this.#file, this.#refs));
  }
}

function vriDictionary(file: PdfFile, dss: PDFDict): PDFDict {
  const existing = file.resolve(dss.get(pdfName('VRI')));
  return existing instanceof PDFDict ? existing.clone(file.context) : PDFDict.withContext(file.context);
}

function refArray(file: PdfFile, refs: PDFRef[]): PDFArray {
  const array = PDFArray.withContext(file.context);
  for (const ref of refs) array.push(ref);
  return array;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function isPdfString(object: PDFObject | undefined): object is PDFObject & { decodeText(): string } {
  return object !== undefined && 'decodeText' in object;
}

function decodeTitle(title: PDFObject & { decodeText(): string }): string {
  return title.decodeText();
}
