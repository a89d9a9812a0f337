import { useCallback, useState } from 'react';

/*
 * Everything the signer has entered survives a reload (SPEC §B: nothing entered is lost): kept
 * in sessionStorage under the link's token, so it stays in this tab, goes when the tab closes,
 * and never mixes two envelopes. Text values also reach the server as they are entered; the
 * adopted signature and the fields it was applied to exist only here until finishing.
 */

export const HANDWRITING_FONTS = ['Dancing Script', 'Caveat', 'Homemade Apple'] as const;
export type HandwritingFont = (typeof HANDWRITING_FONTS)[number];

/** A signature or initials as adopted: how, and the image stamped into the fields. */
export interface Mark {
  kind: 'typed' | 'drawn' | 'uploaded';
  /** What a typed mark says, and the font it was drawn in. */
  text?: string;
  font?: HandwritingFont;
  /** A PNG data URL, cropped to the ink. */
  dataUrl: string;
}

export interface Saved {
  consentChecked: boolean;
  /** Text and checkbox values by field id. */
  values: Record<string, string | boolean | null>;
  /** Signature and initials fields the signer has applied their mark to. */
  applied: string[];
  signature: Mark | null;
  initials: Mark | null;
}

const EMPTY: Saved = { consentChecked: false, values: {}, applied: [], signature: null, initials: null };

const keyOf = (token: string) => `signet.ceremony.${token}`;

function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined; // blocked (a third-party frame in some browsers): the ceremony still works
  }
}

export function readSaved(token: string): Saved {
  try {
    const raw = storage()?.getItem(keyOf(token));
    return raw ? { ...EMPTY, ...(JSON.parse(raw) as Partial<Saved>) } : EMPTY;
  } catch {
    return EMPTY;
  }
}

function writeSaved(token: string, saved: Saved) {
  try {
    storage()?.setItem(keyOf(token), JSON.stringify(saved));
  } catch {
    // Full or blocked: what was entered stays on the page; only a reload would lose it.
  }
}

export function forgetSaved(token: string) {
  try {
    storage()?.removeItem(keyOf(token));
  } catch {
    // nothing to forget
  }
}

/** The signer's entries for this link, written through to sessionStorage on every change. */
export function useSaved(token: string): [Saved, (change: (saved: Saved) => Saved) => void] {
  const [saved, setSaved] = useState(() => readSaved(token));
  const update = useCallback(
    (change: (saved: Saved) => Saved) =>
      setSaved((current) => {
        const next = change(current);
        writeSaved(token, next);
        return next;
      }),
    [token],
  );
  return [saved, update];
}
