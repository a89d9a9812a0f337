import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { degrees, PDFDict, PDFDocument, PDFName, StandardFonts } from 'pdf-lib';
import { solidPng } from '../../test/support/png.ts';
import { SignetError } from '../errors.ts';
import { composeCompletedPdf, fieldFitsPage, readPageSizes, type StampField } from './compose.ts';
import { appearancePlacement } from './composeForms.ts';
import { displayedToUser, fieldToUserMatrix, type UserRect, visibleRect } from './composeGeometry.ts';
import { embeddedSignatures } from './incremental/dss.ts';
import { PdfBuffer } from './incremental/pdfBuffer.ts';
import { appendSignatureRevision } from './incremental/signatureRevision.ts';
import { openPdf } from './inspect.ts';

const run = promisify(execFile);
let workDir = '';

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'signet-compose-'));
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Fixtures: small PDFs and a PNG made here, so every geometry case is explicit.

const A4 = { width: 595.28, height: 841.89 };
const LETTER = { width: 612, height: 792 };

/** Two A4 pages. */
async function alphaDocument(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const n of [1, 2]) {
    const page = doc.addPage([A4.width, A4.height]);
    page.drawText(`Alpha body page ${n}`, { x: 300, y: 60, size: 10, font });
  }
  return doc.save();
}

/**
 * Four pages with awkward geometry:
 * 1. Letter with /Rotate 90 (displayed 792 × 612);
 * 2. MediaBox 700 × 900 with CropBox [100 150 500 650] (displayed 400 × 500);
 * 3. the same boxes with /Rotate 270 (displayed 500 × 400);
 * 4. A4 with /Rotate 180.
 */
async function awkwardDocument(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const rotated = doc.addPage([LETTER.width, LETTER.height]);
  rotated.setRotation(degrees(90));
  for (const rotation of [0, 270]) {
    const cropped = doc.addPage([700, 900]);
    cropped.setCropBox(100, 150, 400, 500);
    cropped.setRotation(degrees(rotation));
  }
  doc.addPage([A4.width, A4.height]).setRotation(degrees(180));
  return doc.save();
}

async function appendixDocument(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([A4.width, A4.height]).drawText('Appendix marker', { x: 50, y: 700, size: 14, font });
  return doc.save();
}

/** A document whose sender filled in an AcroForm text field. */
async function formDocument(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([A4.width, A4.height]);
  const field = doc.getForm().createTextField('company');
  field.setText('Sender filled');
  field.addToPage(page, { x: 100, y: 600, width: 200, height: 24 });
  return doc.save();
}

// ---------------------------------------------------------------------------------------------
// Inspecting the result with poppler and qpdf, as a viewer would see it.

async function savePdf(bytes: Uint8Array, name: string): Promise<string> {
  const path = join(workDir, name);
  await writeFile(path, bytes);
  return path;
}

interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Text pdftotext finds on one page, or only the words lying wholly inside a displayed region.
 * Regions are matched against `-bbox` word boxes, which with `-cropbox` are in displayed
 * coordinates (rotation applied, origin at the crop box's top-left corner, 1 pt per unit); the
 * `-x/-y/-W/-H` crop of poppler 22 measures from the media box instead.
 */
async function textOn(path: string, page: number, region?: Region): Promise<string> {
  const pages = ['-f', String(page), '-l', String(page), '-cropbox'];
  if (!region) {
    const { stdout } = await run('pdftotext', [...pages, '-layout', path, '-']);
    return stdout.replace(/\s+/g, ' ').trim();
  }
  const { stdout } = await run('pdftotext', [...pages, '-bbox', path, '-']);
  const wordPattern = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)<\/word>/g;
  const inside = [...stdout.matchAll(wordPattern)].filter(([, xMin, yMin, xMax, yMax]) => {
    const [left, top, right, bottom] = [xMin, yMin, xMax, yMax].map(Number) as [
      number,
      number,
      number,
      number,
    ];
    return (
      left >= region.x &&
      top >= region.y &&
      right <= region.x + region.width &&
      bottom <= region.y + region.height
    );
  });
  return inside.map((match) => decodeEntities(match[5] ?? '')).join(' ');
}

function decodeEntities(text: string): string {
  const entities: Record<string, string> = {
    '&amp;': '&',
    '&lt;': '<',
    '&gt;': '>',
    '&quot;': '"',
    '&apos;': "'",
  };
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (entity) => entities[entity] ?? entity);
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** Pads a field box so glyph overhang at the edges stays inside the crop. */
function around(box: Region, margin = 3): Region {
  return {
    x: box.x - margin,
    y: box.y - margin,
    width: box.width + 2 * margin,
    height: box.height + 2 * margin,
  };
}

