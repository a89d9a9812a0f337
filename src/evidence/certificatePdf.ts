/**
 * The certificate of completion: a stand-alone A4 PDF summarising who did what, when and from
 * where, with the fingerprints that tie it to the documents and to the audit chain. It is appended
 * to the completed document before sealing, so it is covered by the same signature.
 *
 * Layout is a simple top-to-bottom flow with page breaks between rows and recipient blocks; table
 * headers repeat on each page. All text uses embedded DejaVu faces (see `pdf/fonts.ts` for what
 * happens to characters they cannot show).
 */
import { createHash } from 'node:crypto';
import { PDFDocument, type PDFFont, type PDFImage, type PDFPage, type RGB, rgb } from 'pdf-lib';
import { SignetError } from '../errors.ts';
import {
  descentAtSize,
  embedFontFace,
  fitsStandardFonts,
  showableText,
  splitEvenly,
  truncateToWidth,
  wrapToWidth,
} from '../pdf/fonts.ts';
import {
  CERTIFICATE_WORDS,
  type CertificateLanguage,
  type CertificateResultKind,
  type CertificateWords,
  codeInWords,
} from './certificateWords.ts';

export interface CertificateRecipient {
  name: string;
  email: string;
  role: string;
  routingOrder: number;
  status: string;
  /** e.g. `['email link']` */
  identityMethods: string[];
  ip?: string;
  userAgent?: string;
  /** ISO 8601 timestamps. */
  viewedAt?: string;
  consentedAt?: string;
  signedAt?: string;
  declinedAt?: string;
  declineReason?: string;
  /** PNG of the adopted signature, shown small beside the recipient. */
  signatureImage?: Uint8Array;
  /** A typed signature, shown in an italic face when there is no image. */
  signatureText?: string;
  /** The consent wording the recipient agreed to, as the audit trail recorded it. */
  consentText?: string;
  /** A cc recipient: when the completed copy was mailed to them. */
  copySentAt?: string;
}

/** One entry of the audit trail, in plain words (evidence/timeline.ts). */
export interface CertificateEvent {
  at: string;
  /** e.g. "Ada Lovelace opened the document". */
  text: string;
  /** e.g. "Safari on iPhone". */
  device?: string;
  ip?: string;
}

/** Whose certificate it is, to a reader: the organisation's brand, never the platform's. */
export interface CertificateBrand {
  productName: string;
  /** #rrggbb: headings and rules. */
  primaryColor?: string;
  logo?: { bytes: Uint8Array; contentType: 'image/png' | 'image/jpeg' };
}

export interface CertificateOfCompletion {
  envelopeId: string;
  title: string;
  organizationName: string;
  /** Absent: the organisation's name stands for the brand. */
  brand?: CertificateBrand;
  /** e.g. `completed` */
  status: string;
  /** The originals as uploaded. */
  documents: { name: string; pages: number; sha256: string }[];
  /** Fingerprints of what the envelope produced: the stamped document, the sealed one. */
  resultSha256?: { kind: CertificateResultKind; sha256: string }[];
  recipients: CertificateRecipient[];
  /** The audit trail summary, in chain order. */
  events: CertificateEvent[];
  /** Hash of the last entry of the audit chain. */
  auditHeadHash: string;
  generatedAt: string;
  /** The language of every label; default English. */
  language?: CertificateLanguage;
}

// ---------------------------------------------------------------------------------------------
// Page geometry and typography

const PAGE_WIDTH = 595.28; // A4, ISO 216
const PAGE_HEIGHT = 841.89;
const MARGIN = { left: 50, right: 50, top: 54, bottom: 64 };
const CONTENT_WIDTH = PAGE_WIDTH - MARGIN.left - MARGIN.right;
const CONTENT_RIGHT = PAGE_WIDTH - MARGIN.right;
const FOOTER_BASELINE = 34;
const CELL_PADDING = 4;

const INK = rgb(0.12, 0.14, 0.17);
const MUTED = rgb(0.42, 0.45, 0.5);
const DEFAULT_ACCENT = rgb(0.09, 0.22, 0.4);
const RULE = rgb(0.8, 0.82, 0.86);
const ZEBRA = rgb(0.965, 0.97, 0.98);
const HEADER_FILL = rgb(0.92, 0.94, 0.96);
const SIGNATURE_INK = rgb(0.05, 0.13, 0.42);

