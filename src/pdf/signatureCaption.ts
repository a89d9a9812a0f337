import { displayedSize, type FieldBox, type PageSize } from './composeGeometry.ts';

/*
 * Where a visible digital signature's caption ("Digitally signed by …", the time) goes (issue
 * #13: "the signer's stamped name and the signature appearance never overlap"). The signature
 * field's box holds what the signer adopted — their drawn or typed signature — so the caption
 * takes a band of its own just below that box, as wide as it, or just above when the page ends
 * first. Both in displayed page coordinates (origin top-left, as the sender placed the field).
 */

/** Two lines of 6 pt text with their leading and a little margin. */
export const CAPTION_HEIGHT = 18;
/** Air between the adopted signature and its caption. */
const CAPTION_GAP = 2;
/** Narrower than this, a caption could say nothing readable: it is widened about the field's centre. */
const MIN_CAPTION_WIDTH = 110;

export function signatureCaptionBox(field: FieldBox, page: PageSize): FieldBox {
  const displayed = displayedSize(page);
  const width = Math.min(displayed.width, Math.max(field.width, MIN_CAPTION_WIDTH));
  const centred = field.x + field.width / 2 - width / 2;
  const x = Math.min(Math.max(0, centred), displayed.width - width);
  const below = field.y + field.height + CAPTION_GAP;
  if (below + CAPTION_HEIGHT <= displayed.height) return { x, y: below, width, height: CAPTION_HEIGHT };
  const above = field.y - CAPTION_GAP - CAPTION_HEIGHT;
  if (above >= 0) return { x, y: above, width, height: CAPTION_HEIGHT };
  // A field as tall as the page leaves no band outside it: the caption takes its bottom edge.
  return { x, y: displayed.height - CAPTION_HEIGHT, width, height: CAPTION_HEIGHT };
}
