/*
 * Where a field is, in the API's terms (src/pdf/composeGeometry.ts): PDF points from the
 * top-left corner of the page as a viewer displays it — the visible area (CropBox clipped to
 * the MediaBox) after the page's /Rotate. pdf.js draws exactly that area, turned the same way,
 * so a box on the rendered page converts by one scale factor: no offsets, no axis flips; the
 * crop box's origin and the rotation are already applied by the renderer and by the server.
 *
 * The factor comes from the page's own boxes (pdf.js `view` is the same CropBox ∩ MediaBox,
 * `rotate` the same normalised quarter turn), not from the viewport, which also multiplies by
 * /UserUnit — a factor the server does not apply.
 */

/** A page's displayed size in points, as the API measures fields against it. */
export interface PageBox {
  width: number;
  height: number;
}

/** A box in points on a displayed page (the API's x, y, width, height). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** pdf.js's `view` ([x1, y1, x2, y2], user space) and `rotate` (0, 90, 180 or 270) → displayed size. */
export function pageBoxOf(view: readonly number[], rotate: number): PageBox {
  const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = view;
  const width = Math.abs(x2 - x1);
  const height = Math.abs(y2 - y1);
  return rotate % 180 === 0 ? { width, height } : { width: height, height: width };
}

/** Points per CSS pixel for a page rendered `renderedWidth` pixels wide. */
export const pointsPerPixel = (page: PageBox, renderedWidth: number) => page.width / renderedWidth;

/** The smallest box a field may shrink to, in points. */
export const MIN_SIZE = 8;

/** Keeps a box on its page (the server refuses one that overhangs) and no smaller than MIN_SIZE. */
export function clampToPage(box: Box, page: PageBox): Box {
  const width = Math.min(Math.max(box.width, MIN_SIZE), page.width);
  const height = Math.min(Math.max(box.height, MIN_SIZE), page.height);
  return {
    x: Math.min(Math.max(box.x, 0), page.width - width),
    y: Math.min(Math.max(box.y, 0), page.height - height),
    width,
    height,
  };
}

/** Two decimals: what a person can place, and what survives a JSON round trip unchanged. */
export const roundBox = (box: Box): Box => ({
  x: round(box.x),
  y: round(box.y),
  width: round(box.width),
  height: round(box.height),
});
const round = (value: number) => Math.round(value * 100) / 100;

/** Pixels on a rendered page → points (and back), for a page drawn `scale` pixels per point. */
export const toPoints = (box: Box, pointsPerPx: number): Box => ({
  x: box.x * pointsPerPx,
  y: box.y * pointsPerPx,
  width: box.width * pointsPerPx,
  height: box.height * pointsPerPx,
});
export const toPixels = (box: Box, pointsPerPx: number): Box => toPoints(box, 1 / pointsPerPx);
