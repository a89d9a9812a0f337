/**
 * Composing the completed document: the envelope's documents merged in order, every recipient's
 * field values stamped into page content, existing form widgets flattened, and an appendix (the
 * certificate of completion) added at the end.
 *
 * The result is saved with a classic cross-reference table (no object streams) because the next
 * step appends a signature placeholder by incremental update and needs to find objects by offset.
 *
 * A document that arrives already signed (by another tool, before upload) is the exception: if
 * it is the envelope's only document, it is not rewritten but edited in place and saved as an
 * incremental update (see `saveIncrementally`), so its signatures stay valid. And it is edited
 * only in ways a signed document may still be edited (ISO 32000-1 §12.8.2.2, the rules
 * `verify/diffAnalysis.ts` applies): the field values become locked stamp annotations, and the
 * certificate of completion is attached in a file-attachment annotation instead of appended as
 * pages — new page content or pages after a signature are changes its signer never approved.
 * Several documents are still merged into a new file, and signatures in them cannot survive
 * that: a signature covers the bytes of its own file, and the merged file has different bytes.
 */
import { createHash } from 'node:crypto';
import {
  clip,
  concatTransformationMatrix,
  drawObject,
  endPath,
  LineCapStyle,
  LineJoinStyle,
  lineTo,
  moveTo,
  PDFArray,
  PDFDocument,
  type PDFEmbeddedPage,
  type PDFFont,
  PDFHexString,
  type PDFImage,
  PDFName,
  type PDFPage,
  type PDFRef,
  PDFString,
  popGraphicsState,
  pushGraphicsState,
  type RGB,
  rectangle,
  rgb,
  setLineCap,
  setLineJoin,
  setLineWidth,
  setStrokingRgbColor,
  stroke,
} from 'pdf-lib';
import { type ErrorCode, type FieldProblem, pointer, SignetError } from '../errors.ts';
import { flattenFormWidgets } from './composeForms.ts';
import {
  displayedToUser,
  type FieldBox,
  fieldFitsPage,
  fieldToUserMatrix,
  type Matrix,
  normalizeRotation,
  type PageSize,
  type QuarterTurn,
  type UserRect,
  visibleRect,
} from './composeGeometry.ts';
import {
  descentAtSize,
  embedFontFace,
  type FontFace,
  fitsStandardFonts,
  inkExtent,
  showableText,
  truncateToWidth,
} from './fonts.ts';
import { carriesSignature } from './incremental/pdfFile.ts';
import { saveIncrementally } from './incremental/pdfLibRevision.ts';
import { openPdf } from './inspect.ts';
import { PdfBudget } from './limits/pdfBudget.ts';

export { type FieldBox, fieldFitsPage, type PageSize } from './composeGeometry.ts';

export interface ComposeDocument {
  name: string;
  bytes: Uint8Array;
}

export type StampValue =
  | { kind: 'text'; text: string } // name, email, text and dateSigned fields
  | { kind: 'checkbox'; checked: boolean }
  | { kind: 'image'; png: Uint8Array } // a drawn signature or initials
  | { kind: 'typedSignature'; text: string }; // a typed signature or initials

/** A value to stamp; the box is in displayed page coordinates (see `FieldBox`). */
export interface StampField extends FieldBox {
  documentIndex: number;
  /** 1-based page within the document. */
  page: number;
  value: StampValue;
}

export interface ComposeInput {
  documents: ComposeDocument[];
  fields: StampField[];
  /**
   * A PDF whose pages are appended after the documents, e.g. the certificate of completion. On
   * a signed upload it is attached instead (see the module comment), under `appendixName`.
   */
  appendix?: Uint8Array;
  appendixName?: string;
}

/** Text fields are sized for the text, not the box: contract body text is rarely above 12 pt. */
const TEXT_MAX_FONT_SIZE = 12;
/** Below this, text is truncated rather than shrunk further: it would be unreadable in print. */
const MIN_FONT_SIZE = 4;
/** Share of the box height the glyphs (ascender to descender) may fill. */
const TEXT_HEIGHT_SHARE = 0.9;
const TEXT_COLOR = rgb(0, 0, 0);
/** Typed signatures in a dark "ink" blue so they read as signatures, not as filled-in text. */
const SIGNATURE_INK = rgb(0.05, 0.13, 0.42);

/**
 * Merges the documents, stamps the field values and appends the appendix. A single document
 * that already carries a signature is stamped and extended in place instead (see the module
 * comment); with several documents, signatures in them are lost in the merge.
 */
