/**
 * Text measurement for the 14 standard PDF fonts (ISO 32000-1 §9.6.2.2), which need no embedding.
 *
 * The standard fonts are drawn with WinAnsiEncoding (ISO 32000-1 Annex D.2), so they can show only
 * about 220 Latin characters. Anything else (CJK, emoji, most scripts) is replaced by a visible
 * '?' rather than crashing the whole completion — the caller still holds the original text for the
 * audit trail. A later issue may embed a Unicode font (which needs fontkit and a font file) and
 * make this replacement unnecessary.
 */
import type { PDFFont } from 'pdf-lib';

/** What a character the font cannot show is drawn as. */
export const UNSHOWABLE = '?';
const ELLIPSIS = '…'; // U+2026 is in WinAnsi (0x85), so it is safe with every standard Latin font.

const characterSets = new WeakMap<PDFFont, ReadonlySet<number>>();
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

function characterSetOf(font: PDFFont): ReadonlySet<number> {
  let set = characterSets.get(font);
  if (!set) {
    set = new Set(font.getCharacterSet());
    characterSets.set(font, set);
  }
  return set;
}

/**
 * Returns `text` as the font can draw it, on one line: NFC first (so a decomposed "e + ◌́" still
 * becomes the encodable "é"), every run of whitespace as one space, and each user-perceived
 * character the font cannot encode as a single '?' (so "👍🏽", two code points, is one '?').
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
