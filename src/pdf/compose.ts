/**
 * Composing the completed document: the envelope's documents merged in order, every recipient's
 * field values stamped into page content, existing form widgets flattened, and an appendix (the
 * certificate of completion) added at the end.
 *
 * The result is saved with a classic cross-reference table (no object streams) because the next
 * step appends a signature placeholder by incremental update and needs to find objects by offset.
 */
import { createHash } from 'node:crypto';
import {
  clip,
  concatTransformationMatrix,
  endPath,
  LineCapStyle,
  LineJoinStyle,
  lineTo,
  moveTo,
  PDFDocument,
  type PDFFont,
  type PDFImage,
  type PDFPage,
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
import { type FieldProblem, SignetError } from '../errors.ts';
import { flattenFormWidgets } from './composeForms.ts';
import {
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
  showableText,
  truncateToWidth,
} from './fonts.ts';

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
  /** A PDF whose pages are appended after the documents, e.g. the certificate of completion. */
  appendix?: Uint8Array;
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

/** Merges the documents, stamps the field values and appends the appendix. */
export async function composeCompletedPdf(input: ComposeInput): Promise<Uint8Array> {
  if (input.documents.length === 0) {
    throw unprocessable('NO_DOCUMENTS', 'There are no documents to compose.', []);
  }
  const composed = await PDFDocument.create({ updateMetadata: false });
  const pagesByDocument = await mergeDocuments(composed, input.documents);
  const placements = input.fields.map((field, index) => placeField(field, index, pagesByDocument));
  const texts = input.fields.flatMap(({ value }) =>
    value.kind === 'text' || value.kind === 'typedSignature' ? [value.text] : [],
  );
  const stamper = createStamper(composed, !fitsStandardFonts(texts));
  for (const placement of placements) await stampField(stamper, placement);
  if (input.appendix) await appendPages(composed, await loadPdf(input.appendix, 'appendix', 'The appendix'));
  composed.setProducer('Signet');
  // No dates or random IDs are added, so the same input always yields the same bytes.
  return composed.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
}

/**
 * The size and rotation of each page of a PDF, for validating field boxes with `fieldFitsPage`
 * when fields are created — computed exactly as `composeCompletedPdf` will place them.
 */
export async function readPageSizes(pdf: Uint8Array): Promise<PageSize[]> {
  const document = await loadPdf(pdf, 'document', 'The document');
  return document.getPages().map((page) => pageGeometry(page).size);
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

async function loadPdf(bytes: Uint8Array, path: string, description: string): Promise<PDFDocument> {
  let document: PDFDocument;
  try {
    // Encryption is checked below rather than by pdf-lib: its EncryptedPDFError is compiled to ES5
    // and fails `instanceof`, so it could not be told apart from a parse error.
    document = await PDFDocument.load(bytes, { updateMetadata: false, ignoreEncryption: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw unprocessable('DOCUMENT_UNREADABLE', `${description} is not a readable PDF: ${reason}`, [
      { path, message: 'not a readable PDF' },
    ]);
  }
  // Owner-password-only PDFs open without a password in viewers, but their streams stay
  // encrypted and pdf-lib cannot decrypt them: copying their pages would produce garbage.
  if (document.isEncrypted) {
    const detail = `${description} is encrypted; remove its password protection and upload it again.`;
    throw unprocessable('DOCUMENT_ENCRYPTED', detail, [{ path, message: 'encrypted PDF' }]);
  }
  return document;
}

async function mergeDocuments(composed: PDFDocument, documents: ComposeDocument[]): Promise<PDFPage[][]> {
  const pagesByDocument: PDFPage[][] = [];
  for (const [index, document] of documents.entries()) {
    const source = await loadPdf(document.bytes, `documents.${index}`, `Document "${document.name}"`);
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
  const path = `fields.${index}`;
  const pages = Number.isInteger(field.documentIndex) ? pagesByDocument[field.documentIndex] : undefined;
  if (!pages) {
    const detail = `Field ${index} refers to document ${field.documentIndex}, but there are ${pagesByDocument.length}.`;
    throw unprocessable('DOCUMENT_NOT_FOUND', detail, [{ path: `${path}.documentIndex`, message: detail }]);
  }
  const page = Number.isInteger(field.page) ? pages[field.page - 1] : undefined;
  if (!page) {
    const detail = `Field ${index} refers to page ${field.page}, but document ${field.documentIndex} has ${pages.length}.`;
    throw unprocessable('DOCUMENT_NOT_FOUND', detail, [{ path: `${path}.page`, message: detail }]);
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
      // An oblique face sets a typed signature apart from the printed values around it.
      drawFittedText(
        page,
        await stamperFont(stamper, 'oblique'),
        value.text,
        box,
        Number.POSITIVE_INFINITY,
        SIGNATURE_INK,
      );
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
      { path: `fields.${fieldIndex}.value.png`, message: detail },
    ]);
  }
  stamper.images.set(key, image);
  return image;
}

function unprocessable(code: string, detail: string, errors: FieldProblem[]): SignetError {
  return new SignetError(code, 422, detail, errors);
}