export async function composeCompletedPdf(
  input: ComposeInput,
  budget: PdfBudget = new PdfBudget(),
): Promise<Uint8Array> {
  const [first, ...others] = input.documents;
  if (!first) throw unprocessable('NO_DOCUMENTS', 'There are no documents to compose.', []);
  if (others.length === 0 && carriesSignature(first.bytes)) return composeInPlace(first, input, budget);
  return composeMerged(input, budget);
}

async function composeMerged(input: ComposeInput, budget: PdfBudget): Promise<Uint8Array> {
  const composed = await PDFDocument.create({ updateMetadata: false });
  const pagesByDocument = await mergeDocuments(composed, input.documents, budget);
  await stampAndAppend(composed, pagesByDocument, input, budget);
  composed.setProducer('Signet');
  // No dates or random IDs are added, so the same input always yields the same bytes.
  return composed.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
}

/**
 * Adds the field values as stamp annotations on the signed document's own pages and attaches the
 * appendix, written as one incremental update. Unlike the merge, nothing is flattened:
 * flattening removes widget annotations and the AcroForm, the signature fields included, so a
 * validator would find the signed field gone. Form fields therefore stay interactive here, and
 * /Producer is left alone: the fewer objects the update touches, the easier it is to see (and to
 * judge) what changed after the signature.
 */
async function composeInPlace(
  document: ComposeDocument,
  input: ComposeInput,
  budget: PdfBudget,
): Promise<Uint8Array> {
  const path = 'documents.0';
  const description = `Document "${document.name}"`;
  try {
    return await saveIncrementally(
      document.bytes,
      async (signed) => {
        const pages = readPages(signed, path, description);
        await stampAsAnnotations(signed, [pages], input);
        const lastPage = pages.at(-1);
        if (input.appendix && lastPage) attachAppendix(signed, lastPage, input.appendix, input.appendixName);
      },
      budget,
    );
  } catch (error) {
    throw asDocumentError(error, path, description);
  }
}

/** Stamps every field onto its page, then appends the appendix's pages after everything else. */
async function stampAndAppend(
  target: PDFDocument,
  pagesByDocument: PDFPage[][],
  input: ComposeInput,
  budget: PdfBudget,
): Promise<void> {
  const placements = input.fields.map((field, index) => placeField(field, index, pagesByDocument));
  const texts = input.fields.flatMap(({ value }) =>
    value.kind === 'text' || value.kind === 'typedSignature' ? [value.text] : [],
  );
  const stamper = createStamper(target, !fitsStandardFonts(texts));
  for (const placement of placements) await stampField(stamper, placement);
  if (input.appendix) {
    await appendPages(target, await loadPdf(input.appendix, 'appendix', 'The appendix', budget));
  }
}

/**
 * The field values as locked stamp annotations (ISO 32000-1 §12.5.6.12), for a document that
 * must not get new page content. Each value is drawn exactly as `stampField` draws it, on a
 * scratch page the size of the field; that page becomes a form XObject, and the annotation's
 * appearance places it with the field's own transformation, so rotation and crop boxes come out
 * as they do on the merged path.
 */
async function stampAsAnnotations(
  target: PDFDocument,
  pagesByDocument: PDFPage[][],
  input: ComposeInput,
): Promise<void> {
  if (input.fields.length === 0) return;
  const placements = input.fields.map((field, index) => placeField(field, index, pagesByDocument));
  const texts = input.fields.flatMap(({ value }) =>
    value.kind === 'text' || value.kind === 'typedSignature' ? [value.text] : [],
  );
  const scratch = await PDFDocument.create({ updateMetadata: false });
  const stamper = createStamper(scratch, !fitsStandardFonts(texts));
  const drawn: PDFPage[] = [];
  for (const placement of placements) {
    const page = scratch.addPage([placement.field.width, placement.field.height]);
    await stampField(stamper, { ...placement, page, toUserSpace: [1, 0, 0, 1, 0, 0] });
    drawn.push(page);
  }
  // Fonts and images reach the scratch context only when flushed; the copy must find them there.
  await scratch.flush();
  const embedded = await target.embedPages(drawn);
  for (const [index, placement] of placements.entries()) {
    const form = embedded[index];
    if (form) addStampAnnotation(target, placement, form);
  }
}

/** Print | Locked | LockedContents (§12.5.3): printed, and neither movable nor editable. */
const STAMP_FLAGS = 4 | 128 | 512;