interface TextStyle {
  font: PDFFont;
  size: number;
  color: RGB;
  lineHeight: number;
}

interface Typography {
  title: TextStyle;
  subtitle: TextStyle;
  section: TextStyle;
  body: TextStyle;
  strong: TextStyle;
  label: TextStyle;
  mono: TextStyle;
  tableHeader: TextStyle;
  cell: TextStyle;
  monoCell: TextStyle;
  footer: TextStyle;
  script: PDFFont;
}

/** The brand's colour (#rrggbb) for headings and rules, else the default navy. */
function accentOf(color: string | undefined): RGB {
  const match = color ? /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color) : null;
  if (!match) return DEFAULT_ACCENT;
  const [red, green, blue] = match.slice(1).map((hex) => Number.parseInt(hex, 16) / 255);
  return rgb(red ?? 0, green ?? 0, blue ?? 0);
}

async function loadTypography(document: PDFDocument, unicode: boolean, accent: RGB): Promise<Typography> {
  // One after the other, so object numbers and subset tags are the same on every render.
  const regular = await embedFontFace(document, 'regular', unicode);
  const bold = await embedFontFace(document, 'bold', unicode);
  const mono = await embedFontFace(document, 'mono', unicode);
  const script = await embedFontFace(document, 'oblique', unicode);
  return {
    title: { font: bold, size: 20, color: accent, lineHeight: 26 },
    subtitle: { font: regular, size: 11.5, color: INK, lineHeight: 15 },
    section: { font: bold, size: 10.5, color: accent, lineHeight: 14 },
    body: { font: regular, size: 9, color: INK, lineHeight: 12 },
    strong: { font: bold, size: 10.5, color: INK, lineHeight: 14 },
    label: { font: regular, size: 8, color: MUTED, lineHeight: 12 },
    mono: { font: mono, size: 8, color: INK, lineHeight: 12 },
    tableHeader: { font: bold, size: 7.5, color: MUTED, lineHeight: 10 },
    cell: { font: regular, size: 8, color: INK, lineHeight: 10 },
    monoCell: { font: mono, size: 7.5, color: INK, lineHeight: 10 },
    footer: { font: regular, size: 7.5, color: MUTED, lineHeight: 10 },
    script,
  };
}

// ---------------------------------------------------------------------------------------------
// The flowing canvas: a cursor moving down the page, starting a new page when a block won't fit.

class CertificateCanvas {
  readonly pages: PDFPage[] = [];
  /** y of the top edge of the next thing to draw. */
  cursor = 0;
  /** Called after a page break inside a table, to repeat its header. */
  onPageBreak: (() => void) | undefined;
  private current: PDFPage | undefined;

  constructor(
    readonly document: PDFDocument,
    readonly type: Typography,
    readonly words: CertificateWords,
  ) {
    this.startPage();
  }

  get page(): PDFPage {
    if (!this.current) throw new Error('CertificateCanvas has no page');
    return this.current;
  }

  startPage(): void {
    this.current = this.document.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
    this.pages.push(this.current);
    this.cursor = PAGE_HEIGHT - MARGIN.top;
    this.onPageBreak?.();
  }

  /** Starts a new page unless `height` still fits above the footer. */
  ensureRoom(height: number): void {
    if (this.cursor - height < MARGIN.bottom) this.startPage();
  }

  /** Draws lines top-down from `top`, each vertically centred in its line box. */
  drawLines(lines: string[], x: number, top: number, style: TextStyle, align: 'left' | 'right' = 'left') {
    lines.forEach((line, index) => {
      const baseline = top - index * style.lineHeight - style.lineHeight / 2 - style.size * 0.35;
      const width = style.font.widthOfTextAtSize(line, style.size);
      const left = align === 'right' ? x - width : x;
      this.page.drawText(line, {
        x: left,
        y: baseline,
        size: style.size,
        font: style.font,
        color: style.color,
      });
    });
  }

  rule(y: number, color: RGB = RULE, thickness = 0.6): void {
    this.page.drawLine({
      start: { x: MARGIN.left, y },
      end: { x: CONTENT_RIGHT, y },
      thickness,
      color,
    });
  }
}

/** Wraps text for a style: made showable first, so measuring and drawing agree. */
function wrap(style: TextStyle, text: string, width: number, maxLines?: number): string[] {
  return wrapToWidth(style.font, style.size, showableText(style.font, text), width, maxLines);
}

