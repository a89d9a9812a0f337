import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { readPdfFile } from '../src/pdf/incremental/pdfBuffer.ts';
import { signPades } from '../src/pdf/pades.ts';
import { loadSealingIdentityFromPkcs12 } from '../src/pki/pkcs12.ts';
import type { SealMemoryReport } from './sealMemory.ts';

/*
 * Runs in its own process (see sealMemory.ts), compiled as production runs (dist/, no tsx), so
 * that its peak RSS is one seal's and nothing else's. It imports only what a sealing worker
 * needs: the PKCS#12 loader, the PDF reader and signPades.
 *   argv: the PDF to seal, a small PDF to warm up on, the PKCS#12 file;
 *   env:  BENCH_P12_PASSWORD.
 * Writes one JSON SealMemoryReport to stdout.
 */

const [pdfPath, warmupPath, p12Path] = process.argv.slice(2);
const password = process.env.BENCH_P12_PASSWORD;
if (!pdfPath || !warmupPath || !p12Path || password === undefined) {
  throw new Error('usage: BENCH_P12_PASSWORD=… sealMemoryChild.js <pdf> <warm-up pdf> <identity.p12>');
}
const identity = loadSealingIdentityFromPkcs12(readFileSync(p12Path), password);
const seal = () => ({ identity, fieldName: 'Signet seal', signingTime: new Date() });

// Warm the code paths on a small document first, so the large seal is not also compiling them.
for (let i = 0; i < 5; i++) await signPades(await readPdfFile(warmupPath), [seal()], 'B-B', {});

globalThis.gc?.();
const runtimeRssBytes = process.memoryUsage().rss;
// Read straight into a buffer with headroom: signPades appends the seal there, never copying the file.
const pdf = await readPdfFile(pdfPath);
// Taken now: the seal appends to this very buffer, so its length grows.
const fileBytes = pdf.length;
globalThis.gc?.();
const baselineRssBytes = process.memoryUsage().rss;
const maxRssBeforeBytes = peakRss();
const peakWasReset = resetPeakRss();
const started = performance.now();
const sealed = await signPades(pdf, [seal()], 'B-B', {});
const sealMs = performance.now() - started;
const report: SealMemoryReport = {
  fileBytes,
  sealedBytes: sealed.byteLength,
  runtimeRssBytes,
  baselineRssBytes,
  maxRssBeforeBytes,
  peakRssBytes: peakRss(),
  peakWasReset,
  sealMs,
};
process.stdout.write(`${JSON.stringify(report)}\n`);

/**
 * The process's peak RSS: the kernel's high-water mark VmHWM (Linux), else ru_maxrss.
 * Not ru_maxrss on Linux: it survives fork + exec, so a child started by a large parent
 * inherits the parent's peak (the first version of this bench reported the parent's 280 MiB).
 */
function peakRss(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (hwm) return Number(hwm) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024; // KiB on Linux, bytes on macOS: Linux is what we run
}

/** Linux ≥ 4.0 resets VmHWM to the current RSS when 5 is written to clear_refs (proc(5)). */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
