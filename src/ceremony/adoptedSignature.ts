import { SignetError } from '../errors.ts';
import { parseInput } from '../http/parseInput.ts';
import { finishBody } from './schema.ts';

/** A signature or initials a signer adopts at finish: typed text or an image (SPEC §B). */
export type AdoptedSignature =
  | { kind: 'typed'; text: string; png?: Buffer }
  | { kind: 'drawn' | 'uploaded'; png: Buffer };

export interface Adoption {
  signature: AdoptedSignature;
  initials: AdoptedSignature | null;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

type MarkInput = NonNullable<ReturnType<typeof finishBody.parse>['signature']>;

export function parseAdoptedSignature(body: unknown): Adoption {
  const { signature, initials } = parseInput(finishBody, body, 'SIGNATURE_INVALID');
  if (!signature) {
    throw new SignetError('VALIDATION_FAILED', 'A signer adopts a signature to finish', [
      {
        path: '/signature',
        message: 'required for a signer: {"kind": "typed", "text"} or {"kind": "drawn" | "uploaded", "png"}',
      },
    ]);
  }
  return {
    signature: parseMark(signature, '/signature'),
    initials: initials ? parseMark(initials, '/initials') : null,
  };
}

function parseMark(mark: MarkInput, path: string): AdoptedSignature {
  if (mark.kind === 'typed') {
    return mark.png === undefined
      ? { kind: 'typed', text: mark.text }
      : { kind: 'typed', text: mark.text, png: parsePng(mark.png, `${path}/png`) };
  }
  return { kind: mark.kind, png: parsePng(mark.png, `${path}/png`) };
}

function parsePng(base64: string, path: string): Buffer {
  const png = Buffer.from(base64, 'base64');
  if (
    png.length < 33 ||
    !png.subarray(0, 8).equals(PNG_MAGIC) ||
    png.subarray(12, 16).toString('latin1') !== 'IHDR'
  ) {
    throw new SignetError('SIGNATURE_INVALID', 'The signature image must be a PNG image', [
      { path, message: 'not a PNG image' },
    ]);
  }
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  if (width === 0 || height === 0 || width > 4000 || height > 4000) {
    throw new SignetError('SIGNATURE_INVALID', 'The signature image has unusable dimensions', [
      { path, message: `${width}×${height} pixels; allowed 1–4000 each way` },
    ]);
  }
  return png;
}