/** Like `wrap`, but for unbroken tokens such as digests: equal-length lines read better. */
function wrapToken(style: TextStyle, token: string, width: number): string[] {
  const showable = showableText(style.font, token);
  if (showable.includes(' ')) return wrap(style, showable, width);
  const charWidth = style.font.widthOfTextAtSize('0', style.size);
  return splitEvenly(showable, Math.floor(width / charWidth));
}

function oneLine(style: TextStyle, text: string, width: number): string {
  return truncateToWidth(style.font, style.size, showableText(style.font, text), width);
}

// ---------------------------------------------------------------------------------------------

/** Every string the certificate may print, to choose between standard and embedded fonts. */
function* textsOf(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (value instanceof Uint8Array) return;
  else if (Array.isArray(value)) for (const item of value) yield* textsOf(item);
  else if (typeof value === 'object' && value !== null)
    for (const item of Object.values(value)) yield* textsOf(item);
}

/** Renders the certificate as a stand-alone PDF; the same input always gives the same bytes. */
export async function renderCertificateOfCompletion(c: CertificateOfCompletion): Promise<Uint8Array> {
  const document = await PDFDocument.create({ updateMetadata: false });
  const canvas = new CertificateCanvas(
    document,
    await loadTypography(document, !fitsStandardFonts(textsOf(c)), accentOf(c.brand?.primaryColor)),
    CERTIFICATE_WORDS[c.language ?? 'en'],
  );
  await writeHeader(canvas, c);
  writeSummary(canvas, c);
  writeDocuments(canvas, c);
  await writeRecipients(canvas, c.recipients, c.status);
  writeAuditTrail(canvas, c.events);
  writeFooters(canvas, c);
  describeDocument(document, c, canvas.words);
  return document.save({ useObjectStreams: false });
}

function describeDocument(document: PDFDocument, c: CertificateOfCompletion, words: CertificateWords): void {
  // Info strings are written as UTF-16 by pdf-lib, so titles need no WinAnsi replacement here.
  document.setTitle(`${words.certificateOfCompletion} — ${c.title}`);
  document.setSubject(`${words.envelope} ${c.envelopeId}`);
  document.setAuthor(c.organizationName);
  // White label: the organisation's product, not the platform, made it as far as a reader knows.
  document.setProducer(productNameOf(c));
  document.setCreator(productNameOf(c));
  const generated = new Date(c.generatedAt);
  if (!Number.isNaN(generated.getTime())) {
    document.setCreationDate(generated);
    document.setModificationDate(generated);
  }
}

// ---------------------------------------------------------------------------------------------
// Header and summary

const productNameOf = (c: CertificateOfCompletion) => c.brand?.productName || c.organizationName;

/** The logo's height on the certificate, in points; its width follows its proportions. */
const LOGO_HEIGHT = 30;
const LOGO_MAX_WIDTH = 180;

async function writeHeader(canvas: CertificateCanvas, c: CertificateOfCompletion): Promise<void> {
  const { type } = canvas;
  const badgeWidth = drawStatusBadge(canvas, c.status, CONTENT_RIGHT, canvas.cursor);
  const textWidth = CONTENT_WIDTH - badgeWidth - 16;
  const logo = c.brand?.logo ? await embedLogo(canvas.document, c.brand.logo) : undefined;
  if (logo) {
    const scale = Math.min(LOGO_HEIGHT / logo.height, LOGO_MAX_WIDTH / logo.width);
    canvas.page.drawImage(logo, {
      x: MARGIN.left,
      y: canvas.cursor - logo.height * scale,
      width: logo.width * scale,
      height: logo.height * scale,
    });
    canvas.cursor -= logo.height * scale + 8;
  }
  const organization = wrap(type.label, productNameOf(c).toUpperCase(), textWidth, 1);
  canvas.drawLines(organization, MARGIN.left, canvas.cursor, type.label);
  canvas.cursor -= type.label.lineHeight;
  canvas.drawLines([canvas.words.certificateOfCompletion], MARGIN.left, canvas.cursor, type.title);
  canvas.cursor -= type.title.lineHeight;
  const title = wrap(type.subtitle, c.title, CONTENT_WIDTH, 3);
  canvas.drawLines(title, MARGIN.left, canvas.cursor, type.subtitle);
  canvas.cursor -= title.length * type.subtitle.lineHeight + 10;
  canvas.rule(canvas.cursor, canvas.type.title.color, 1.2);
  canvas.cursor -= 16;
}

