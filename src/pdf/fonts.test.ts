import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { PDFDocument, type PDFFont, StandardFonts } from 'pdf-lib';
import {
  embedFontFace,
  fitsStandardFonts,
  showableText,
  splitEvenly,
  truncateToWidth,
  wrapToWidth,
} from './fonts.ts';

let helvetica: PDFFont;
let dejaVu: PDFFont;
let dejaVuMono: PDFFont;
before(async () => {
  helvetica = await (await PDFDocument.create()).embedFont(StandardFonts.Helvetica);
  const document = await PDFDocument.create();
  dejaVu = await embedFontFace(document, 'regular');
  dejaVuMono = await embedFontFace(document, 'mono');
});

describe('showableText with an embedded DejaVu face', () => {
  const cases = [
    {
      why: 'keeps Latin, Greek, Cyrillic and Hebrew',
      input: 'Zoë Ωμέγα Иван עברית Signé',
      shown: 'Zoë Ωμέγα Иван עברית Signé',
    },
    { why: 'keeps WinAnsi extras', input: 'Ørsted – “€5”…', shown: 'Ørsted – “€5”…' },
    { why: 'composes a decomposed accent (NFC) instead of replacing it', input: 'Zoe\u0308', shown: 'Zoë' },
    { why: 'replaces each CJK character with "?"', input: '张伟 Zhang', shown: '?? Zhang' },
    { why: 'replaces an emoji with a skin tone by one "?"', input: 'ok 👍🏽', shown: 'ok ?' },
    { why: 'replaces a ZWJ family emoji by one "?"', input: '👨‍👩‍👧', shown: '?' },
  ];
  for (const { why, input, shown } of cases) {
    it(why, () => {
      assert.equal(showableText(dejaVu, input), shown);
      assert.doesNotThrow(() => dejaVu.encodeText(shown));
    });
  }

  it('judges each face by its own glyphs: the mono face has no Hebrew', () =>
    assert.equal(showableText(dejaVuMono, 'Иван עברית'), 'Иван ?????'));

  it('measures and wraps Cyrillic text', () => {
    const lines = wrapToWidth(dejaVu, 10, 'Иван Петров Сидоров Иванович', 60);
    assert.ok(lines.length > 1);
    for (const line of lines) assert.ok(dejaVu.widthOfTextAtSize(line, 10) <= 60, line);
  });
});

describe('showableText with a standard font', () => {
  const cases = [
    { why: 'keeps Latin-1 and WinAnsi extras', input: 'Zoë Ørsted – “€5”', shown: 'Zoë Ørsted – “€5”' },
    { why: 'composes a decomposed accent (NFC) instead of replacing it', input: 'Zoe\u0308', shown: 'Zoë' },
    { why: 'replaces each CJK character with "?"', input: '张伟', shown: '??' },
    {
      why: 'replaces an emoji with a skin tone, two code points, by one "?"',
      input: 'ok 👍🏽',
      shown: 'ok ?',
    },
    { why: 'replaces a ZWJ family emoji by one "?"', input: '👨‍👩‍👧', shown: '?' },
    { why: 'puts line breaks and tabs on one line', input: ' a\n\tb  c ', shown: 'a b c' },
  ];
  for (const { why, input, shown } of cases) {
    it(why, () => {
      assert.equal(showableText(helvetica, input), shown);
      assert.doesNotThrow(() => helvetica.encodeText(shown));
    });
  }
});

describe('wrapToWidth', () => {
  it('breaks at spaces and keeps every line within the width', () => {
    const lines = wrapToWidth(helvetica, 10, 'the quick brown fox jumps over the lazy dog', 60);
    assert.ok(lines.length > 1);
    assert.equal(lines.join(' '), 'the quick brown fox jumps over the lazy dog');
    for (const line of lines) assert.ok(helvetica.widthOfTextAtSize(line, 10) <= 60, line);
  });

  it('breaks inside a word only when the word alone is too wide', () => {
    const token = 'x'.repeat(50);
    const lines = wrapToWidth(helvetica, 10, `id ${token}`, 60);
    assert.equal(lines[0], 'id');
    assert.equal(lines.slice(1).join(''), token);
  });

  it('marks dropped lines with an ellipsis on the last kept one', () => {
    const lines = wrapToWidth(helvetica, 10, 'one two three four five six seven eight', 40, 2);
    assert.equal(lines.length, 2);
    assert.match(lines[1] ?? '', /…$/);
  });
});

describe('truncateToWidth', () => {
  it('leaves text that fits alone', () =>
    assert.equal(truncateToWidth(helvetica, 10, 'short', 100), 'short'));
  it('cuts text that does not fit and adds an ellipsis', () => {
    const cut = truncateToWidth(helvetica, 10, 'a rather long sentence', 50);
    assert.match(cut, /^a rather.*…$/);
    assert.ok(helvetica.widthOfTextAtSize(cut, 10) <= 50);
  });
});

describe('splitEvenly', () => {
  const cases = [
    { token: 'a'.repeat(64), maxChars: 40, lengths: [32, 32] },
    { token: 'a'.repeat(64), maxChars: 64, lengths: [64] },
    { token: 'a'.repeat(64), maxChars: 20, lengths: [16, 16, 16, 16] },
    { token: 'a'.repeat(10), maxChars: 4, lengths: [4, 4, 2] },
  ];
  for (const { token, maxChars, lengths } of cases) {
    it(`splits ${token.length} characters at most ${maxChars} wide into ${lengths.join(' + ')}`, () => {
      assert.deepEqual(
        splitEvenly(token, maxChars).map((line) => line.length),
        lengths,
      );
    });
  }
});

describe('fitsStandardFonts', () => {
  it('accepts Latin-1 and the WinAnsi extras, which the standard fonts show', () => {
    assert.equal(fitsStandardFonts(['Zoë Müller-Lüdenscheidt', 'Œuvre “quoted” – 5 €', 'tab\there']), true);
  });
  it('asks for the embedded font as soon as one text goes beyond WinAnsi', () => {
    assert.equal(fitsStandardFonts(['plain', 'Иван']), false);
    assert.equal(fitsStandardFonts(['Ωμέγα']), false);
    assert.equal(fitsStandardFonts(['张伟']), false);
  });
  it('judges decomposed accents after NFC, as they will be drawn', () => {
    assert.equal(fitsStandardFonts(['Ze\u0301']), true);
  });
});
