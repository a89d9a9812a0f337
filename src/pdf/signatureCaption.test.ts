import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CAPTION_HEIGHT, signatureCaptionBox } from './signatureCaption.ts';

const A4 = { width: 595.28, height: 841.89, rotation: 0 };
const overlaps = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('where a digital signature’s caption goes', () => {
  it('sits just below the adopted signature, as wide as its box', () => {
    const field = { x: 60, y: 600, width: 180, height: 50 };
    const caption = signatureCaptionBox(field, A4);
    assert.deepEqual(caption, { x: 60, y: 652, width: 180, height: CAPTION_HEIGHT });
    assert.equal(overlaps(caption, field), false);
  });

  it('goes above a signature at the foot of the page', () => {
    const field = { x: 60, y: 800, width: 180, height: 40 };
    const caption = signatureCaptionBox(field, A4);
    assert.equal(caption.y, 800 - 2 - CAPTION_HEIGHT);
    assert.equal(overlaps(caption, field), false);
  });

  it('is widened about a narrow field’s centre, and stays on the page', () => {
    const caption = signatureCaptionBox({ x: 560, y: 100, width: 30, height: 20 }, A4);
    assert.equal(caption.width, 110);
    assert.ok(caption.x + caption.width <= A4.width);
  });

  it('measures a quarter-turned page as it is displayed', () => {
    const landscape = { width: 595.28, height: 841.89, rotation: 90 };
    const caption = signatureCaptionBox({ x: 600, y: 560, width: 200, height: 30 }, landscape);
    assert.ok(caption.y + caption.height <= 595.28, JSON.stringify(caption));
    assert.equal(caption.y, 560 - 2 - CAPTION_HEIGHT);
  });
});
