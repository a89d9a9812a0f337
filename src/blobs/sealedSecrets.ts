import { createHmac, hkdfSync } from 'node:crypto';
import { type MasterKey, openBlob, sealBlob } from './envelopeEncryption.ts';

/**
 * Small secrets kept in the database (an OIDC client secret, a PKCE verifier) sealed the way
 * documents are: AES-256-GCM under a fresh data key wrapped by the master key, as base64.
 */
export interface SealedSecrets {
  seal(secret: string): string;
  open(sealed: string): string;
  /**
   * A keyed digest of `value` (HMAC-SHA-256, base64url) that only this installation can make:
   * the key is derived from the master key for `purpose` (HKDF), so digests made for one
   * purpose are worthless for another, and no key is stored anywhere else.
   */
  digest(purpose: string, value: string): string;
}

export function sealedSecrets(master: MasterKey): SealedSecrets {
  const keys = new Map<string, Buffer>();
  const keyFor = (purpose: string) => {
    let key = keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', master.key, Buffer.alloc(0), `signet digest: ${purpose}`, 32));
      keys.set(purpose, key);
    }
    return key;
  };
  return {
    seal: (secret) => sealBlob(Buffer.from(secret, 'utf8'), master).toString('base64'),
    open: (sealed) => openBlob(Buffer.from(sealed, 'base64'), master).toString('utf8'),
    digest: (purpose, value) => createHmac('sha256', keyFor(purpose)).update(value).digest('base64url'),
  };
}
