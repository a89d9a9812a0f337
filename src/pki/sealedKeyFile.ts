import type { SealedSecrets } from '../blobs/sealedSecrets.ts';
import { SignetError } from '../errors.ts';

/*
 * A private key at rest when no PKCS#11 token holds it: its PKCS#8 PEM sealed under the master
 * key exactly as documents and small secrets are (blobs/envelopeEncryption.ts, through
 * blobs/sealedSecrets.ts: AES-256-GCM under a fresh data key, that key wrapped by the master
 * key; stored as base64), in `<label>.key.sealed`, mode 0600.
 *
 * Why this and not PKCS#8 EncryptedPrivateKeyInfo (PBES2): GCM authenticates, so a wrong master
 * key or an altered file is told apart with certainty rather than by a padding check; the
 * header names the master key, so "another master key" is a clear message and a later
 * master-key rotation walks one format for everything the master key protects; and a
 * password-based scheme would only add a KDF in front of a key that is already 32 random bytes.
 */

export const SEALED_KEY_SUFFIX = '.key.sealed';
/** What versions before sealed key files wrote: the PKCS#8 PEM in plaintext. */
export const PLAINTEXT_KEY_SUFFIX = '.key.pem';

export function sealPrivateKeyPem(secrets: SealedSecrets, pem: string): string {
  return `${secrets.seal(pem)}\n`;
}

/** The PEM inside a sealed key file; a wrong master key or an altered file is a KEY_DECRYPTION_FAILED naming `label`. */
export function openSealedPrivateKeyPem(secrets: SealedSecrets, sealed: string, label: string): string {
  try {
    return secrets.open(sealed.trim());
  } catch (error) {
    // The cause is never passed on: it says nothing more, and nothing of the key may reach a log.
    const why =
      error instanceof SignetError && error.code === 'BLOB_KEY_UNKNOWN'
        ? 'it was encrypted under a different master key (MASTER_KEY, or DATA_DIR/master.key in development)'
        : 'the file is damaged or was altered (it failed its authentication check)';
    throw new SignetError('KEY_DECRYPTION_FAILED', 500, `the key "${label}" could not be decrypted: ${why}`);
  }
}
