/*
 * Where the sender's fields lie on a page as the signer sees it. Field boxes are given in
 * points from the top-left corner of the page as displayed — its visible area (the crop box
 * within the media box) after /Rotate — exactly as the server stamps them
 * (src/pdf/composeGeometry.ts). pdf.js draws the same visible area with the same rotation, so
 * a box is placed by its share of the displayed page, whatever the scale.
 */

export interface PageSize {
  /** The visible area's size in points, before rotation. */
  width: number;
  height: number;
  rotation: number;
}

/** /Rotate as viewers apply it: a multiple of 90 in [0, 360), anything else 0 (as pdf.js and the server do). */
export function normalizeRotation(degrees: number): 0 | 90 | 180 | 270 {
  if (!Number.isFinite(degrees) || degrees % 90 !== 0) return 0;
  return (((degrees % 360) + 360) % 360) as 0 | 90 | 180 | 270;
}

export function displayedSize(page: PageSize): { width: number; height: number } {
  const rotation = normalizeRotation(page.rotation);
  return rotation === 90 || rotation === 270
    ? { width: page.height, height: page.width }
    : { width: page.width, height: page.height };
}

/** A field box as CSS percentages of its page's box. */
export function boxStyle(
  box: { x: number; y: number; width: number; height: number },
  page: PageSize,
): { left: string; top: string; width: string; height: string } {
  const shown = displayedSize(page);
  const percent = (value: number, of: number) => `${(value / of) * 100}%`;
  return {
    left: percent(box.x, shown.width),
    top: percent(box.y, shown.height),
    width: percent(box.width, shown.width),
    height: percent(box.height, shown.height),
  };
}
