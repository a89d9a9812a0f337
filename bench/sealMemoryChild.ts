import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { signPades } from '../src/pdf/pades.ts';
import { makeContractPdf } from './documents.ts';
import { loadBenchIdentity } from './identity.ts';
import { benchSeal } from './sealing.ts';
import type { SealMemoryReport } from './sealMemory.ts';

/*
 * Runs in its own process (see sealMemory.ts) so that its peak RSS is the seal's and nothing
 * else's: argv = the PDF to seal, then the key, certificate and chain PEM files. Writes one JSON
 * SealMemoryReport to stdout.
 */

const [pdfPath, key, certificate, chain] = process.argv.slice(2);
if (!pdfPath || !key || !certificate || !chain) {
  throw new Error('usage: sealMemoryChild.ts <pdf> <key.pem> <certificate.pem> <chain.pem>');
}
const identity = loadBenchIdentity({ key, certificate, chain });

// Warm the code paths on a small document first, so the large seal is not also compiling them.
const small = await makeContractPdf(1);
for (let i = 0; i < 5; i++) await signPades(small, [benchSeal(identity)], 'B-B', {});

globalThis.gc?.();
const runtimeRssBytes = process.memoryUsage().rss;
// readFileSync already returns a Uint8Array (a Buffer); wrapping it would copy the file.
const pdf: Uint8Array = readFileSync(pdfPath);
globalThis.gc?.();
const baselineRssBytes = process.memoryUsage().rss;
const maxRssBeforeBytes = peakRss();
const peakWasReset = resetPeakRss();
const started = performance.now();
const sealed = await signPades(pdf, [benchSeal(identity)], 'B-B', {});
const sealMs = performance.now() - started;
const report: SealMemoryReport = {
  fileBytes: pdf.byteLength,
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
