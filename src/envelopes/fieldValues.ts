import type { StampValue } from '../pdf/compose.ts';
import type { FieldRow, RecipientRow } from './aggregate/rows.ts';

/*
 * What a completed recipient's fields show on the signed document: the adopted signature or
 * initials (image, else typed text), a ticked box, or the text entered. Shared by the seal and
 * by the per-signer revisions made when each signer finishes.
 */

/** The value to stamp for a field, or null when there is nothing to show (yet). */
export function stampValueOf(
  field: FieldRow,
  recipient: RecipientRow | undefined,
  images: Map<string, Buffer>,
): StampValue | null {
  if (recipient?.status !== 'completed') return null;
  if (field.type === 'initials' && recipient.initials_kind) {
    return adoptedMark(images, recipient.initials_png_sha256, recipient.initials_text);
  }
  if (field.type === 'signature' || field.type === 'initials') {
    // No initials of their own: the signature's image, or the initials of the typed name.
    const text = recipient.signature_text;
    const shown = field.type === 'initials' && text ? initialsOf(text) : text;
    return adoptedMark(images, recipient.signature_png_sha256, shown);
  }
  const value = field.value?.v;
  if (field.type === 'checkbox') return value === true ? { kind: 'checkbox', checked: true } : null;
  return typeof value === 'string' && value !== '' ? { kind: 'text', text: value } : null;
}

/** An adopted signature or initials: its image (drawn, uploaded, or typed as the signer saw it), else its text. */
function adoptedMark(
  images: Map<string, Buffer>,
  pngSha256: string | null,
  text: string | null,
): StampValue | null {
  const image = pngSha256 ? images.get(pngSha256) : undefined;
  if (image) return { kind: 'image', png: image };
  return text ? { kind: 'typedSignature', text } : null;
}

const initialsOf = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase())
    .join('');