/** The brand's logo; one that cannot be decoded is left out rather than failing the certificate. */
async function embedLogo(
  document: PDFDocument,
  logo: NonNullable<CertificateBrand['logo']>,
): Promise<PDFImage | undefined> {
  try {
    return logo.contentType === 'image/png'
      ? await document.embedPng(logo.bytes)
      : await document.embedJpg(logo.bytes);
  } catch {
    return undefined;
  }
}

/** A tinted box with the status in capitals, right-aligned at `right`; returns its width. */
function drawStatusBadge(canvas: CertificateCanvas, status: string, right: number, top: number): number {
  const style = { ...canvas.type.tableHeader, size: 8, color: statusColor(status) };
  const text = oneLine(style, codeInWords(canvas.words, status).toUpperCase(), 140);
  const width = style.font.widthOfTextAtSize(text, style.size) + 14;
  const height = 16;
  canvas.page.drawRectangle({
    x: right - width,
    y: top - height,
    width,
    height,
    color: tint(style.color),
    borderColor: style.color,
    borderWidth: 0.6,
  });
  canvas.drawLines([text], right - width + 7, top - (height - style.lineHeight) / 2, style);
  return width;
}

function writeSummary(canvas: CertificateCanvas, c: CertificateOfCompletion): void {
  const { words } = canvas;
  writeSectionTitle(canvas, words.envelope);
  const totalPages = c.documents.reduce((sum, document) => sum + document.pages, 0);
  const { body, mono } = canvas.type;
  writeKeyValues(canvas, [
    { label: words.envelopeId, value: c.envelopeId, style: mono },
    { label: words.title, value: c.title, style: body, maxLines: 4 },
    { label: words.organization, value: c.organizationName, style: body, maxLines: 2 },
    { label: words.status, value: codeInWords(words, c.status), style: body },
    {
      label: words.documents,
      value: `${words.documentCount(c.documents.length)}, ${words.pageCount(totalPages)}`,
      style: body,
    },
    { label: words.recipients, value: words.recipientCount(c.recipients.length), style: body },
    { label: words.certificateGenerated, value: formatUtc(c.generatedAt), style: body },
    { label: words.auditChainHead, value: c.auditHeadHash, style: mono, token: true },
  ]);
  const lines = wrap(canvas.type.label, words.summaryNote, CONTENT_WIDTH);
  canvas.cursor -= 6;
  canvas.ensureRoom(lines.length * canvas.type.label.lineHeight);
  canvas.drawLines(lines, MARGIN.left, canvas.cursor, canvas.type.label);
  canvas.cursor -= lines.length * canvas.type.label.lineHeight + 18;
}

interface KeyValue {
  label: string;
  value: string;
  style: TextStyle;
  maxLines?: number;
  /** An unbroken token (hash, id): split into equal lines rather than at word boundaries. */
  token?: boolean;
}

const KEY_WIDTH = 120;

function writeKeyValues(
  canvas: CertificateCanvas,
  rows: KeyValue[],
  left = MARGIN.left,
  width = CONTENT_WIDTH,
) {
  for (const row of rows) {
    const lines = keyValueLines(canvas, row, width - KEY_WIDTH);
    const height = Math.max(
      lines.label.length * canvas.type.label.lineHeight,
      lines.value.length * row.style.lineHeight,
    );
    canvas.ensureRoom(height);
    canvas.drawLines(lines.label, left, canvas.cursor, canvas.type.label);
    canvas.drawLines(lines.value, left + KEY_WIDTH, canvas.cursor, row.style);
    canvas.cursor -= height + 1;
  }
}

function keyValueLines(canvas: CertificateCanvas, row: KeyValue, valueWidth: number) {
  const label = wrap(canvas.type.label, row.label, KEY_WIDTH - 8, 2);
  const value = row.token
    ? wrapToken(row.style, row.value, valueWidth)
    : wrap(row.style, row.value === '' ? '—' : row.value, valueWidth, row.maxLines);
  return { label, value };
}

/** A section heading with a rule, kept together with at least `keepWith` points of what follows. */
function writeSectionTitle(canvas: CertificateCanvas, title: string, keepWith = 60): void {
  const { section } = canvas.type;
  canvas.ensureRoom(section.lineHeight + 8 + keepWith);
  canvas.drawLines([title], MARGIN.left, canvas.cursor, section);
  canvas.cursor -= section.lineHeight + 2;
  canvas.rule(canvas.cursor);
  canvas.cursor -= 8;
}

