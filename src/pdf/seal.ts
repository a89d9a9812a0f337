import type { SealingIdentity } from '../pki/signer.ts';
import { signPades } from './pades.ts';

/*
 * The platform seal on its own, at PAdES B-B: one invisible signature appended to the file as
 * an incremental update (see pades.ts). Kept as the short form for callers that need no
 * time-stamp or long-term data (tests, the validator's fixtures); the sealing job uses
 * `signPades` with the organisation's level.
 */

export interface SealOptions {
  reason?: string;
  location?: string;
  /** Name of the sealing party, for readers that do not take it from the certificate. */
  name?: string;
  contactInfo?: string;
}

export const SEAL_FIELD_NAME = 'Signet seal';

export function sealPdf(
  pdf: Uint8Array,
  identity: SealingIdentity,
  options: SealOptions = {},
): Promise<Uint8Array> {
  return signPades(
    pdf,
    [{ identity, fieldName: SEAL_FIELD_NAME, signingTime: new Date(), ...options }],
    'B-B',
    {},
  );
}