function addStampAnnotation(target: PDFDocument, placement: Placement, form: PDFEmbeddedPage): void {
  const { field, page, toUserSpace } = placement;
  const context = target.context;
  // §12.5.5: the appearance's BBox, transformed by its Matrix, is fitted to /Rect; with /Rect
  // equal to that transformed box the fit is the identity and the value lands where it would
  // have been drawn into the page.
  const appearance = context.register(
    context.formXObject([pushGraphicsState(), drawObject('Value'), popGraphicsState()], {
      BBox: [0, 0, field.width, field.height],
      Matrix: toUserSpace,
      Resources: { XObject: { Value: form.ref } },
    }),
  );
  const annotation = context.obj({
    Type: 'Annot',
    Subtype: 'Stamp',
    Rect: transformedBox(toUserSpace, field.width, field.height),
    F: STAMP_FLAGS,
    P: page.ref,
    NM: PDFString.of(`signet-field-${placement.index + 1}`),
    Contents: PDFHexString.fromText(`Field ${placement.index + 1}, completed through Signet`),
    AP: { N: appearance },
  });
  addAnnotation(page, context.register(annotation));
}

/**
 * Appends to the page's /Annots and touches nothing else. Not `PDFPageLeaf.addAnnot`: it
 * normalises the page first, wrapping the content streams in q/Q and rewriting /Resources,
 * which after a signature is exactly the page-content change this path exists to avoid.
 */
function addAnnotation(page: PDFPage, annotation: PDFRef): void {
  const annots = page.node.lookup(PDFName.of('Annots'));
  if (annots instanceof PDFArray) annots.push(annotation);
  else page.node.set(PDFName.of('Annots'), page.doc.context.obj([annotation]));
}

