import type { HandwritingFont } from './saved.ts';

/*
 * Signatures and initials as images. A typed mark is drawn in the handwriting font the signer
 * chose and measured by its ink (actualBoundingBox…), not by the font's ascent and descent:
 * handwriting faces reach far beyond both, and a cut descender is what the signer would see
 * stamped. Every image is cropped to its ink, so it fills the field it is placed in.
 */

export const INK = '#1b2a6b';
/** The server takes PNGs up to 512 KiB and 4000 × 4000 pixels (src/ceremony/schema.ts). */
const MAX_PNG_BYTES = 512 * 1024;
const TYPED_FONT_SIZE = 96;
const PADDING = 8;

export async function renderTyped(text: string, font: HandwritingFont): Promise<string> {
  const css = `${TYPED_FONT_SIZE}px "${font}"`;
  // The face downloads on first use; drawing before it arrives would draw a fallback font.
  await document.fonts.load(css, text);
  const measure = document.createElement('canvas').getContext('2d')!;
  measure.font = css;
  const ink = measure.measureText(text);
  const left = Math.ceil(ink.actualBoundingBoxLeft);
  const width = Math.ceil(left + ink.actualBoundingBoxRight) + 2 * PADDING;
  const height = Math.ceil(ink.actualBoundingBoxAscent + ink.actualBoundingBoxDescent) + 2 * PADDING;
  const canvas = document.createElement('canvas');
  canvas.width = Math.min(4000, width);
  canvas.height = Math.min(4000, height);
  const context = canvas.getContext('2d')!;
  context.font = css;
  context.fillStyle = INK;
  context.textBaseline = 'alphabetic';
  context.fillText(text, PADDING + left, PADDING + ink.actualBoundingBoxAscent);
  return fitPng(trimToInk(canvas) ?? canvas);
}

/**
 * The smallest canvas holding every pixel of ink (alpha above `threshold`, or, for an opaque
 * photo or scan, darker than near-white); null when there is none.
 */
export function trimToInk(source: HTMLCanvasElement, opaque = false): HTMLCanvasElement | null {
  const { width, height } = source;
  if (width === 0 || height === 0) return null;
  const pixels = source.getContext('2d')!.getImageData(0, 0, width, height).data;
  const isInk = (i: number) =>
    opaque
      ? (pixels[i + 3] ?? 0) > 16 &&
        ((pixels[i] ?? 255) + (pixels[i + 1] ?? 255) + (pixels[i + 2] ?? 255)) / 3 < 200
      : (pixels[i + 3] ?? 0) > 16;
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!isInk((y * width + x) * 4)) continue;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
      if (x < left) left = x;
      if (x > right) right = x;
    }
  }
  if (bottom < 0) return null;
  const pad = 4;
  const x0 = Math.max(0, left - pad);
  const y0 = Math.max(0, top - pad);
  const cropped = document.createElement('canvas');
  cropped.width = Math.min(width, right + pad + 1) - x0;
  cropped.height = Math.min(height, bottom + pad + 1) - y0;
  cropped
    .getContext('2d')!
    .drawImage(source, x0, y0, cropped.width, cropped.height, 0, 0, cropped.width, cropped.height);
  return cropped;
}

/** An uploaded picture of a signature (PNG, JPEG, WebP, GIF): scaled down, cropped to its ink, as PNG. */
export async function uploadedImageToPng(file: Blob): Promise<string> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1200 / bitmap.width, 600 / bitmap.height);
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const cropped = trimToInk(canvas, true);
  if (!cropped) throw new Error('no ink');
  return fitPng(cropped);
}

/** A PNG data URL within the server's limits, halving the size until it fits. */
export function fitPng(canvas: HTMLCanvasElement): string {
  let current = canvas;
  for (;;) {
    const dataUrl = current.toDataURL('image/png');
    if (base64Bytes(dataUrl) <= MAX_PNG_BYTES || current.width < 64) return dataUrl;
    const smaller = document.createElement('canvas');
    smaller.width = Math.round(current.width / 2);
    smaller.height = Math.round(current.height / 2);
    smaller.getContext('2d')!.drawImage(current, 0, 0, smaller.width, smaller.height);
    current = smaller;
  }
}

const base64Bytes = (dataUrl: string) => Math.floor(((dataUrl.length - dataUrl.indexOf(',') - 1) * 3) / 4);

/** The base64 payload of a data URL, as the API takes it. */
export const pngBase64 = (dataUrl: string) => dataUrl.slice(dataUrl.indexOf(',') + 1);

/** "Ada Lovelace" → "AL": what the initials field offers to type. */
export const initialsOf = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase())
    .join('');
