import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Pkcs11Config } from '../../src/config/config.ts';
import { hasTool, runTool } from './pdfValidators.ts';

/*
 * SoftHSM2, the software PKCS#11 token that stands in for an HSM (TESTING.md, HSM row), with
 * OpenSC's pkcs11-tool as an independent client for looking at what the token holds.
 */

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const SOFTHSM_INSTALL = 'apt-get install -y softhsm2 opensc';

/** Why the SoftHSM2 suites cannot run here (with the install command), or undefined when they can. */
export function softHsmMissing(): string | undefined {
  const missing = ['softhsm2-util', 'pkcs11-tool'].filter((tool) => !hasTool(tool));
  if (!existsSync(SOFTHSM_MODULE)) missing.push(SOFTHSM_MODULE);
  return missing.length === 0 ? undefined : `${missing.join(', ')} missing: ${SOFTHSM_INSTALL}`;
}

/** Marks the test skipped with the install command when SoftHSM2 is missing; the test must then return. */
export function requireSoftHsm(t: TestContext): boolean {
  const missing = softHsmMissing();
  if (!missing) return true;
  t.skip(missing);
  return false;
}

export interface SoftHsmToken {
  config: Pkcs11Config;
  /** The SOFTHSM2_CONF that points the module at this token's directory. */
  configFile: string;
  cleanup(): Promise<void>;
}

/**
 * A fresh token in its own directory. The module reads SOFTHSM2_CONF in C_Initialize, so this
 * sets it in `process.env` for the rest of the process: one token per test file.
 */
export async function createSoftHsmToken(label = 'signet-test', pin = '1234'): Promise<SoftHsmToken> {
  const dir = await mkdtemp(join(tmpdir(), 'signet-softhsm-'));
  const tokenDir = join(dir, 'tokens');
  await mkdir(tokenDir);
  const configFile = join(dir, 'softhsm2.conf');
  await writeFile(
    configFile,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = configFile;
  const init = await runTool('softhsm2-util', [
    '--init-token',
    '--free',
    '--label',
    label,
    '--pin',
    pin,
    '--so-pin',
    pin,
  ]);
  if (init.exitCode !== 0) throw new Error(`softhsm2-util --init-token failed: ${init.stderr}`);
  return {
    config: { module: SOFTHSM_MODULE, tokenLabel: label, pin },
    configFile,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `pkcs11-tool --list-objects` as the logged-in user: what another application sees on the token. */
export async function listTokenObjects(token: SoftHsmToken): Promise<string> {
  const result = await runTool('pkcs11-tool', [
    '--module',
    token.config.module,
    '--token-label',
    token.config.tokenLabel,
    '--login',
    '--pin',
    token.config.pin,
    '--list-objects',
  ]);
  if (result.exitCode !== 0) throw new Error(`pkcs11-tool --list-objects failed: ${result.stderr}`);
  return result.stdout;
}

/** The `--list-objects` paragraph of each object whose label is `label`. */
export function objectsLabelled(listing: string, label: string): string[] {
  return listing
    .split(/\n(?=\S)/)
    .filter((paragraph) => paragraph.split('\n').some((line) => line.trim() === `label:      ${label}`));
}