// ---------------------------------------------------------------------------------------------
// Tables

interface TableColumn {
  header: string;
  width: number;
  style: TextStyle;
  align?: 'left' | 'right';
  maxLines?: number;
  token?: boolean;
}

/** Rows never split across pages; the header row is repeated after each page break. */
function writeTable(canvas: CertificateCanvas, columns: TableColumn[], rows: string[][]): void {
  const drawHeader = () => drawTableHeader(canvas, columns);
  const firstRowHeight = rows[0] ? measureRow(columns, rows[0]).height : 0;
  canvas.ensureRoom(tableHeaderHeight(canvas) + firstRowHeight);
  drawHeader();
  canvas.onPageBreak = drawHeader;
  rows.forEach((row, index) => {
    const measured = measureRow(columns, row);
    canvas.ensureRoom(measured.height);
    if (index % 2 === 1) {
      canvas.page.drawRectangle({
        x: MARGIN.left,
        y: canvas.cursor - measured.height,
        width: CONTENT_WIDTH,
        height: measured.height,
        color: ZEBRA,
      });
    }
    drawRowCells(canvas, columns, measured.cells);
    canvas.cursor -= measured.height;
  });
  canvas.onPageBreak = undefined;
  canvas.rule(canvas.cursor);
  canvas.cursor -= 18;
}

function tableHeaderHeight(canvas: CertificateCanvas): number {
  return canvas.type.tableHeader.lineHeight + 2 * CELL_PADDING;
}

function drawTableHeader(canvas: CertificateCanvas, columns: TableColumn[]): void {
  const height = tableHeaderHeight(canvas);
  canvas.page.drawRectangle({
    x: MARGIN.left,
    y: canvas.cursor - height,
    width: CONTENT_WIDTH,
    height,
    color: HEADER_FILL,
  });
  const headers = columns.map((column) => [column.header.toUpperCase()]);
  drawRowCells(
    canvas,
    columns.map((column) => ({ ...column, style: canvas.type.tableHeader })),
    headers,
  );
  canvas.cursor -= height;
}

function measureRow(columns: TableColumn[], row: string[]): { cells: string[][]; height: number } {
  const cells = columns.map((column, index) => {
    const text = row[index] ?? '';
    const width = column.width - 2 * CELL_PADDING;
    return column.token
      ? wrapToken(column.style, text, width)
      : wrap(column.style, text, width, column.maxLines);
  });
  const height = Math.max(
    ...cells.map((lines, index) => lines.length * (columns[index]?.style.lineHeight ?? 0)),
  );
  return { cells, height: height + 2 * CELL_PADDING };
}

function drawRowCells(canvas: CertificateCanvas, columns: TableColumn[], cells: string[][]): void {
  let x = MARGIN.left;
  columns.forEach((column, index) => {
    const anchor = column.align === 'right' ? x + column.width - CELL_PADDING : x + CELL_PADDING;
    canvas.drawLines(cells[index] ?? [], anchor, canvas.cursor - CELL_PADDING, column.style, column.align);
    x += column.width;
  });
}

/** Gives the column marked `flexible` whatever width the others leave. */
function fitColumns(columns: (TableColumn & { flexible?: boolean })[]): TableColumn[] {
  const fixed = columns.filter((column) => !column.flexible).reduce((sum, column) => sum + column.width, 0);
  return columns.map((column) => (column.flexible ? { ...column, width: CONTENT_WIDTH - fixed } : column));
}

// ---------------------------------------------------------------------------------------------
// Documents

/** Courier at 7.5 pt: 32 hex digits plus padding, so a SHA-256 takes exactly two lines. */
const DIGEST_COLUMN_WIDTH = 32 * 4.5 + 2 * CELL_PADDING + 2;

