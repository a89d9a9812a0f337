import { SignetError } from '../errors.ts';
import { parseInput } from '../http/parseInput.ts';
import { finishBody } from './schema.ts';

/** The signature a signer adopts at finish: typed text or a drawn PNG (SPEC §B). */
export type AdoptedSignature = { kind: 'typed'; text: string } | { kind: 'drawn'; png: Buffer };

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function parseAdoptedSignature(body: unknown): AdoptedSignature {
  const { signature } = parseInput(finishBody, body, 'SIGNATURE_INVALID');
  if (!signature) {
    throw new SignetError('VALIDATION_FAILED', 'A signer adopts a signature to finish', [
      {
        path: '/signature',
        message: 'required for a signer: {"kind": "typed", "text"} or {"kind": "drawn", "png"}',
      },
    ]);
  }
  if (signature.kind === 'typed') return signature;
  const png = Buffer.from(signature.png, 'base64');
  if (
    png.length < 33 ||
    !png.subarray(0, 8).equals(PNG_MAGIC) ||
    png.subarray(12, 16).toString('latin1') !== 'IHDR'
  ) {
    throw new SignetError('SIGNATURE_INVALID', 'The drawn signature must be a PNG image', [
      { path: '/signature/png', message: 'not a PNG image' },
    ]);
  }
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  if (width === 0 || height === 0 || width > 4000 || height > 4000) {
    throw new SignetError('SIGNATURE_INVALID', 'The drawn signature image has unusable dimensions', [
      { path: '/signature/png', message: `${width}×${height} pixels; allowed 1–4000 each way` },
    ]);
  }
  return { kind: 'drawn', png };
}