interface Raster {
  width: number;
  height: number;
  pixel(x: number, y: number): [number, number, number];
}

/** Renders one page at 72 dpi, so one pixel is one point of the displayed page. */
async function render(path: string, page: number): Promise<Raster> {
  const prefix = join(workDir, `render-${page}-${Math.random().toString(36).slice(2)}`);
  await run('pdftoppm', ['-r', '72', '-f', String(page), '-l', String(page), '-singlefile', path, prefix]);
  const ppm = await readFile(`${prefix}.ppm`);
  const match = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 40).toString('latin1'));
  assert.ok(match, 'pdftoppm wrote a binary PPM');
  const width = Number(match[1]);
  const height = Number(match[2]);
  const offset = match[0].length;
  return {
    width,
    height,
    pixel: (x, y) => {
      const at = offset + (y * width + x) * 3;
      return [ppm[at] ?? 0, ppm[at + 1] ?? 0, ppm[at + 2] ?? 0];
    },
  };
}

/** The bounding box of the pixels matching `predicate`, or undefined when none do. */
function boundsOf(raster: Raster, predicate: (rgb: [number, number, number]) => boolean): Region | undefined {
  let left = Number.POSITIVE_INFINITY;
  let top = Number.POSITIVE_INFINITY;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < raster.height; y++) {
    for (let x = 0; x < raster.width; x++) {
      if (!predicate(raster.pixel(x, y))) continue;
      left = Math.min(left, x);
      top = Math.min(top, y);
      right = Math.max(right, x);
      bottom = Math.max(bottom, y);
    }
  }
  if (right < 0) return undefined;
  return { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

function countInside(raster: Raster, region: Region, predicate: (rgb: [number, number, number]) => boolean) {
  let count = 0;
  for (let y = Math.round(region.y); y < Math.round(region.y + region.height); y++) {
    for (let x = Math.round(region.x); x < Math.round(region.x + region.width); x++) {
      if (predicate(raster.pixel(x, y))) count++;
    }
  }
  return count;
}

const isRed = ([r, g, b]: [number, number, number]) => r > 200 && g < 80 && b < 80;
const isDark = ([r, g, b]: [number, number, number]) => r + g + b < 300;

async function pageCount(path: string): Promise<number> {
  const { stdout } = await run('pdfinfo', [path]);
  return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1]);
}