function writeDocuments(canvas: CertificateCanvas, c: CertificateOfCompletion): void {
  const { cell, monoCell } = canvas.type;
  const { words } = canvas;
  writeSectionTitle(canvas, words.documents);
  if (c.documents.length === 0) {
    writeNote(canvas, words.noDocuments);
  } else {
    const columns = fitColumns([
      { header: words.number, width: 22, style: cell },
      { header: words.originalDocument, width: 0, style: cell, maxLines: 3, flexible: true },
      { header: words.pages, width: 40, style: cell, align: 'right' },
      { header: words.sha256, width: DIGEST_COLUMN_WIDTH, style: monoCell, token: true },
    ]);
    const rows = c.documents.map((document, index) => [
      String(index + 1),
      document.name,
      String(document.pages),
      document.sha256,
    ]);
    writeTable(canvas, columns, rows);
  }
  const results = c.resultSha256 ?? [];
  if (results.length === 0) return;
  const columns = fitColumns([
    { header: words.result, width: 0, style: cell, maxLines: 3, flexible: true },
    { header: words.sha256, width: DIGEST_COLUMN_WIDTH, style: monoCell, token: true },
  ]);
  writeTable(
    canvas,
    columns,
    results.map((result) => [words.results[result.kind], result.sha256]),
  );
}

function writeNote(canvas: CertificateCanvas, text: string): void {
  const lines = wrap(canvas.type.body, text, CONTENT_WIDTH);
  canvas.ensureRoom(lines.length * canvas.type.body.lineHeight);
  canvas.drawLines(lines, MARGIN.left, canvas.cursor, { ...canvas.type.body, color: MUTED });
  canvas.cursor -= lines.length * canvas.type.body.lineHeight + 18;
}

// ---------------------------------------------------------------------------------------------
// Recipients

const BLOCK_PADDING = 9;
const RECIPIENT_KEY_WIDTH = 96;
const SIGNATURE_PANEL = { width: 150, height: 48, caption: 12 };

async function writeRecipients(
  canvas: CertificateCanvas,
  recipients: CertificateRecipient[],
  envelopeStatus: string,
): Promise<void> {
  writeSectionTitle(canvas, canvas.words.recipients, 100);
  if (recipients.length === 0) {
    writeNote(canvas, canvas.words.noRecipients);
    return;
  }
  const images = new Map<string, PDFImage>();
  // Routing order is the order in which recipients acted; the sort is stable within one order.
  const inOrder = recipients.toSorted((a, b) => a.routingOrder - b.routingOrder);
  for (const [index, recipient] of inOrder.entries()) {
    await writeRecipient(canvas, recipient, index + 1, images, envelopeStatus);
  }
  canvas.cursor -= 8;
}

async function writeRecipient(
  canvas: CertificateCanvas,
  recipient: CertificateRecipient,
  number: number,
  images: Map<string, PDFImage>,
  envelopeStatus: string,
): Promise<void> {
  const { type } = canvas;
  const innerLeft = MARGIN.left + BLOCK_PADDING + 6; // room for the accent bar
  const detailsWidth = CONTENT_RIGHT - BLOCK_PADDING - SIGNATURE_PANEL.width - 14 - innerLeft;
  const badgeRoom = 110;
  const name = wrap(
    type.strong,
    `${number}. ${recipient.name}`,
    detailsWidth + SIGNATURE_PANEL.width - badgeRoom,
    2,
  );
  const subtitle = wrap(
    type.label,
    recipientSubtitle(canvas.words, recipient),
    detailsWidth + SIGNATURE_PANEL.width,
    2,
  );
  const details = recipientDetails(canvas, recipient, detailsWidth, envelopeStatus);
  const headHeight = name.length * type.strong.lineHeight + subtitle.length * type.label.lineHeight + 6;
  const detailsHeight = details.reduce((sum, row) => sum + row.height, 0);
  const panelHeight = SIGNATURE_PANEL.height + SIGNATURE_PANEL.caption;
  const height = 2 * BLOCK_PADDING + headHeight + Math.max(detailsHeight, panelHeight);

  canvas.ensureRoom(height);
  const top = canvas.cursor;
  drawRecipientFrame(canvas, top, height, statusColor(recipient.status));
  drawStatusBadge(canvas, recipient.status, CONTENT_RIGHT - BLOCK_PADDING, top - BLOCK_PADDING);
  let y = top - BLOCK_PADDING;
  canvas.drawLines(name, innerLeft, y, type.strong);
  y -= name.length * type.strong.lineHeight;
  canvas.drawLines(subtitle, innerLeft, y, type.label);
  y -= subtitle.length * type.label.lineHeight + 6;
  for (const row of details) {
    canvas.drawLines(row.label, innerLeft, y, type.label);
    canvas.drawLines(row.value, innerLeft + RECIPIENT_KEY_WIDTH, y, type.body);
    y -= row.height;
  }
  const panelLeft = CONTENT_RIGHT - BLOCK_PADDING - SIGNATURE_PANEL.width;
  const panelTop = top - BLOCK_PADDING - headHeight;
  await drawSignaturePanel(canvas, recipient, panelLeft, panelTop, images);
  canvas.cursor = top - height - 8;
}

