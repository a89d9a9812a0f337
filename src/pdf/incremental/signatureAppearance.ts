import { PDFArray, PDFDict, PDFNumber, PDFRawStream, type PDFRef } from 'pdf-lib';
import type { QuarterTurn } from '../composeGeometry.ts';
import type { IncrementalUpdate } from './incrementalUpdate.ts';
import type { PdfFile } from './pdfFile.ts';
import { pdfName } from './pdfName.ts';

/*
 * The normal appearance of a visible signature widget (ISO 32000-1 §12.5.5, §12.7.4.5): a thin
 * frame and a few lines of text in Helvetica, drawn over whatever the page shows there (the
 * signer's handwritten image is already part of the page content). Transparent background, so
 * the signature image stays visible beneath.
 */

const FRAME_RGB = '0.12 0.31 0.62';
const MAX_FONT_SIZE = 8;
const MIN_FONT_SIZE = 4;
/** Helvetica's average advance is about half an em; enough to keep lines inside the box. */
const AVERAGE_GLYPH_WIDTH_EM = 0.52;

export interface VisibleSignature {
  /** 0-based page index. */
  pageIndex: number;
  /** [x1, y1, x2, y2] in default user space (PDF points, origin bottom-left of the MediaBox). */
  rect: [number, number, number, number];
  /** Lines drawn in the widget, e.g. "Digitally signed by Ada Lovelace". */
  lines: string[];
}

/**
 * `pageRotation` is the page's /Rotate (0, 90, 180 or 270): the appearance is drawn upright as
 * displayed and turned back by /Matrix, since a viewer turns widgets with their page.
 */
export function signatureAppearanceStream(
  file: PdfFile,
  update: IncrementalUpdate,
  visible: VisibleSignature,
  pageRotation: QuarterTurn = 0,
): PDFRef {
  const [x1, y1, x2, y2] = visible.rect;
  // The box as the reader sees it: a quarter turn swaps its sides.
  const quarterTurned = pageRotation === 90 || pageRotation === 270;
  const width = quarterTurned ? Math.abs(y2 - y1) : Math.abs(x2 - x1);
  const height = quarterTurned ? Math.abs(x2 - x1) : Math.abs(y2 - y1);
  const lines = visible.lines.slice(0, 4);
  const fontSize = Math.max(MIN_FONT_SIZE, Math.min(MAX_FONT_SIZE, height / (lines.length + 1.5)));
  const maxChars = Math.max(4, Math.floor((width - 6) / (fontSize * AVERAGE_GLYPH_WIDTH_EM)));

  let content = `q ${FRAME_RGB} RG 0.6 w 0.3 0.3 ${num(width - 0.6)} ${num(height - 0.6)} re S Q\n`;
  content += `BT /SigF ${num(fontSize)} Tf ${FRAME_RGB} rg ${num(fontSize * 1.15)} TL 3 ${num(height - fontSize - 2)} Td\n`;
  for (const line of lines) content += `${literalString(truncate(line, maxChars))} Tj T*\n`;
  content += 'ET\n';

  const font = PDFDict.withContext(file.context);
  font.set(pdfName('Type'), pdfName('Font'));
  font.set(pdfName('Subtype'), pdfName('Type1'));
  font.set(pdfName('BaseFont'), pdfName('Helvetica'));
  font.set(pdfName('Encoding'), pdfName('WinAnsiEncoding'));
  const fonts = PDFDict.withContext(file.context);
  fonts.set(pdfName('SigF'), update.add(font));
  const resources = PDFDict.withContext(file.context);
  resources.set(pdfName('Font'), fonts);

  const dict = PDFDict.withContext(file.context);
  dict.set(pdfName('Type'), pdfName('XObject'));
  dict.set(pdfName('Subtype'), pdfName('Form'));
  const bbox = PDFArray.withContext(file.context);
  for (const value of [0, 0, width, height]) bbox.push(PDFNumber.of(value));
  dict.set(pdfName('BBox'), bbox);
  if (pageRotation !== 0) {
    // ISO 32000-1 §12.5.5 Algorithm 8.1: the BBox is transformed by /Matrix, then fitted onto
    // /Rect by scaling and translation only, so a pure rotation is all /Matrix needs. The page
    // is displayed turned clockwise by /Rotate (§7.7.3.3); the content turns counter-clockwise.
    const radians = (pageRotation * Math.PI) / 180;
    const cos = Math.round(Math.cos(radians));
    const sin = Math.round(Math.sin(radians));
    const matrix = PDFArray.withContext(file.context);
    for (const value of [cos, sin, -sin, cos, 0, 0]) matrix.push(PDFNumber.of(value));
    dict.set(pdfName('Matrix'), matrix);
  }
  dict.set(pdfName('Resources'), resources);
  const bytes = Buffer.from(content, 'latin1');
  dict.set(pdfName('Length'), PDFNumber.of(bytes.length));
  return update.add(PDFRawStream.of(dict, bytes));
}

function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

/**
 * A literal string in WinAnsiEncoding (what the font declares): Latin-1 letters map to
 * themselves, the ellipsis to 0x85, anything else becomes "?" rather than a wrong glyph.
 */
function literalString(text: string): string {
  let out = '(';
  for (const char of text) {
    const code = char === '…' ? 0x85 : (char.codePointAt(0) ?? 0x3f);
    const byte = code >= 0x20 && code <= 0xff && !(code >= 0x7f && code < 0xa0) ? code : 0x3f;
    const c = String.fromCharCode(byte);
    out += c === '(' || c === ')' || c === '\\' ? `\\${c}` : c;
  }
  return `${out})`;
}

function num(value: number): string {
  return Number(value.toFixed(2)).toString();
}