async function expectRejection(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SignetError, `expected a SignetError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.status, 422);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------

describe('composeCompletedPdf', () => {
  const boxes = {
    alphaName: { x: 50, y: 100, width: 200, height: 20 },
    alphaChecked: { x: 300, y: 400, width: 20, height: 20 },
    alphaUnchecked: { x: 340, y: 400, width: 20, height: 20 },
    rotatedText: { x: 500, y: 450, width: 200, height: 24 },
    rotatedTyped: { x: 100, y: 80, width: 220, height: 40 },
    rotatedImage: { x: 400, y: 80, width: 120, height: 40 },
    croppedText: { x: 20, y: 30, width: 180, height: 20 },
    turned270Text: { x: 280, y: 340, width: 200, height: 20 },
    upsideDownText: { x: 40, y: 40, width: 200, height: 20 },
  };
  const png = solidPng(60, 30, [255, 0, 0, 255]); // 2:1, so in a 3:1 box it is centred horizontally
  let composedPath = '';

  before(async () => {
    const fields: StampField[] = [
      { documentIndex: 0, page: 1, ...boxes.alphaName, value: { kind: 'text', text: 'Alice Example' } },
      { documentIndex: 0, page: 2, ...boxes.alphaChecked, value: { kind: 'checkbox', checked: true } },
      { documentIndex: 0, page: 2, ...boxes.alphaUnchecked, value: { kind: 'checkbox', checked: false } },
      { documentIndex: 1, page: 1, ...boxes.rotatedText, value: { kind: 'text', text: 'Rotated Stamp' } },
      {
        documentIndex: 1,
        page: 1,
        ...boxes.rotatedTyped,
        value: { kind: 'typedSignature', text: 'Bob Signer' },
      },
      { documentIndex: 1, page: 1, ...boxes.rotatedImage, value: { kind: 'image', png } },
      { documentIndex: 1, page: 2, ...boxes.croppedText, value: { kind: 'text', text: 'Cropped Stamp' } },
      { documentIndex: 1, page: 3, ...boxes.turned270Text, value: { kind: 'text', text: 'Turned Stamp' } },
      { documentIndex: 1, page: 4, ...boxes.upsideDownText, value: { kind: 'text', text: 'Upside Stamp' } },
    ];
    const bytes = await composeCompletedPdf({
      documents: [
        { name: 'alpha.pdf', bytes: await alphaDocument() },
        { name: 'awkward.pdf', bytes: await awkwardDocument() },
      ],
      fields,
      appendix: await appendixDocument(),
    });
    composedPath = await savePdf(bytes, 'composed.pdf');
  });

  it('merges the documents in order and appends the appendix pages', async () => {
    assert.equal(await pageCount(composedPath), 2 + 4 + 1);
    assert.match(await textOn(composedPath, 1), /Alpha body page 1/);
    assert.match(await textOn(composedPath, 2), /Alpha body page 2/);
    assert.match(await textOn(composedPath, 7), /Appendix marker/);
  });

  it('writes a structurally valid PDF with a classic xref table and no object streams', async () => {
    await run('qpdf', ['--check', composedPath]); // rejects on a non-zero exit status
    const raw = (await readFile(composedPath)).toString('latin1');
    assert.match(raw, /\nxref\n/);
    assert.doesNotMatch(raw, /\/ObjStm/);
  });

  const textCases = [
    { name: 'an upright A4 page', page: 1, box: boxes.alphaName, text: 'Alice Example' },
    { name: 'a page with /Rotate 90', page: 3, box: boxes.rotatedText, text: 'Rotated Stamp' },
    {
      name: 'a page whose CropBox does not start at the origin',
      page: 4,
      box: boxes.croppedText,
      text: 'Cropped Stamp',
    },
    { name: 'a cropped page with /Rotate 270', page: 5, box: boxes.turned270Text, text: 'Turned Stamp' },
    { name: 'a page with /Rotate 180', page: 6, box: boxes.upsideDownText, text: 'Upside Stamp' },
  ];
  for (const { name, page, box, text } of textCases) {
    it(`stamps text inside its box as displayed on ${name}`, async () => {
      assert.equal(await textOn(composedPath, page, around(box)), text);
      assert.equal(occurrences(await textOn(composedPath, page), text), 1, 'and nowhere else on the page');
    });
  }

  it('stamps a typed signature in its box in an oblique font', async () => {
    // pdftotext's word box spans DejaVu's full ascent, which at a signature's size reaches a few
    // points above the glyphs themselves (they are clipped to the box anyway).
    assert.equal(await textOn(composedPath, 3, around(boxes.rotatedTyped, 8)), 'Bob Signer');
    const { stdout } = await run('pdffonts', ['-f', '3', '-l', '3', composedPath]);
    // Latin-only values need no embedded font: the standard oblique face shows them.
    assert.match(stdout, /Helvetica-Oblique\s+Type 1/);
  });

  it('embeds no font into a document whose fields hold no text', async () => {
    const bytes = await composeCompletedPdf({
      documents: [{ name: 'alpha.pdf', bytes: await alphaDocument() }],
      fields: [
        { documentIndex: 0, page: 1, ...boxes.alphaChecked, value: { kind: 'checkbox', checked: true } },
      ],
    });
    const { stdout } = await run('pdffonts', [await savePdf(bytes, 'no-text.pdf')]);
    assert.doesNotMatch(stdout, /DejaVu/);
  });

  it('draws a PNG scaled to fit its box with the aspect ratio kept, centred', async () => {
    const raster = await render(composedPath, 3);
    assert.deepEqual([raster.width, raster.height], [792, 612], 'page 3 is displayed in landscape');
    const red = boundsOf(raster, isRed);
    assert.ok(red, 'the red image is visible');
    const { x, y, height } = boxes.rotatedImage;
    // 60 × 30 scaled into 120 × 40 is 80 × 40, centred: 20 pt in from each side.
    const expected = { x: x + 20, y, width: 80, height };
    for (const key of ['x', 'y', 'width', 'height'] as const) {
      assert.ok(Math.abs(red[key] - expected[key]) <= 1.5, `${key}: ${red[key]} ≈ ${expected[key]}`);
    }
  });

  it('draws a tick in a checked box and only the outline in an unchecked one', async () => {
    const raster = await render(composedPath, 2);
    const interior = (box: Region) => ({
      x: box.x + 5,
      y: box.y + 5,
      width: box.width - 10,
      height: box.height - 10,
    });
    assert.ok(countInside(raster, interior(boxes.alphaChecked), isDark) > 10, 'tick inside the checked box');
    assert.equal(countInside(raster, interior(boxes.alphaUnchecked), isDark), 0, 'unchecked box is empty');
    assert.ok(countInside(raster, boxes.alphaUnchecked, isDark) > 10, 'unchecked box has an outline');
  });
});

describe('composeCompletedPdf text fitting and encoding', () => {
  async function composeOneText(text: string, box: Region): Promise<string> {
    const bytes = await composeCompletedPdf({
      documents: [{ name: 'alpha.pdf', bytes: await alphaDocument() }],
      fields: [{ documentIndex: 0, page: 1, ...box, value: { kind: 'text', text } }],
    });
    return savePdf(bytes, `text-${Math.random().toString(36).slice(2)}.pdf`);
  }

  it('shrinks text that is too wide for its box until it fits', async () => {
    const box = { x: 60, y: 200, width: 150, height: 14 };
    const text = 'Northwind Traders International Holdings Ltd';
    const path = await composeOneText(text, box);
    assert.equal(await textOn(path, 1, around(box, 1)), text);
  });

  it('truncates with an ellipsis when even the smallest size does not fit', async () => {
    const box = { x: 60, y: 200, width: 30, height: 14 };
    const path = await composeOneText('Northwind Traders International Holdings Ltd', box);
    assert.match(await textOn(path, 1, around(box, 1)), /^Nort.*…$/);
  });

  it('replaces only characters the font has no glyph for with "?" instead of failing', async () => {
    const box = { x: 60, y: 200, width: 250, height: 20 };
    const path = await composeOneText('Zoë Ωμέγα 张伟 👍🏽\nDupont', box);
    assert.equal(await textOn(path, 1, around(box)), 'Zoë Ωμέγα ?? ? Dupont');
  });

  it('shows Greek and Cyrillic as written, in a text value and in a typed signature', async () => {
    const text = 'Zoë Ωμέγα Иван';
    const valueBox = { x: 60, y: 200, width: 250, height: 20 };
    const signatureBox = { x: 60, y: 300, width: 250, height: 40 };
    const bytes = await composeCompletedPdf({
      documents: [{ name: 'alpha.pdf', bytes: await alphaDocument() }],
      fields: [
        { documentIndex: 0, page: 1, ...valueBox, value: { kind: 'text', text } },
        { documentIndex: 0, page: 1, ...signatureBox, value: { kind: 'typedSignature', text } },
      ],
    });
    const path = await savePdf(bytes, 'unicode.pdf');
    assert.equal(await textOn(path, 1, around(valueBox)), text);
    assert.equal(await textOn(path, 1, around(signatureBox, 8)), text); // see the typed signature test
    await run('qpdf', ['--check', path]);
  });
});

/**
 * The darkness of a box's rim, rendered by Poppler: the share of dark pixels in the box's
 * outermost rows and columns, where a glyph clipped at the field's edge leaves its cut, and in
 * the whole box (so the check cannot pass on an empty box).
 */
async function inkAtRim(path: string, box: { x: number; y: number; width: number; height: number }) {
  const scale = 4; // 288 dpi: four pixels per point
  const [x, y, w, h] = [box.x, box.y, box.width, box.height].map((v) => Math.round(v * scale)) as [
    number,
    number,
    number,
    number,
  ];
  const { stdout } = await run(
    'pdftoppm',
    ['-gray', '-r', String(72 * scale), '-f', '1', '-l', '1', '-x', String(x), '-y', String(y)].concat([
      '-W',
      String(w),
      '-H',
      String(h),
      path,
    ]),
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  // PGM (P5): three header lines (magic, size, maximum), then one byte per pixel.
  let offset = 0;
  for (let lines = 0; lines < 3; offset++) if (stdout[offset] === 0x0a) lines++;
  const dark = (col: number, row: number) => (stdout[offset + row * w + col] ?? 255) < 128;
  let rim = 0;
  let inside = 0;
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      if (!dark(col, row)) continue;
      inside++;
      if (row === 0 || row === h - 1 || col === 0 || col === w - 1) rim++;
    }
  }
  return { rim, inside };
}

describe('typed signatures fitted to their box', () => {
  const cases = [
    { name: 'descenders in the standard font', text: 'Jiggy Quaypy' },
    { name: 'accented capitals and a cedilla', text: 'Åsa Çağlayan' },
    { name: 'a short name in a wide box', text: 'Jy' },
    { name: 'Greek and Cyrillic in the embedded font', text: 'Ψυχή Щука' },
  ];
  for (const { name, text } of cases) {
    it(`draws ${name} whole, with no stroke cut at the field's edge`, async () => {
      const box = { x: 60, y: 200, width: 220, height: 36 };
      const bytes = await composeCompletedPdf({
        documents: [{ name: 'alpha.pdf', bytes: await alphaDocument() }],
        fields: [{ documentIndex: 0, page: 1, ...box, value: { kind: 'typedSignature', text } }],
      });
      const path = await savePdf(bytes, `typed-${name.replaceAll(' ', '-')}.pdf`);
      const { rim, inside } = await inkAtRim(path, box);
      assert.ok(inside > 200, `the signature is drawn (${inside} dark pixels)`);
      assert.equal(rim, 0, 'no ink on the box edge, where the clip would cut a glyph');
    });
  }
});