function transformedBox(matrix: Matrix, width: number, height: number): number[] {
  const [a, b, c, d, e, f] = matrix;
  const corners = [
    [0, 0],
    [width, 0],
    [0, height],
    [width, height],
  ].map(([x = 0, y = 0]) => [a * x + c * y + e, b * x + d * y + f] as const);
  const xs = corners.map(([x]) => x);
  const ys = corners.map(([, y]) => y);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** Where the attachment's paperclip sits: the top-left corner of the last page, inside the margin. */
const ATTACHMENT_ICON_SIZE = 18;
const ATTACHMENT_MARGIN = 12;

/**
 * The appendix as an embedded file in a file-attachment annotation (§12.5.6.15) on the last
 * page. Not the catalog's /EmbeddedFiles name tree: a changed catalog after a signature is a
 * disallowed change, an added annotation is not.
 */
function attachAppendix(target: PDFDocument, page: PDFPage, appendix: Uint8Array, name?: string): void {
  const context = target.context;
  const fileName = name ?? 'certificate-of-completion.pdf';
  const embeddedFile = context.register(
    context.flateStream(appendix, {
      Type: 'EmbeddedFile',
      Subtype: 'application/pdf',
      Params: { Size: appendix.byteLength },
    }),
  );
  const fileSpec = context.register(
    context.obj({
      Type: 'Filespec',
      F: PDFString.of(fileName.replace(/[^\x20-\x7e]/g, '_')),
      UF: PDFHexString.fromText(fileName),
      Desc: PDFHexString.fromText('Certificate of completion'),
      EF: { F: embeddedFile },
      AFRelationship: 'Supplement',
    }),
  );
  const { visible } = pageGeometry(page);
  const left = visible.x + ATTACHMENT_MARGIN;
  const top = visible.y + visible.height - ATTACHMENT_MARGIN;
  const annotation = context.obj({
    Type: 'Annot',
    Subtype: 'FileAttachment',
    Rect: [left, top - ATTACHMENT_ICON_SIZE, left + ATTACHMENT_ICON_SIZE, top],
    F: 4,
    P: page.ref,
    FS: fileSpec,
    Name: 'Paperclip',
    NM: PDFString.of('signet-certificate-of-completion'),
    Contents: PDFHexString.fromText('Certificate of completion (attached)'),
  });
  addAnnotation(page, context.register(annotation));
}

/**
 * The size and rotation of each page of a PDF, for validating field boxes with `fieldFitsPage`
 * when fields are created — computed exactly as `composeCompletedPdf` will place them.
 */
export async function readPageSizes(pdf: Uint8Array, budget = new PdfBudget()): Promise<PageSize[]> {
  const document = await loadPdf(pdf, 'document', 'The document', budget);
  return document.getPages().map((page) => pageGeometry(page).size);
}

/** A field box of the original documents, located in the composed file (for a signature widget). */
export interface PlacedRect {
  /** 0-based page index in the composed file. */
  pageIndex: number;
  /** [x1, y1, x2, y2] in default user space. */
  rect: [number, number, number, number];
}

/**
 * Where field boxes landed in a file made by `composeCompletedPdf` (documents merged in order,
 * so a field's page is offset by the pages of the documents before it).
 */
export async function locateComposedFields(
  composedPdf: Uint8Array,
  documentPageCounts: number[],
  fields: (FieldBox & { documentIndex: number; page: number })[],
  budget = new PdfBudget(),
): Promise<PlacedRect[]> {
  const document = await loadPdf(composedPdf, 'document', 'The document', budget);
  const pages = document.getPages();
  return fields.map((field) => {
    const offset = documentPageCounts.slice(0, field.documentIndex).reduce((sum, count) => sum + count, 0);
    const pageIndex = offset + field.page - 1;
    const page = pages[pageIndex];
    if (!page)
      throw unprocessable('DOCUMENT_NOT_FOUND', `The composed file has no page ${pageIndex + 1}.`, []);
    const { visible, rotation } = pageGeometry(page);
    const a = displayedToUser({ x: field.x, y: field.y }, visible, rotation);
    const b = displayedToUser({ x: field.x + field.width, y: field.y + field.height }, visible, rotation);
    return {
      pageIndex,
      rect: [Math.min(a.x, b.x), Math.min(a.y, b.y), Math.max(a.x, b.x), Math.max(a.y, b.y)],
    };
  });
}

interface PageGeometry {
  size: PageSize;
  visible: UserRect;
  rotation: QuarterTurn;
}

function pageGeometry(page: PDFPage): PageGeometry {
  const cropBox = page.node.CropBox() ? page.getCropBox() : undefined;
  const visible = visibleRect(page.getMediaBox(), cropBox);
  const rotation = normalizeRotation(page.getRotation().angle);
  return { size: { width: visible.width, height: visible.height, rotation }, visible, rotation };
}

/**
 * Loads a document through the same gate uploads pass (`inspect.ts#openPdf`), so compose refuses
 * exactly the files the upload would have: pdf-lib alone reads a truncated file without
 * complaint and silently drops the pages it lost.
 */
async function loadPdf(
  bytes: Uint8Array,
  path: string,
  description: string,
  budget: PdfBudget,
): Promise<PDFDocument> {
  try {
    return await openPdf(bytes, budget);
  } catch (error) {
    throw asDocumentError(error, path, description);
  }
}

/** The pages of a loaded document; pdf-lib throws its own errors for a broken page tree. */
function readPages(document: PDFDocument, path: string, description: string): PDFPage[] {
  try {
    return document.getPages();
  } catch (error) {
    throw unreadable(path, description, error);
  }
}

/** The gate's and the incremental reader's PDF_* refusals, in compose's terms (with the field path). */
function asDocumentError(error: unknown, path: string, description: string): unknown {
  if (!(error instanceof SignetError) || !error.code.startsWith('PDF_')) return error;
  if (error.code === 'PDF_ENCRYPTED') return encryptedDocument(path, description);
  return unreadable(path, description, error.detail);
}

function unreadable(path: string, description: string, cause: unknown): SignetError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return unprocessable('DOCUMENT_UNREADABLE', `${description} is not a readable PDF: ${reason}`, [
    { path, message: 'not a readable PDF' },
  ]);
}

function encryptedDocument(path: string, description: string): SignetError {
  const detail = `${description} is encrypted; remove its password protection and upload it again.`;
  return unprocessable('DOCUMENT_ENCRYPTED', detail, [{ path, message: 'encrypted PDF' }]);
}

async function mergeDocuments(
  composed: PDFDocument,
  documents: ComposeDocument[],
  budget: PdfBudget,
): Promise<PDFPage[][]> {
  const pagesByDocument: PDFPage[][] = [];
  for (const [index, document] of documents.entries()) {
    const source = await loadPdf(document.bytes, `documents.${index}`, `Document "${document.name}"`, budget);
    flattenFormWidgets(source);
    pagesByDocument.push(await appendPages(composed, source));
  }
  return pagesByDocument;
}

async function appendPages(target: PDFDocument, source: PDFDocument): Promise<PDFPage[]> {
  const copied = await target.copyPages(source, source.getPageIndices());
  for (const page of copied) target.addPage(page);
  return copied;
}

