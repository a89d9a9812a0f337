/**
 * Fonts and text measurement for everything Signet draws into a PDF.
 *
 * Text is drawn in DejaVu fonts (the `dejavu-fonts-ttf` package), embedded as subsets through
 * fontkit, so Latin, Greek, Cyrillic, Hebrew and many symbols show as written. A character
 * the font has no glyph for (CJK, most emoji) is replaced by a visible '?' rather than crashing the
 * whole completion — the caller still holds the original text for the audit trail. The font files
 * are read once per process; each document embeds only the glyphs it uses.
 *
 * pdf-lib draws glyphs in the order fontkit lays them out and does no bidirectional reordering, so
 * a right-to-left word inside left-to-right text is shown in logical order.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import { Font as StandardFontMetrics } from '@pdf-lib/standard-fonts';
import { type PDFDocument, type PDFFont, StandardFonts } from 'pdf-lib';

/** The faces Signet draws with, by purpose. */
export type FontFace = 'regular' | 'bold' | 'oblique' | 'mono';

const FONT_FILES: Record<FontFace, string> = {
  regular: 'DejaVuSans.ttf',
  bold: 'DejaVuSans-Bold.ttf',
  // The sans oblique rather than the serif italic, which has no Hebrew.
  oblique: 'DejaVuSans-Oblique.ttf',
  mono: 'DejaVuSansMono.ttf',
};

const fontDirectory = join(
  dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
  'ttf',
);
const fontBytes = new Map<FontFace, Promise<Uint8Array>>();

function fontBytesOf(face: FontFace): Promise<Uint8Array> {
  let bytes = fontBytes.get(face);
  if (!bytes) {
    bytes = readFile(join(fontDirectory, FONT_FILES[face]));
    // A failed read is not cached, so a later document can try again.
    bytes.catch(() => fontBytes.delete(face));
    fontBytes.set(face, bytes);
  }
  return bytes;
}

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];
type ParsedFont = ReturnType<Fontkit['create']>;

/** Texts whose layout is remembered per embedded font before the memory is cleared. */
const LAYOUT_MEMORY = 4096;
const characterSetsByFile = new WeakMap<Uint8Array, number[]>();

/**
 * fontkit for pdf-lib, parsing the font afresh for every document — fontkit caches glyphs (and
 * the code points they were first met with, which end up in the ToUnicode map) on the parsed font,
 * so sharing one between documents would make a document's bytes depend on earlier ones. Only what
 * depends on the file alone is shared: its list of code points. Each parsed font also remembers
 * the layout of the texts it has measured, since pdf-lib lays a text out again for every width
 * and wrapping and truncating measure the same prefixes many times.
 */
const documentFontkit: Fontkit = {
  create(bytes: Uint8Array, postscriptName?: string): ParsedFont {
    const font = fontkit.create(bytes, postscriptName);
    if (postscriptName !== undefined) return font;
    let codePoints = characterSetsByFile.get(bytes);
    if (!codePoints) {
      codePoints = font.characterSet;
      characterSetsByFile.set(bytes, codePoints);
    }
    Object.defineProperty(font, 'characterSet', { value: codePoints });
    return rememberLayouts(font);
  },
};

function rememberLayouts(font: ParsedFont): ParsedFont {
  const layout = font.layout.bind(font);
  const runs = new Map<string, ReturnType<ParsedFont['layout']>>();
  font.layout = (text, features) => {
    if (features !== undefined) return layout(text, features);
    let run = runs.get(text);
    if (!run) {
      if (runs.size >= LAYOUT_MEMORY) runs.clear();
      run = layout(text);
      runs.set(text, run);
    }
    return run;
  };
  return font;
}

const STANDARD_FACES: Record<FontFace, StandardFonts> = {
  regular: StandardFonts.Helvetica,
  bold: StandardFonts.HelveticaBold,
  oblique: StandardFonts.HelveticaOblique,
  mono: StandardFonts.Courier,
};

