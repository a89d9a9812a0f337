import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IdentityPemFiles } from './identity.ts';

/*
 * Peak resident memory of one large seal, measured in a fresh child process: the parent's heap
 * (every other benchmark, the 50 MB input it already holds) would otherwise be in the number.
 * The child's baseline — Node, tsx, the loaded modules, a warm-up on a small document and the
 * input file read into memory — is taken just before sealing and reported beside the peak.
 */

export interface SealMemoryReport {
  fileBytes: number;
  sealedBytes: number;
  /** RSS after the warm-up, before the input is read: what Node, tsx and the modules hold. */
  runtimeRssBytes: number;
  /** RSS just before `signPades`, with the input already read. */
  baselineRssBytes: number;
  /** Peak RSS up to that moment (warm-up, reading the file). */
  maxRssBeforeBytes: number;
  /** VmHWM after the seal: the peak since the reset just before it (or the child's whole peak). */
  peakRssBytes: number;
  /** Whether the high-water mark was reset just before sealing, so the peak is the seal's. */
  peakWasReset: boolean;
  sealMs: number;
}

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'sealMemoryChild.ts');

export function measureSealMemory(pdfPath: string, pem: IdentityPemFiles): SealMemoryReport {
  const stdout = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', CHILD, pdfPath, pem.key, pem.certificate, pem.chain],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as SealMemoryReport;
}
