import { crc32, deflateSync } from 'node:zlib';

/** Real PNGs made in the test (PNG spec §5, §11.2.2): 8-bit RGBA, filter type 0 on every row. */
export type Rgba = [number, number, number, number];

export function encodePng(width: number, height: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 4); // leading 0: filter "none"
    for (let x = 0; x < width; x++) row.set(pixel(x, y), 1 + x * 4);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit, truecolour + alpha
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export const solidPng = (width: number, height: number, rgba: Rgba = [20, 30, 120, 255]) =>
  encodePng(width, height, () => rgba);

/** A dark diagonal stroke on a transparent background, as a drawn signature would be. */
export function makeSignaturePng(width = 120, height = 40): Buffer {
  return encodePng(width, height, (x, y) => {
    const onStroke = Math.abs(x - Math.floor((y / height) * width)) < 4;
    return onStroke ? [16, 32, 96, 255] : [255, 255, 255, 0];
  });
}