/** WinAnsi beyond Latin-1 (PDF 32000-1 Annex D.2): what the standard fonts can show besides U+0020–U+007E and U+00A0–U+00FF. */
const WIN_ANSI_EXTRAS = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/**
 * True when the standard fonts can show every character of every text. Embedding nothing is
 * then the right choice: a DejaVu subset costs ~35 ms per face per document (measured; it made a
 * one-page completion ~10× slower) and ~10 KB per face, for no visible difference.
 */
export function fitsStandardFonts(texts: Iterable<string>): boolean {
  for (const text of texts) {
    for (const char of text.normalize('NFC')) {
      const code = char.codePointAt(0) ?? 0;
      const latin = (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || /\s/u.test(char);
      if (!latin && !WIN_ANSI_EXTRAS.has(char)) return false;
    }
  }
  return true;
}

/**
 * Embeds one face into `document`: a standard font when `unicode` is false (see
 * `fitsStandardFonts`), otherwise a DejaVu subset — only the glyphs actually drawn are written.
 */
export async function embedFontFace(document: PDFDocument, face: FontFace, unicode = true): Promise<PDFFont> {
  if (!unicode) return document.embedFont(STANDARD_FACES[face]);
  document.registerFontkit(documentFontkit);
  return document.embedFont(await fontBytesOf(face), { subset: true });
}

/** What a character the font cannot show is drawn as. */
export const UNSHOWABLE = '?';
const ELLIPSIS = '…'; // U+2026 is in every DejaVu face (and in WinAnsi, 0x85).

/** Keyed by the code point list, which is the same for every document embedding one font file. */
const characterSets = new WeakMap<readonly number[], ReadonlySet<number>>();
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

function characterSetOf(font: PDFFont): ReadonlySet<number> {
  const codePoints = font.getCharacterSet();
  let set = characterSets.get(codePoints);
  if (!set) {
    set = new Set(codePoints);
    characterSets.set(codePoints, set);
  }
  return set;
}

/**
 * Returns `text` as the font can draw it, on one line: NFC first (so a decomposed "e + ◌́" still
 * becomes the single glyph "é"), every run of whitespace as one space, and each user-perceived
 * character the font has no glyph for — judged by the font's own character set, WinAnsi for a
 * standard font — as a single '?' (so "👍🏽", two code points, is one '?').
 */
export function showableText(font: PDFFont, text: string): string {
  const showable = characterSetOf(font);
  const oneLine = text.normalize('NFC').replace(/\s+/gu, ' ').trim();
  let result = '';
  for (const { segment } of graphemes.segment(oneLine)) {
    const encodable = [...segment].every((char) => showable.has(char.codePointAt(0) ?? -1));
    result += encodable ? segment : UNSHOWABLE;
  }
  return result;
}

/** Cuts already-showable text so that it fits `maxWidth`, marking the cut with an ellipsis. */
export function truncateToWidth(font: PDFFont, size: number, text: string, maxWidth: number): string {
  if (font.widthOfTextAtSize(text, size) <= maxWidth) return text;
  return cutWithEllipsis(font, size, [...text].slice(0, -1), maxWidth);
}

/** The longest prefix of `chars` that, followed by an ellipsis, fits `maxWidth`. */
function cutWithEllipsis(font: PDFFont, size: number, chars: string[], maxWidth: number): string {
  for (let end = chars.length; end >= 0; end--) {
    const candidate = `${chars.slice(0, end).join('').trimEnd()}${ELLIPSIS}`;
    if (font.widthOfTextAtSize(candidate, size) <= maxWidth) return candidate;
  }
  return '';
}

/**
 * Breaks already-showable text into lines no wider than `maxWidth`: at spaces where possible,
 * inside a word only when the word alone is too wide (hashes, user agents, e-mail addresses).
 * With `maxLines`, the last kept line is truncated with an ellipsis.
 */
export function wrapToWidth(
  font: PDFFont,
  size: number,
  text: string,
  maxWidth: number,
  maxLines = Number.POSITIVE_INFINITY,
): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (font.widthOfTextAtSize(candidate, size) <= maxWidth) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    line = '';
    for (const piece of breakWord(font, size, word, maxWidth)) {
      if (line !== '') lines.push(line);
      line = piece;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return limitLines(font, size, lines, maxWidth, maxLines);
}

function breakWord(font: PDFFont, size: number, word: string, maxWidth: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const char of word) {
    if (piece !== '' && font.widthOfTextAtSize(piece + char, size) > maxWidth) {
      pieces.push(piece);
      piece = '';
    }
    piece += char;
  }
  pieces.push(piece);
  return pieces;
}

