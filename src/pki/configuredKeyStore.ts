import { join } from 'node:path';
import { loadOrCreateMasterKey } from '../blobs/blobStore.ts';
import type { MasterKey } from '../blobs/envelopeEncryption.ts';
import type { Config } from '../config/config.ts';
import { createFileKeyStore } from './fileKeyStore.ts';
import type { KeyStore } from './keyStore.ts';
import { openPkcs11KeyStore } from './pkcs11KeyStore.ts';

/**
 * The installation's key store: the PKCS#11 token when PKCS11_MODULE/TOKEN_LABEL/PIN are set
 * (keys never leave it), else key files in DATA_DIR/keys encrypted under the master key.
 */
export async function openConfiguredKeyStore(config: Config, masterKey?: MasterKey): Promise<KeyStore> {
  if (config.pkcs11) return openPkcs11KeyStore(config.pkcs11);
  return createFileKeyStore(
    join(config.dataDir, 'keys'),
    masterKey ?? loadOrCreateMasterKey(config.dataDir, config.masterKey),
  );
}
