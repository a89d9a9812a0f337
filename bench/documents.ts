import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  concatTransformationMatrix,
  drawObject,
  PDFDocument,
  PDFName,
  PDFString,
  popGraphicsState,
  pushGraphicsState,
  StandardFonts,
} from 'pdf-lib';

/*
 * Inputs made in the bench, as TESTING.md asks of tests: no binary fixtures in the repository.
 * Pages carry a full page of body text, like a contract, so page count drives file size the way
 * it does for real uploads (a two-line page would understate parsing and copying costs).
 */

const A4: [number, number] = [595.28, 841.89];
const BODY_LINES_PER_PAGE = 48;
const CLAUSE = 'The Supplier shall deliver the Services with reasonable skill and care, in accordance with';

export async function makeContractPdf(pages: number): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const heading = await document.embedFont(StandardFonts.HelveticaBold);
  const body = await document.embedFont(StandardFonts.Helvetica);
  const [width, height] = A4;
  for (let index = 0; index < pages; index++) {
    const page = document.addPage([width, height]);
    page.drawText(`Master services agreement — page ${index + 1} of ${pages}`, {
      x: 50,
      y: height - 70,
      size: 16,
      font: heading,
    });
    for (let line = 0; line < BODY_LINES_PER_PAGE; line++) {
      page.drawText(`${index + 1}.${line + 1} ${CLAUSE} schedule ${line + 1}.`, {
        x: 50,
        y: height - 110 - line * 14,
        size: 9.5,
        font: body,
      });
    }
  }
  return document.save();
}

const CACHE_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'node_modules',
  '.cache',
  'signet-bench',
);
const SCAN_PAGES = 50;
const SCAN_WIDTH = 1000;

/**
 * A scanned-looking document of about `targetBytes`: one uncompressed, incompressible RGB image
 * per page, so the size is real bytes every tool must copy and hash, not a compression trick.
 * Made once and cached (pdf-lib takes a few seconds to write 50 MB), keyed by its size.
 */
export async function largeScanPdf(targetBytes: number): Promise<{ bytes: Uint8Array; path: string }> {
  const path = join(CACHE_DIR, `scan-${targetBytes}-v1.pdf`);
  if (existsSync(path)) return { bytes: new Uint8Array(readFileSync(path)), path };
  const bytes = await makeScanPdf(targetBytes);
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
  return { bytes, path };
}

async function makeScanPdf(targetBytes: number): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const [width, height] = A4;
  const imageHeight = Math.ceil(targetBytes / SCAN_PAGES / (SCAN_WIDTH * 3));
  for (let index = 0; index < SCAN_PAGES; index++) {
    const image = document.context.register(
      document.context.stream(randomBytes(SCAN_WIDTH * imageHeight * 3), {
        Type: 'XObject',
        Subtype: 'Image',
        Width: SCAN_WIDTH,
        Height: imageHeight,
        ColorSpace: 'DeviceRGB',
        BitsPerComponent: 8,
      }),
    );
    const page = document.addPage([width, height]);
    page.node.setXObject(PDFName.of('Scan'), image);
    const drawnHeight = (width * imageHeight) / SCAN_WIDTH;
    page.pushOperators(
      pushGraphicsState(),
      concatTransformationMatrix(width, 0, 0, drawnHeight, 0, height - drawnHeight),
      drawObject('Scan'),
      popGraphicsState(),
    );
  }
  return document.save();
}

/**
 * The same document with an empty, invisible signature field on page 1 (ISO 32000-1 §12.7.4.5):
 * what `mutool sign` needs, since it signs existing fields only. Returns the field's object
 * number, which is how mutool names the field to sign.
 */
export async function withEmptySignatureField(
  pdf: Uint8Array,
): Promise<{ bytes: Uint8Array; fieldObjectNumber: number }> {
  const document = await PDFDocument.load(pdf);
  const page = document.getPage(0);
  const context = document.context;
  const field = context.register(
    context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      T: PDFString.of('Signature1'),
      Rect: [0, 0, 0, 0],
      F: 4,
      P: page.ref,
    }),
  );
  page.node.addAnnot(field);
  const acroForm = context.obj({ Fields: [field] });
  document.catalog.set(PDFName.of('AcroForm'), context.register(acroForm));
  return { bytes: await document.save(), fieldObjectNumber: field.objectNumber };
}