interface Placement {
  index: number;
  field: StampField;
  page: PDFPage;
  /** From the field's own drawing space (bottom-left origin, upright as displayed) to user space. */
  toUserSpace: Matrix;
}

function placeField(field: StampField, index: number, pagesByDocument: PDFPage[][]): Placement {
  const path = pointer('fields', index);
  const pages = Number.isInteger(field.documentIndex) ? pagesByDocument[field.documentIndex] : undefined;
  if (!pages) {
    const detail = `Field ${index} refers to document ${field.documentIndex}, but there are ${pagesByDocument.length}.`;
    throw unprocessable('FIELD_UNKNOWN_DOCUMENT', detail, [
      { path: `${path}/documentIndex`, message: detail },
    ]);
  }
  const page = Number.isInteger(field.page) ? pages[field.page - 1] : undefined;
  if (!page) {
    const detail = `Field ${index} refers to page ${field.page}, but document ${field.documentIndex} has ${pages.length}.`;
    throw unprocessable('FIELD_OFF_PAGE', detail, [{ path: `${path}/page`, message: detail }]);
  }
  const geometry = pageGeometry(page);
  if (!fieldFitsPage(field, geometry.size)) {
    const detail = `Field ${index} does not lie within page ${field.page} of document ${field.documentIndex}.`;
    throw unprocessable('FIELD_OFF_PAGE', detail, [{ path, message: detail }]);
  }
  return { index, field, page, toUserSpace: fieldToUserMatrix(field, geometry.visible, geometry.rotation) };
}

interface Stamper {
  document: PDFDocument;
  /** Faces are embedded on first use, so a document with no text values carries no font. */
  fonts: Map<FontFace, PDFFont>;
  /** Whether some value needs the embedded Unicode font rather than the standard ones. */
  unicode: boolean;
  /** Initials repeated on every page are embedded once, keyed by content hash. */
  images: Map<string, PDFImage>;
}

function createStamper(document: PDFDocument, unicode: boolean): Stamper {
  return { document, fonts: new Map(), unicode, images: new Map() };
}

async function stamperFont(stamper: Stamper, face: FontFace): Promise<PDFFont> {
  let font = stamper.fonts.get(face);
  if (!font) {
    font = await embedFontFace(stamper.document, face, stamper.unicode);
    stamper.fonts.set(face, font);
  }
  return font;
}

/** Draws the value in the field's own space, clipped to its box so nothing spills onto the page. */
async function stampField(stamper: Stamper, placement: Placement): Promise<void> {
  const { page, field, toUserSpace } = placement;
  const box = { width: field.width, height: field.height };
  page.pushOperators(
    pushGraphicsState(),
    concatTransformationMatrix(...toUserSpace),
    rectangle(0, 0, box.width, box.height),
    clip(),
    endPath(),
  );
  const value = field.value;
  switch (value.kind) {
    case 'text':
      drawFittedText(
        page,
        await stamperFont(stamper, 'regular'),
        value.text,
        box,
        TEXT_MAX_FONT_SIZE,
        TEXT_COLOR,
      );
      break;
    case 'typedSignature':
      await drawTypedSignature(stamper, page, value.text, box);
      break;
    case 'checkbox':
      drawCheckbox(page, box, value.checked);
      break;
    case 'image':
      drawImageFitted(page, await embedSignatureImage(stamper, value.png, placement.index), box);
      break;
  }
  page.pushOperators(popGraphicsState());
}

interface BoxSize {
  width: number;
  height: number;
}

/**
 * One line of text, left-aligned and vertically centred, at the largest size up to `maxSize` that
 * fits the box; below `MIN_FONT_SIZE` it is truncated with an ellipsis instead.
 */
function drawFittedText(
  page: PDFPage,
  font: PDFFont,
  text: string,
  box: BoxSize,
  maxSize: number,
  color: RGB,
) {
  const showable = showableText(font, text);
  if (showable === '') return;
  const paddingX = Math.min(2, box.width * 0.05);
  const usableWidth = box.width - 2 * paddingX;
  const sizeForHeight = font.sizeAtHeight(box.height * TEXT_HEIGHT_SHARE);
  const sizeForWidth = usableWidth / font.widthOfTextAtSize(showable, 1);
  let size = Math.min(maxSize, sizeForHeight, sizeForWidth);
  let line = showable;
  if (size < MIN_FONT_SIZE) {
    size = Math.min(MIN_FONT_SIZE, sizeForHeight);
    line = truncateToWidth(font, size, showable, usableWidth);
  }
  const baseline = (box.height - font.heightAtSize(size)) / 2 + descentAtSize(font, size);
  page.drawText(line, { x: paddingX, y: baseline, size, font, color });
}

