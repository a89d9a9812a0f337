import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Peak resident memory of one large seal, measured in a fresh child process: the parent's heap
 * (every other benchmark, the 50 MB input it already holds) would otherwise be in the number.
 * The child runs the compiled build (dist/, made by `npm run bench` first), as production does:
 * under tsx the loader's second V8 isolate alone would be ~0.7× a 50 MB file. Its baseline —
 * Node, the loaded modules, a warm-up on a small document and the input file read into memory —
 * is taken just before sealing and reported beside the peak.
 */

export interface SealMemoryReport {
  fileBytes: number;
  sealedBytes: number;
  /** RSS after the warm-up, before the input is read: what Node and the modules hold. */
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

const CHILD = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bench', 'sealMemoryChild.js');

export interface SealMemoryInput {
  pdfPath: string;
  /** A small PDF the child seals a few times before the measured seal. */
  warmupPdfPath: string;
  p12Path: string;
  p12Passphrase: string;
}

export function measureSealMemory(input: SealMemoryInput): SealMemoryReport {
  if (!existsSync(CHILD)) throw new Error(`${CHILD} is missing: \`npm run build\` compiles it`);
  const stdout = execFileSync(
    process.execPath,
    ['--expose-gc', CHILD, input.pdfPath, input.warmupPdfPath, input.p12Path],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_P12_PASSWORD: input.p12Passphrase },
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as SealMemoryReport;
}