function recipientSubtitle(words: CertificateWords, recipient: CertificateRecipient): string {
  return [
    recipient.email,
    codeInWords(words, recipient.role),
    words.routingOrder(recipient.routingOrder),
  ].join('  ·  ');
}

interface DetailRow {
  label: string[];
  value: string[];
  height: number;
}

function recipientDetails(
  canvas: CertificateCanvas,
  recipient: CertificateRecipient,
  width: number,
  envelopeStatus: string,
): DetailRow[] {
  const { words } = canvas;
  // A cc recipient acts on nothing: they receive the completed copy, which is all there is to say.
  const rows: [string, string | undefined, number][] =
    recipient.role === 'cc'
      ? [
          [
            words.copy,
            recipient.copySentAt
              ? words.copySent(formatUtc(recipient.copySentAt))
              : envelopeStatus === 'completed'
                ? words.receivesSealedCopy
                : words.receivesCopyLater,
            2,
          ],
        ]
      : [
          [words.identityChecks, recipient.identityMethods.join('; '), 4],
          [words.ipAddress, recipient.ip, 2],
          [words.userAgent, recipient.userAgent, 3],
          [words.viewed, recipient.viewedAt && formatUtc(recipient.viewedAt), 1],
          [words.consented, recipient.consentedAt && formatUtc(recipient.consentedAt), 1],
          [words.signed, recipient.signedAt && formatUtc(recipient.signedAt), 1],
        ];
  if (recipient.consentText) rows.push([words.agreedTo, words.quoted(recipient.consentText), 8]);
  if (recipient.declinedAt) rows.push([words.declined, formatUtc(recipient.declinedAt), 1]);
  if (recipient.declineReason) rows.push([words.declineReason, recipient.declineReason, 4]);
  const { label, body } = canvas.type;
  return rows.map(([key, value, maxLines]) => {
    const valueLines = wrap(body, value || '—', width - RECIPIENT_KEY_WIDTH, maxLines);
    const labelLines = wrap(label, key, RECIPIENT_KEY_WIDTH - 6, 2);
    const height = Math.max(valueLines.length * body.lineHeight, labelLines.length * label.lineHeight);
    return { label: labelLines, value: valueLines, height };
  });
}

function drawRecipientFrame(canvas: CertificateCanvas, top: number, height: number, accent: RGB): void {
  canvas.page.drawRectangle({
    x: MARGIN.left,
    y: top - height,
    width: CONTENT_WIDTH,
    height,
    borderColor: RULE,
    borderWidth: 0.6,
  });
  canvas.page.drawRectangle({ x: MARGIN.left, y: top - height, width: 3, height, color: accent });
}

async function drawSignaturePanel(
  canvas: CertificateCanvas,
  recipient: CertificateRecipient,
  left: number,
  top: number,
  images: Map<string, PDFImage>,
): Promise<void> {
  const { width, height } = SIGNATURE_PANEL;
  const bottom = top - height;
  canvas.page.drawRectangle({
    x: left,
    y: bottom,
    width,
    height,
    color: rgb(1, 1, 1),
    borderColor: RULE,
    borderWidth: 0.6,
  });
  const inner = { left: left + 6, bottom: bottom + 4, width: width - 12, height: height - 8 };
  if (recipient.signatureImage) {
    const image = await embedSignature(canvas.document, recipient.signatureImage, images);
    const scale = Math.min(inner.width / image.width, inner.height / image.height);
    canvas.page.drawImage(image, {
      x: inner.left + (inner.width - image.width * scale) / 2,
      y: inner.bottom + (inner.height - image.height * scale) / 2,
      width: image.width * scale,
      height: image.height * scale,
    });
  } else if (recipient.signatureText) {
    drawTypedSignature(canvas, recipient.signatureText, inner);
  } else {
    const note = recipient.role === 'cc' ? canvas.words.copyNoSignature : canvas.words.noSignature;
    canvas.drawLines([note], inner.left, bottom + height / 2 + 6, { ...canvas.type.label });
  }
  if (recipient.role !== 'cc')
    canvas.drawLines([canvas.words.adoptedSignature], left, bottom - 1, canvas.type.footer);
}