describe('composeCompletedPdf determinism', () => {
  it('gives the same bytes for the same input, so the pre-certificate hash can be re-derived', async () => {
    const input = {
      documents: [{ name: 'alpha.pdf', bytes: await alphaDocument() }],
      fields: [
        {
          documentIndex: 0,
          page: 1,
          x: 10,
          y: 10,
          width: 80,
          height: 20,
          value: { kind: 'text', text: 'Same' },
        },
      ],
    } satisfies Parameters<typeof composeCompletedPdf>[0];
    const first = await composeCompletedPdf(input);
    const second = await composeCompletedPdf(input);
    assert.deepEqual(Buffer.from(first), Buffer.from(second));
  });
});

describe('composeCompletedPdf with an existing AcroForm', () => {
  it('flattens the filled-in field: its appearance stays visible and no widget remains', async () => {
    const bytes = await composeCompletedPdf({
      documents: [{ name: 'form.pdf', bytes: await formDocument() }],
      fields: [],
    });
    const path = await savePdf(bytes, 'form-composed.pdf');
    // pdf-lib placed the widget at x 100, y 600 (bottom-left), 24 pt high, on an A4 page.
    const widget = { x: 100, y: A4.height - 624, width: 200, height: 24 };
    assert.equal(await textOn(path, 1, around(widget)), 'Sender filled');
    const raw = Buffer.from(bytes).toString('latin1');
    assert.doesNotMatch(raw, /\/Widget/);
    assert.doesNotMatch(raw, /\/AcroForm/);
    await run('qpdf', ['--check', path]);
  });
});