function limitLines(font: PDFFont, size: number, lines: string[], maxWidth: number, maxLines: number) {
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = kept.length - 1;
  // Always mark the last kept line, even when it fits: text was dropped after it.
  kept[last] = cutWithEllipsis(font, size, [...(kept[last] ?? '')], maxWidth);
  return kept;
}

/**
 * Splits a fixed-width token (a hex digest) into equal-length lines of at most `maxChars`, so a
 * SHA-256 reads as 2 × 32 rather than 43 + 21 and is easy to compare by eye.
 */
export function splitEvenly(token: string, maxChars: number): string[] {
  const lineCount = Math.max(1, Math.ceil(token.length / Math.max(1, maxChars)));
  const perLine = Math.ceil(token.length / lineCount);
  const lines: string[] = [];
  for (let start = 0; start < token.length; start += perLine) lines.push(token.slice(start, start + perLine));
  return lines.length > 0 ? lines : [''];
}

/** Distance from the baseline to the lowest descender, in points (a positive number). */
export function descentAtSize(font: PDFFont, size: number): number {
  return font.heightAtSize(size) - font.heightAtSize(size, { descender: false });
}

/**
 * Where the ink of a line lies around its baseline, as a share of the font size: `bottom` ≤ 0
 * (the lowest descender, accent or cedilla) and `top` ≥ 0. Text sized and placed by its ink
 * rather than by the font's ascent and descent fits its box whole: ascent and descent are
 * typographic averages that accented capitals and deep descenders overshoot, and a field is
 * clipped at its edges.
 */
export interface InkExtent {
  bottom: number;
  top: number;
}

/**
 * The ink extent of `text` (already showable) in `face`. For a DejaVu subset, the glyphs'
 * own outlines; the standard fonts ship only widths (no glyph outlines to measure), so their
 * font bounding box, which encloses every glyph (the AFM's FontBBox).
 */
export async function inkExtent(face: FontFace, unicode: boolean, text: string): Promise<InkExtent> {
  if (!unicode) {
    const [, bottom = 0, , top = 0] = StandardFontMetrics.load(STANDARD_FACES[face]).FontBBox;
    return { bottom: Math.min(0, bottom / 1000), top: Math.max(0, top / 1000) };
  }
  const font = await measuringFont(face);
  let bottom = 0;
  let top = 0;
  for (const glyph of font.layout(text).glyphs) {
    bottom = Math.min(bottom, glyph.bbox.minY);
    top = Math.max(top, glyph.bbox.maxY);
  }
  return { bottom: bottom / font.unitsPerEm, top: top / font.unitsPerEm };
}

/** A parsed face for measuring only, never embedded, so sharing it cannot change a document. */
const measuringFonts = new Map<FontFace, Promise<ParsedFont>>();

function measuringFont(face: FontFace): Promise<ParsedFont> {
  let font = measuringFonts.get(face);
  if (!font) {
    font = fontBytesOf(face).then((bytes) => rememberLayouts(fontkit.create(bytes)));
    font.catch(() => measuringFonts.delete(face));
    measuringFonts.set(face, font);
  }
  return font;
}
