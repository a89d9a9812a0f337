import assert from 'node:assert/strict';

/*
 * Reading what pdftoppm drew: a binary PPM (P6, 8 bits a channel, its default output) as pixels,
 * and the box around the pixels of one colour — where a stamp, a logo or a signature's ink lies.
 */

export interface PpmImage {
  width: number;
  height: number;
  /** RGB, row by row. */
  pixels: Buffer;
  /** The [r, g, b] at (x, y), from the top-left corner. */
  at(x: number, y: number): [number, number, number];
}

export function readPpm(bytes: Buffer): PpmImage {
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(bytes.subarray(0, 64).toString('latin1'));
  assert.ok(header, 'a P6 image');
  const width = Number(header[1]);
  const height = Number(header[2]);
  const pixels = bytes.subarray(header[0].length);
  return {
    width,
    height,
    pixels,
    at(x, y) {
      const i = (y * width + x) * 3;
      return [pixels[i] ?? 0, pixels[i + 1] ?? 0, pixels[i + 2] ?? 0];
    },
  };
}

/** The pixels matching `test`: how many, and the box around them (right and bottom exclusive). */
export function inkBox(image: PpmImage, test: (r: number, g: number, b: number) => boolean) {
  let count = 0;
  let left = Number.POSITIVE_INFINITY;
  let right = -1;
  let top = Number.POSITIVE_INFINITY;
  let bottom = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 3;
      if (!test(image.pixels[i]!, image.pixels[i + 1]!, image.pixels[i + 2]!)) continue;
      count++;
      left = Math.min(left, x);
      right = Math.max(right, x + 1);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y + 1);
    }
  }
  return { count, left, right, top, bottom };
}