describe('composeCompletedPdf with a document signed before upload', () => {
  /**
   * Alpha with a signature revision appended. The /Contents is a placeholder, not a CMS: what
   * matters here is that the bytes it covers survive; realWorldPdfs.test.ts checks a real
   * signature made by mutool with pdfsig.
   */
  async function signedAlpha(): Promise<Uint8Array> {
    return appendSignatureRevision(
      PdfBuffer.copyOf(await alphaDocument()),
      { kind: 'signature', fieldName: 'Earlier signature', contentsBytes: 64 },
      async () => new Uint8Array([0x30, 0x00]),
    );
  }
  const textBox = { x: 50, y: 100, width: 200, height: 20 };

  it('stamps and attaches in place, so every byte the earlier signature covers stays as it was', async () => {
    const signed = await signedAlpha();
    const appendix = await appendixDocument();
    const bytes = await composeCompletedPdf({
      documents: [{ name: 'signed.pdf', bytes: signed }],
      fields: [{ documentIndex: 0, page: 2, ...textBox, value: { kind: 'text', text: 'Stamped later' } }],
      appendix,
      appendixName: 'certificate.pdf',
    });
    assert.ok(Buffer.from(bytes.subarray(0, signed.length)).equals(Buffer.from(signed)), 'a prefix');
    const path = await savePdf(bytes, 'signed-composed.pdf');
    assert.equal(await pageCount(path), 2, 'no page added after a signature');
    await run('qpdf', ['--check', path]);
    // The value is a locked stamp annotation: drawn by a renderer, not part of the page's text.
    const { stdout: drawn } = await run('mutool', ['draw', '-q', '-F', 'txt', '-o', '-', path, '2']);
    assert.match(drawn, /Stamped later/);
    const page2 = (await openPdf(bytes)).getPage(1);
    const annotation = page2.node.Annots()?.lookup(0, PDFDict);
    assert.equal(annotation?.get(PDFName.of('Subtype')), PDFName.of('Stamp'));
    assert.equal(
      annotation?.get(PDFName.of('F'))?.toString(),
      String(4 | 128 | 512),
      'Print, Locked, LockedContents',
    );
    // The certificate travels inside the file, byte for byte.
    const { stdout: listed } = await run('pdfdetach', ['-list', path]);
    assert.match(listed, /1: certificate\.pdf/);
    const extracted = join(workDir, 'extracted-certificate.pdf');
    await run('pdfdetach', ['-save', '1', '-o', extracted, path]);
    assert.ok((await readFile(extracted)).equals(Buffer.from(appendix)));
  });

  it('changes neither page content nor page resources: only /Annots and new objects', async () => {
    const signed = await signedAlpha();
    const bytes = await composeCompletedPdf({
      documents: [{ name: 'signed.pdf', bytes: signed }],
      fields: [{ documentIndex: 0, page: 1, ...textBox, value: { kind: 'checkbox', checked: true } }],
      appendix: await appendixDocument(),
    });
    const [before, after] = await Promise.all([openPdf(signed), openPdf(bytes)]);
    for (const index of [0, 1]) {
      const keys = (document: PDFDocument) =>
        document
          .getPage(index)
          .node.entries()
          .filter(([key]) => key !== PDFName.of('Annots'))
          .map(([key, value]) => `${key}=${value}`);
      assert.deepEqual(keys(after), keys(before), `page ${index + 1}`);
    }
  });

  it('draws the stamps where the merged path draws them, on rotated and cropped pages too', async () => {
    const fields: StampField[] = [1, 2, 3, 4].flatMap((page) => [
      {
        documentIndex: 0,
        page,
        x: 30,
        y: 40,
        width: 150,
        height: 24,
        value: { kind: 'text', text: 'Placed' },
      },
      {
        documentIndex: 0,
        page,
        x: 200,
        y: 80,
        width: 60,
        height: 40,
        value: { kind: 'image', png: solidPng(30, 20, [255, 0, 0, 255]) },
      },
    ]);
    const plain = await awkwardDocument();
    const signed = await appendSignatureRevision(
      PdfBuffer.copyOf(plain),
      { kind: 'signature', fieldName: 'Earlier signature', contentsBytes: 64 },
      async () => new Uint8Array([0x30, 0x00]),
    );
    const merged = await savePdf(
      await composeCompletedPdf({ documents: [{ name: 'a.pdf', bytes: plain }], fields }),
      'awkward-merged.pdf',
    );
    const annotated = await savePdf(
      await composeCompletedPdf({ documents: [{ name: 'a.pdf', bytes: signed }], fields }),
      'awkward-annotated.pdf',
    );
    for (const page of [1, 2, 3, 4]) {
      const [expected, actual] = await Promise.all([render(merged, page), render(annotated, page)]);
      assert.deepEqual(boundsOf(actual, isRed), boundsOf(expected, isRed), `image on page ${page}`);
      assert.deepEqual(boundsOf(actual, isDark), boundsOf(expected, isDark), `text on page ${page}`);
    }
  });

  it('leaves the form alone: flattening would remove the signed field itself', async () => {
    const bytes = await composeCompletedPdf({
      documents: [{ name: 'signed.pdf', bytes: await signedAlpha() }],
      fields: [],
      appendix: await appendixDocument(),
    });
    const fields = embeddedSignatures(bytes);
    assert.deepEqual(
      fields.map((field) => field.fieldName),
      ['Earlier signature'],
    );
  });

  it('merges several documents into a new file, in which an uploaded signature cannot survive', async () => {
    const bytes = await composeCompletedPdf({
      documents: [
        { name: 'signed.pdf', bytes: await signedAlpha() },
        { name: 'alpha.pdf', bytes: await alphaDocument() },
      ],
      fields: [],
    });
    assert.doesNotMatch(Buffer.from(bytes).toString('latin1'), /\/ByteRange/);
    assert.equal(await pageCount(await savePdf(bytes, 'signed-merged.pdf')), 4);
  });
});

