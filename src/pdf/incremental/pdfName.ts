import { PDFName } from 'pdf-lib';

/*
 * PDFName.of, memoised. pdf-lib's PDFName.of runs a #xx-decoding regex over its argument before
 * it looks the name up in its pool, ~120 ns a call; a 1-page seal asks for about sixty names
 * (and parsing asks for one per key), which was 6 % of the seal's work beside the RSA sign.
 * Keyed by the name as written (with its #xx escapes, ISO 32000-1 §7.3.5), so the parser can
 * pass what it read. Bounded, because a hostile file can hold any number of distinct names.
 */

const CACHE_LIMIT = 4096;
const namesByWrittenForm = new Map<string, PDFName>();

export function pdfName(written: string): PDFName {
  let name = namesByWrittenForm.get(written);
  if (name === undefined) {
    name = PDFName.of(written);
    if (namesByWrittenForm.size >= CACHE_LIMIT) namesByWrittenForm.clear();
    namesByWrittenForm.set(written, name);
  }
  return name;
}
