import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { P12Signer } from '@signpdf/signer-p12';
import { SignPdf } from '@signpdf/signpdf';
import { PDFDocument } from 'pdf-lib';
import type { BenchIdentity } from './identity.ts';
import { type RunPlan, type Sample, summarize, timeRuns } from './stats.ts';

/*
 * The same seal made by the two tools a Signet user would otherwise reach for, with the same
 * RSA-2048 key (a PKCS#12 of it), on the same documents:
 *  - @signpdf/signpdf, the Node peer, in its own standard pipeline: pdf-lib load, the
 *    @signpdf/placeholder-pdf-lib placeholder, pdf-lib save (a full rewrite), then SignPdf with
 *    @signpdf/signer-p12 (node-forge: PKCS#12 decrypted per document, content hashed in JS);
 *  - `mutool sign`, the native peer (MuPDF, C), which signs an existing empty signature field;
 *    timed per document including process start, with `mutool -v` timed alone so the start-up
 *    cost can be taken out of the comparison.
 * A peer that fails on a document is reported as a failure, with its message.
 */

export type PeerOutcome = { ok: true; sample: Sample; outputBytes: number } | { ok: false; error: string };

export interface PeerMeasurement {
  label: string;
  signpdf: PeerOutcome;
  mutool: PeerOutcome;
}

export async function measureSignpdf(
  pdf: Uint8Array,
  identity: BenchIdentity,
  plan: RunPlan,
): Promise<PeerOutcome> {
  const p12 = readFileSync(identity.p12Path);
  const signpdf = async () => {
    // A P12Signer is single-use: sign() consumes its buffer, parsing (and decrypting) the
    // PKCS#12 again for every document. That is the library's cost, so it is in the timing.
    const signer = new P12Signer(p12, { passphrase: identity.p12Passphrase });
    const document = await PDFDocument.load(pdf);
    pdflibAddPlaceholder({
      pdfDoc: document,
      reason: 'Benchmark seal',
      contactInfo: 'bench@signet.localhost',
      name: 'Signet bench',
      location: 'bench.localhost',
    });
    return new SignPdf().sign(Buffer.from(await document.save()), signer);
  };
  try {
    const outputBytes = (await signpdf()).byteLength;
    return { ok: true, sample: await timeRuns(signpdf, plan), outputBytes };
  } catch (error) {
    return { ok: false, error: messageOf(error) };
  }
}

export interface MutoolInput {
  /** A PDF with an empty signature field (documents.ts withEmptySignatureField). */
  path: string;
  fieldObjectNumber: number;
}

export function measureMutoolSign(
  input: MutoolInput,
  identity: BenchIdentity,
  workDir: string,
  plan: RunPlan,
): PeerOutcome {
  const output = join(workDir, 'mutool-signed.pdf');
  const sign = () => {
    rmSync(output, { force: true });
    runMutool([
      'sign',
      '-s',
      identity.p12Path,
      '-P',
      identity.p12Passphrase,
      '-o',
      output,
      input.path,
      String(input.fieldObjectNumber),
    ]);
  };
  try {
    sign();
    // mutool exits 0 even when it signed nothing: check that the output verifies before timing it.
    const verdict = runMutool(['sign', '-v', output]);
    if (!verdict.includes('unchanged since signing')) {
      return { ok: false, error: `mutool's output does not verify: ${verdict.trim().split('\n').at(-1)}` };
    }
    const outputBytes = statSync(output).size;
    const timings: number[] = [];
    for (let run = 0; run < plan.warmup + plan.runs; run++) {
      const started = performance.now();
      sign();
      if (run >= plan.warmup) timings.push(performance.now() - started);
    }
    return { ok: true, sample: summarize(timings), outputBytes };
  } catch (error) {
    return { ok: false, error: messageOf(error) };
  } finally {
    rmSync(output, { force: true });
  }
}

/** `mutool -v`: process start, dynamic linking and exit, and nothing else. */
export function measureMutoolStart(plan: RunPlan): Sample {
  const timings: number[] = [];
  for (let run = 0; run < plan.warmup + plan.runs; run++) {
    const started = performance.now();
    runMutool(['-v']);
    if (run >= plan.warmup) timings.push(performance.now() - started);
  }
  return summarize(timings);
}

export function writeMutoolInput(
  workDir: string,
  name: string,
  bytes: Uint8Array,
  fieldObjectNumber: number,
): MutoolInput {
  const path = join(workDir, name);
  writeFileSync(path, bytes);
  return { path, fieldObjectNumber };
}

function runMutool(args: string[]): string {
  const result = spawnSync('mutool', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `mutool ${args[0]} exited with ${result.status}: ${result.stderr.trim().split('\n').at(-1)}`,
    );
  }
  return `${result.stdout}${result.stderr}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