/**
 * A typed signature as large as its box allows, sized and centred by the ink of the very text
 * (`inkExtent`), so no descender, accent or slanted stroke is cut off at the field's edge. An
 * oblique face sets it apart from the printed values around it.
 */
async function drawTypedSignature(stamper: Stamper, page: PDFPage, text: string, box: BoxSize) {
  const font = await stamperFont(stamper, 'oblique');
  let line = showableText(font, text);
  if (line === '') return;
  const ink = await inkExtent('oblique', stamper.unicode, line);
  const inkHeight = ink.top - ink.bottom;
  const paddingX = Math.min(2, box.width * 0.05);
  const usableWidth = box.width - 2 * paddingX;
  // An oblique face leans past its advance width: keep room for the lean of the tallest stroke.
  const lean = Math.tan((OBLIQUE_ANGLE_DEGREES * Math.PI) / 180) * ink.top;
  const sizeForHeight = (box.height * TEXT_HEIGHT_SHARE) / inkHeight;
  const sizeForWidth = usableWidth / (font.widthOfTextAtSize(line, 1) + lean);
  let size = Math.min(sizeForHeight, sizeForWidth);
  if (size < MIN_FONT_SIZE) {
    size = Math.min(MIN_FONT_SIZE, sizeForHeight);
    line = truncateToWidth(font, size, line, usableWidth - lean * size);
  }
  const baseline = (box.height - inkHeight * size) / 2 - ink.bottom * size;
  page.drawText(line, { x: paddingX, y: baseline, size, font, color: SIGNATURE_INK });
}

/** Helvetica-Oblique and DejaVu Sans Oblique both lean 12° (their ItalicAngle is -12). */
const OBLIQUE_ANGLE_DEGREES = 12;

/** A square outline always (so "not checked" is visibly an answer), plus a tick when checked. */
function drawCheckbox(page: PDFPage, box: BoxSize, checked: boolean): void {
  const side = Math.min(box.width, box.height);
  const left = (box.width - side) / 2;
  const bottom = (box.height - side) / 2;
  const outline = Math.max(0.5, side * 0.06);
  page.drawRectangle({
    x: left + outline / 2,
    y: bottom + outline / 2,
    width: side - outline,
    height: side - outline,
    borderWidth: outline,
    borderColor: TEXT_COLOR,
  });
  if (!checked) return;
  const at = (fx: number, fy: number): [number, number] => [left + fx * side, bottom + fy * side];
  page.pushOperators(
    pushGraphicsState(),
    setStrokingRgbColor(TEXT_COLOR.red, TEXT_COLOR.green, TEXT_COLOR.blue),
    setLineWidth(side * 0.12),
    setLineCap(LineCapStyle.Round),
    setLineJoin(LineJoinStyle.Round),
    moveTo(...at(0.22, 0.52)),
    lineTo(...at(0.42, 0.28)),
    lineTo(...at(0.78, 0.76)),
    stroke(),
    popGraphicsState(),
  );
}

/** Scaled to fit the box with its aspect ratio kept, centred. */
function drawImageFitted(page: PDFPage, image: PDFImage, box: BoxSize): void {
  const scale = Math.min(box.width / image.width, box.height / image.height);
  const width = image.width * scale;
  const height = image.height * scale;
  page.drawImage(image, { x: (box.width - width) / 2, y: (box.height - height) / 2, width, height });
}

async function embedSignatureImage(stamper: Stamper, png: Uint8Array, fieldIndex: number): Promise<PDFImage> {
  const key = createHash('sha256').update(png).digest('hex');
  const cached = stamper.images.get(key);
  if (cached) return cached;
  let image: PDFImage;
  try {
    image = await stamper.document.embedPng(png);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const detail = `The image of field ${fieldIndex} is not a readable PNG: ${reason}`;
    throw unprocessable('INVALID_SIGNATURE_IMAGE', detail, [
      { path: pointer('fields', fieldIndex, 'value', 'png'), message: detail },
    ]);
  }
  stamper.images.set(key, image);
  return image;
}

function unprocessable(code: ErrorCode, detail: string, errors: FieldProblem[]): SignetError {
  return new SignetError(code, detail, errors);
}