describe('composeCompletedPdf rejections', () => {
  async function composeWith(field: Partial<StampField>, documentBytes?: Uint8Array) {
    return composeCompletedPdf({
      documents: [{ name: 'alpha.pdf', bytes: documentBytes ?? (await alphaDocument()) }],
      fields: [
        {
          documentIndex: 0,
          page: 1,
          x: 10,
          y: 10,
          width: 50,
          height: 20,
          value: { kind: 'text', text: 'x' },
          ...field,
        },
      ],
    });
  }

  it('rejects a field on a document that does not exist', async () => {
    await expectRejection(composeWith({ documentIndex: 1 }), 'FIELD_UNKNOWN_DOCUMENT');
    await expectRejection(composeWith({ documentIndex: -1 }), 'FIELD_UNKNOWN_DOCUMENT');
  });

  it('rejects a field on a page that does not exist', async () => {
    await expectRejection(composeWith({ page: 0 }), 'FIELD_OFF_PAGE');
    await expectRejection(composeWith({ page: 3 }), 'FIELD_OFF_PAGE');
    await expectRejection(composeWith({ page: 1.5 }), 'FIELD_OFF_PAGE');
  });

  it('rejects a field whose box leaves its page', async () => {
    await expectRejection(composeWith({ x: 560, width: 50 }), 'FIELD_OFF_PAGE');
    await expectRejection(composeWith({ y: 830, height: 20 }), 'FIELD_OFF_PAGE');
  });

  it('judges a rotated page by its displayed size', async () => {
    const awkward = await awkwardDocument();
    // Letter rotated 90° is displayed 792 wide and 612 high.
    await assert.doesNotReject(composeWith({ x: 700, width: 80 }, awkward));
    await expectRejection(composeWith({ y: 700, height: 20 }, awkward), 'FIELD_OFF_PAGE');
  });

  it('rejects an image value that is not a PNG', async () => {
    const value = { kind: 'image', png: new Uint8Array([1, 2, 3]) } as const;
    await expectRejection(composeWith({ value }), 'INVALID_SIGNATURE_IMAGE');
  });

  it('rejects a document that is not a PDF', async () => {
    await expectRejection(composeWith({}, new TextEncoder().encode('not a pdf')), 'DOCUMENT_UNREADABLE');
  });

  it('rejects a truncated document rather than composing the pages that survived', async () => {
    const whole = await alphaDocument();
    const truncated = whole.subarray(0, Math.floor(whole.length * 0.6));
    await expectRejection(composeWith({}, truncated), 'DOCUMENT_UNREADABLE');
  });

  it('rejects an encrypted document, whose page content it could not copy', async () => {
    const plain = await savePdf(await alphaDocument(), 'plain.pdf');
    const encrypted = join(workDir, 'encrypted.pdf');
    await run('qpdf', ['--encrypt', '', 'owner-secret', '256', '--', plain, encrypted]);
    await expectRejection(composeWith({}, await readFile(encrypted)), 'DOCUMENT_ENCRYPTED');
  });

  it('rejects an envelope without documents', async () => {
    await expectRejection(composeCompletedPdf({ documents: [], fields: [] }), 'NO_DOCUMENTS');
  });
});

