import { type MasterKey, openBlob, sealBlob } from './envelopeEncryption.ts';

/**
 * Small secrets kept in the database (an OIDC client secret, a PKCE verifier) sealed the way
 * documents are: AES-256-GCM under a fresh data key wrapped by the master key, as base64.
 */
export interface SealedSecrets {
  seal(secret: string): string;
  open(sealed: string): string;
}

export function sealedSecrets(master: MasterKey): SealedSecrets {
  return {
    seal: (secret) => sealBlob(Buffer.from(secret, 'utf8'), master).toString('base64'),
    open: (sealed) => openBlob(Buffer.from(sealed, 'base64'), master).toString('utf8'),
  };
}
