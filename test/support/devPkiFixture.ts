import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { loadOrCreateMasterKey } from '../../src/blobs/blobStore.ts';
import { sealedSecrets } from '../../src/blobs/sealedSecrets.ts';
import { type DevPki, type DevPkiOptions, loadOrCreateDevPki } from '../../src/pki/devCa.ts';
import { readSealedKeyFile } from '../../src/pki/sealedKeyFile.ts';

export interface DevPkiFixture {
  /** The suite's temporary folder; the dev PKI is in its `pki/`. */
  readonly work: string;
  readonly pki: DevPki;
}

/**
 * A dev PKI (root → issuing CA → sealing, TSA, OCSP) in a temporary folder for the test file
 * that calls this at its top level: made before its tests, removed after them. Read the fields
 * inside tests and hooks, not at load time.
 */
export function useDevPki(prefix: string, options?: DevPkiOptions): DevPkiFixture {
  let work: string | undefined;
  let pki: DevPki | undefined;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), prefix));
    pki = await loadOrCreateDevPki(join(work, 'pki'), options);
  });
  after(() => (work ? rm(work, { recursive: true, force: true }) : undefined));
  return {
    get work() {
      if (!work) throw new Error('useDevPki: read inside a test or hook');
      return work;
    },
    get pki() {
      if (!pki) throw new Error('useDevPki: read inside a test or hook');
      return pki;
    },
  };
}

/**
 * Writes the plaintext PKCS#8 PEM of key `label` of a PKI made by `loadOrCreateDevPki(pkiDir)`
 * with its default key store (encrypted under `<pkiDir>/master.key`) to `path`, mode 0600, for
 * tests that hand the key to OpenSSL. Returns `path`.
 */
export async function exportDevPkiKey(pkiDir: string, label: string, path: string): Promise<string> {
  const secrets = sealedSecrets(loadOrCreateMasterKey(pkiDir, undefined));
  const pem = await readSealedKeyFile(join(pkiDir, 'keys'), label, secrets);
  if (pem === undefined) throw new Error(`no key "${label}" in ${pkiDir}/keys`);
  await writeFile(path, pem, { mode: 0o600 });
  return path;
}