describe('readPageSizes', () => {
  it('reports the visible size before rotation and the normalised rotation of each page', async () => {
    assert.deepEqual(await readPageSizes(await awkwardDocument()), [
      { width: 612, height: 792, rotation: 90 },
      { width: 400, height: 500, rotation: 0 },
      { width: 400, height: 500, rotation: 270 },
      { width: A4.width, height: A4.height, rotation: 180 },
    ]);
  });
});

describe('fieldFitsPage', () => {
  const letter = { width: 612, height: 792 };
  const cases = [
    { name: 'a box well inside an upright page', box: [10, 10, 100, 20], rotation: 0, fits: true },
    { name: 'a box touching the bottom-right corner', box: [512, 772, 100, 20], rotation: 0, fits: true },
    {
      name: 'a box within sub-point rounding of the edge',
      box: [512.005, 772, 100, 20],
      rotation: 0,
      fits: true,
    },
    { name: 'a box past the right edge', box: [600, 10, 20, 20], rotation: 0, fits: false },
    { name: 'a box past the bottom edge', box: [10, 780, 20, 20], rotation: 0, fits: false },
    { name: 'a box starting left of the page', box: [-5, 10, 20, 20], rotation: 0, fits: false },
    { name: 'a box starting above the page', box: [10, -5, 20, 20], rotation: 0, fits: false },
    { name: 'an empty box', box: [10, 10, 0, 20], rotation: 0, fits: false },
    { name: 'a box with a negative height', box: [10, 30, 20, -20], rotation: 0, fits: false },
    { name: 'a box with a NaN coordinate', box: [Number.NaN, 10, 20, 20], rotation: 0, fits: false },
    {
      name: 'a wide box on a page rotated 90 (displayed landscape)',
      box: [700, 10, 80, 20],
      rotation: 90,
      fits: true,
    },
    { name: 'a low box on a page rotated 90', box: [10, 700, 80, 20], rotation: 90, fits: false },
    { name: 'a wide box on a page rotated 270', box: [700, 10, 80, 20], rotation: 270, fits: true },
    { name: 'a wide box on a page rotated -90', box: [700, 10, 80, 20], rotation: -90, fits: true },
    {
      name: 'a low box on a page rotated 180 (still portrait)',
      box: [10, 700, 80, 20],
      rotation: 180,
      fits: true,
    },
    { name: 'a wide box on a page rotated 450 (= 90)', box: [700, 10, 80, 20], rotation: 450, fits: true },
    {
      name: 'a wide box on a page with an invalid rotation of 45 (shown upright)',
      box: [700, 10, 80, 20],
      rotation: 45,
      fits: false,
    },
  ];
  for (const { name, box, rotation, fits } of cases) {
    it(`${fits ? 'accepts' : 'rejects'} ${name}`, () => {
      const [x = 0, y = 0, width = 0, height = 0] = box;
      assert.equal(fieldFitsPage({ x, y, width, height }, { ...letter, rotation }), fits);
    });
  }
});

