import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type DevPki, type DevPkiOptions, loadOrCreateDevPki } from '../../src/pki/devCa.ts';

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
