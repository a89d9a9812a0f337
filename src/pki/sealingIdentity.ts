import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import { SignetError } from '../errors.ts';
import { certificatePem, DEV_PKI_KEY_LABELS } from './devCa.ts';
import { loadImportedIdentity } from './importedChain.ts';
import type { KeyStore } from './keyStore.ts';
import { loadSealingIdentityFromPkcs12 } from './pkcs12.ts';
import type { SealingIdentity } from './signer.ts';

/*
 * Which identity seals documents. In order:
 *   1. SEAL_PKCS12_PATH: a key and chain from a PKCS#12 file;
 *   2. a key in the key store with the chain `signet keys import-cert` installed for it —
 *      SEAL_KEY_LABEL's (the chain is then required), or by default "signet-sealing"'s when one
 *      was imported;
 *   3. otherwise Signet's own CA (devCa.ts), whose sealing certificate is issued at start.
 * Signet's CA provides the TSA, OCSP and per-signer certificates in every case.
 */

/** A sealing identity other than Signet's CA's, with the root of its chain. */
export interface SealingOverride {
  sealing: SealingIdentity;
  rootPem: string;
  rootDer: Uint8Array;
  source: 'pkcs12' | 'imported-chain';
}

export async function loadSealingOverride(
  config: Config,
  keyStore: KeyStore,
): Promise<SealingOverride | undefined> {
  if (config.sealPkcs12) {
    const { path, password } = config.sealPkcs12;
    return withRoot(loadSealingIdentityFromPkcs12(readFileSync(path), password), 'pkcs12');
  }
  const label = config.sealKeyLabel ?? DEV_PKI_KEY_LABELS.sealing;
  const imported = await loadImportedIdentity(join(config.dataDir, 'pki'), keyStore, label);
  if (imported) return withRoot(imported, 'imported-chain');
  if (config.sealKeyLabel === undefined) return undefined;
  throw new SignetError(
    'SEALING_CHAIN_MISSING',
    `SEAL_KEY_LABEL is "${label}" but no certificate chain is imported for it: \`signet keys csr --key ${label}\`, then \`signet keys import-cert --key ${label} --chain FILE\``,
  );
}

function withRoot(sealing: SealingIdentity, source: SealingOverride['source']): SealingOverride {
  const root = sealing.chain.at(-1) ?? sealing.certificate;
  return { sealing, rootPem: certificatePem(root), rootDer: root, source };
}