describe('page geometry', () => {
  const visible: UserRect = { x: 100, y: 150, width: 400, height: 500 }; // right 500, top 650
  const cornerCases = [
    { rotation: 0, topLeft: { x: 100, y: 650 }, bottomRight: { x: 500, y: 150 } },
    { rotation: 90, topLeft: { x: 100, y: 150 }, bottomRight: { x: 500, y: 650 } },
    { rotation: 180, topLeft: { x: 500, y: 150 }, bottomRight: { x: 100, y: 650 } },
    { rotation: 270, topLeft: { x: 500, y: 650 }, bottomRight: { x: 100, y: 150 } },
  ] as const;
  for (const { rotation, topLeft, bottomRight } of cornerCases) {
    it(`maps the displayed corners of a page rotated ${rotation} to user space`, () => {
      const displayed = rotation % 180 === 0 ? { width: 400, height: 500 } : { width: 500, height: 400 };
      assert.deepEqual(displayedToUser({ x: 0, y: 0 }, visible, rotation), topLeft);
      assert.deepEqual(
        displayedToUser({ x: displayed.width, y: displayed.height }, visible, rotation),
        bottomRight,
      );
    });
  }

  it('makes a field space whose x axis runs along the displayed top edge', () => {
    // On a page rotated 90, "right" on screen is "up" in user space and "up" is "left".
    assert.deepEqual(
      fieldToUserMatrix({ x: 10, y: 20, width: 50, height: 5 }, visible, 90),
      [0, 1, -1, 0, 125, 160],
    );
  });

  it('clips the crop box to the media box and normalises reversed corners', () => {
    const media = { x: 0, y: 0, width: 600, height: 800 };
    assert.deepEqual(visibleRect(media, { x: 500, y: 700, width: -600, height: -800 }), {
      x: 0,
      y: 0,
      width: 500,
      height: 700,
    });
    assert.deepEqual(
      visibleRect(media, { x: 700, y: 900, width: 10, height: 10 }),
      media,
      'disjoint crop box ignored',
    );
  });
});

describe('appearancePlacement', () => {
  async function formXObject(bbox: number[], matrix?: number[]) {
    const doc = await PDFDocument.create();
    return doc.context.obj({ BBox: bbox, ...(matrix ? { Matrix: matrix } : {}) });
  }
  const rect = { x: 200, y: 300, width: 100, height: 20 };

  it('maps a BBox that does not start at the origin onto the widget rectangle', async () => {
    assert.deepEqual(appearancePlacement(await formXObject([10, 10, 110, 30]), rect), [1, 0, 0, 1, 190, 290]);
  });

  it('scales an appearance drawn at another size', async () => {
    assert.deepEqual(appearancePlacement(await formXObject([0, 0, 50, 10]), rect), [2, 0, 0, 2, 200, 300]);
  });

  it('accounts for a /Matrix that turns the appearance a quarter', async () => {
    // Turned 90°, a 20 × 100 box becomes 100 wide and 20 high, spanning x -100…0: shifted by 100.
    const form = await formXObject([0, 0, 20, 100], [0, 1, -1, 0, 0, 0]);
    assert.deepEqual(appearancePlacement(form, rect), [1, 0, 0, 1, 300, 300]);
  });

  it('gives no placement for an appearance without a BBox', async () => {
    const doc = await PDFDocument.create();
    assert.equal(appearancePlacement(doc.context.obj({ Type: PDFName.of('XObject') }), rect), undefined);
  });
});