function drawTypedSignature(
  canvas: CertificateCanvas,
  text: string,
  box: { left: number; bottom: number; width: number; height: number },
): void {
  const font = canvas.type.script;
  const showable = showableText(font, text);
  if (showable === '') return;
  const size = Math.max(
    6,
    Math.min(font.sizeAtHeight(box.height * 0.8), box.width / font.widthOfTextAtSize(showable, 1)),
  );
  const line = truncateToWidth(font, size, showable, box.width);
  const baseline = box.bottom + (box.height - font.heightAtSize(size)) / 2 + descentAtSize(font, size);
  canvas.page.drawText(line, { x: box.left, y: baseline, size, font, color: SIGNATURE_INK });
}

async function embedSignature(document: PDFDocument, png: Uint8Array, images: Map<string, PDFImage>) {
  const key = createHash('sha256').update(png).digest('hex');
  const cached = images.get(key);
  if (cached) return cached;
  try {
    const image = await document.embedPng(png);
    images.set(key, image);
    return image;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SignetError('INVALID_SIGNATURE_IMAGE', `An adopted signature is not a readable PNG: ${reason}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Audit trail

function writeAuditTrail(canvas: CertificateCanvas, events: CertificateEvent[]): void {
  const { words } = canvas;
  writeSectionTitle(canvas, words.auditTrail);
  if (events.length === 0) {
    writeNote(canvas, words.noEvents);
    return;
  }
  const { cell, monoCell } = canvas.type;
  const columns = fitColumns([
    { header: words.timeUtc, width: 118, style: monoCell, maxLines: 2 },
    { header: words.whatHappened, width: 0, style: cell, maxLines: 4, flexible: true },
    { header: words.deviceAndIp, width: 130, style: cell, maxLines: 3 },
  ]);
  const rows = events.map((event) => [
    formatUtc(event.at),
    event.text,
    [event.device, event.ip].filter(Boolean).join(' · ') || '—',
  ]);
  writeTable(canvas, columns, rows);
}

// ---------------------------------------------------------------------------------------------
// Footer: written last, when the page count is known.

function writeFooters(canvas: CertificateCanvas, c: CertificateOfCompletion): void {
  const style = canvas.type.footer;
  const total = canvas.pages.length;
  canvas.pages.forEach((page, index) => {
    const pageLabel = canvas.words.pageOf(index + 1, total);
    const pageLabelWidth = style.font.widthOfTextAtSize(pageLabel, style.size);
    const envelope = oneLine(
      style,
      `${canvas.words.certificateOfCompletion}  ·  ${canvas.words.envelope} ${c.envelopeId}`,
      CONTENT_WIDTH - pageLabelWidth - 20,
    );
    page.drawLine({
      start: { x: MARGIN.left, y: FOOTER_BASELINE + 12 },
      end: { x: CONTENT_RIGHT, y: FOOTER_BASELINE + 12 },
      thickness: 0.6,
      color: RULE,
    });
    const common = { y: FOOTER_BASELINE, size: style.size, font: style.font, color: style.color };
    page.drawText(envelope, { ...common, x: MARGIN.left });
    page.drawText(pageLabel, { ...common, x: CONTENT_RIGHT - pageLabelWidth });
  });
}

// ---------------------------------------------------------------------------------------------
// Wording

/**
 * UTC in ISO 8601 form, e.g. `2024-05-01T10:00:00Z`. A timestamp without a zone designator is
 * read as UTC rather than the server's local zone. An unparsable one is shown as given: the
 * certificate must not hide evidence because it is oddly formatted.
 */
export function formatUtc(timestamp: string): string {
  const zoned = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(timestamp) ? `${timestamp}Z` : timestamp;
  const millis = Date.parse(zoned);
  if (Number.isNaN(millis)) return timestamp;
  return new Date(millis).toISOString().replace('.000Z', 'Z');
}

function statusColor(status: string): RGB {
  const normalized = status.toLowerCase();
  if (['completed', 'signed', 'sealed', 'received a copy'].includes(normalized)) return rgb(0.1, 0.45, 0.25);
  if (['declined', 'voided', 'expired', 'rejected'].includes(normalized)) return rgb(0.65, 0.15, 0.12);
  return MUTED;
}

/** A pale version of a colour for badge backgrounds. */
function tint(color: RGB): RGB {
  const pale = (channel: number) => 1 - (1 - channel) * 0.12;
  return rgb(pale(color.red), pale(color.green), pale(color.blue));
}
