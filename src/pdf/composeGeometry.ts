/**
 * Where a field box lands on a PDF page. Pure functions, no pdf-lib.
 *
 * Field boxes are given the way a person sees the page in a viewer: origin at the top-left corner
 * of the visible area, y growing downward, after the page's /Rotate is applied. PDF drawing happens
 * in default user space: origin wherever the page boxes say, y growing upward, before rotation.
 */

/** A field's box as displayed: points from the top-left corner of the displayed page. */
export interface FieldBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * A page as stored: the size of its visible area (crop box) before rotation, and its /Rotate.
 * This is what `readPageSizes` returns and what the API layer validates fields against.
 */
export interface PageSize {
  width: number;
  height: number;
  rotation: number;
}

/** A rectangle in default user space: lower-left corner plus extent. */
export interface UserRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type QuarterTurn = 0 | 90 | 180 | 270;

/** [a b c d e f] as in the `cm` operator (ISO 32000-1 §8.3.4). */
export type Matrix = readonly [number, number, number, number, number, number];

/** A field box may overhang the page by this much: sub-point rounding in a browser editor. */
const OVERHANG_TOLERANCE = 0.01;

/**
 * ISO 32000-1 §7.7.3.3 requires /Rotate to be a multiple of 90; like pdf.js we treat any other
 * value as 0, which is also how the page is then displayed to the signer.
 */
export function normalizeRotation(degrees: number): QuarterTurn {
  if (!Number.isFinite(degrees) || degrees % 90 !== 0) return 0;
  return (((degrees % 360) + 360) % 360) as QuarterTurn;
}

/** The page's width and height as a viewer shows them: a quarter turn swaps them. */
export function displayedSize(page: PageSize): { width: number; height: number } {
  const rotation = normalizeRotation(page.rotation);
  if (rotation === 90 || rotation === 270) return { width: page.height, height: page.width };
  return { width: page.width, height: page.height };
}

/** True when the box is non-empty and lies entirely within the displayed page. */
export function fieldFitsPage(field: FieldBox, page: PageSize): boolean {
  const { x, y, width, height } = field;
  if (![x, y, width, height].every(Number.isFinite)) return false;
  if (width <= 0 || height <= 0) return false;
  const displayed = displayedSize(page);
  return (
    x >= -OVERHANG_TOLERANCE &&
    y >= -OVERHANG_TOLERANCE &&
    x + width <= displayed.width + OVERHANG_TOLERANCE &&
    y + height <= displayed.height + OVERHANG_TOLERANCE
  );
}

/**
 * The visible region of a page: the crop box clipped to the media box (ISO 32000-1 §14.11.2).
 * Page boxes may list their corners in any order, so both are normalised first. A crop box that
 * misses the media box entirely is ignored, as pdf.js does.
 */
export function visibleRect(mediaBox: UserRect, cropBox: UserRect | undefined): UserRect {
  const media = normalizeRect(mediaBox);
  if (!cropBox) return media;
  const crop = normalizeRect(cropBox);
  const left = Math.max(media.x, crop.x);
  const bottom = Math.max(media.y, crop.y);
  const right = Math.min(media.x + media.width, crop.x + crop.width);
  const top = Math.min(media.y + media.height, crop.y + crop.height);
  if (right <= left || top <= bottom) return media;
  return { x: left, y: bottom, width: right - left, height: top - bottom };
}

export function normalizeRect(rect: UserRect): UserRect {
  return {
    x: Math.min(rect.x, rect.x + rect.width),
    y: Math.min(rect.y, rect.y + rect.height),
    width: Math.abs(rect.width),
    height: Math.abs(rect.height),
  };
}

/**
 * Maps a displayed point (top-left origin, y down) to default user space. /Rotate turns the page
 * clockwise for display (ISO 32000-1 §7.7.3.3), so e.g. at 90° the displayed top-left corner is
 * the unrotated bottom-left one and "right" on screen is "up" in user space.
 */
export function displayedToUser(
  point: { x: number; y: number },
  visible: UserRect,
  rotation: QuarterTurn,
): { x: number; y: number } {
  const left = visible.x;
  const bottom = visible.y;
  const right = visible.x + visible.width;
  const top = visible.y + visible.height;
  switch (rotation) {
    case 0:
      return { x: left + point.x, y: top - point.y };
    case 90:
      return { x: left + point.y, y: bottom + point.x };
    case 180:
      return { x: right - point.x, y: bottom + point.y };
    case 270:
      return { x: right - point.y, y: top - point.x };
  }
}

/**
 * The matrix from a field's own drawing space — origin at the box's bottom-left corner as
 * displayed, x to the right and y upward as displayed, one unit per point — to user space.
 * Drawing inside [0, width] × [0, height] under this matrix comes out upright in the box whatever
 * the page rotation and box offsets.
 */
export function fieldToUserMatrix(field: FieldBox, visible: UserRect, rotation: QuarterTurn): Matrix {
  const bottomLeft = { x: field.x, y: field.y + field.height };
  const origin = displayedToUser(bottomLeft, visible, rotation);
  const rightward = displayedToUser({ x: bottomLeft.x + 1, y: bottomLeft.y }, visible, rotation);
  const upward = displayedToUser({ x: bottomLeft.x, y: bottomLeft.y - 1 }, visible, rotation);
  return [
    rightward.x - origin.x,
    rightward.y - origin.y,
    upward.x - origin.x,
    upward.y - origin.y,
    origin.x,
    origin.y,
  ];
}
