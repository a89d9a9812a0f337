import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createPadesCms } from '../src/pdf/cms.ts';
import { openPdfFile } from '../src/pdf/incremental/pdfFile.ts';
import { type PadesSignature, signPades } from '../src/pdf/pades.ts';
import type { SealingIdentity } from '../src/pki/signer.ts';
import { type RunPlan, type Sample, summarize, summarizeEach } from './stats.ts';

/*
 * The platform seal as production makes it: `signPades` at B-B, one invisible signature
 * appended as an incremental update (src/envelopes/sealing.ts). Beside each seal, and
 * alternating with it so both see the same JIT state and background load, the parts that can
 * be timed from outside signPades: reading the file structure, the CMS with its one signature
 * (and that signature alone), and one SHA-256 pass over the document (what the ByteRange digest costs at least). What is
 * left of the median is the incremental writer: serialising the update, copying the file into
 * the output and filling the hole.
 */

export interface SealStages {
  /** `openPdfFile` + `pageRef(0)`: xref chain, trailer, catalog and the page-tree path to page 1. */
  open: Sample;
  /** `createPadesCms` for one digest: signed attributes, one private-key signature, DER. */
  cms: Sample;
  /** `identity.sign` alone over signed-attributes-sized data: the part of `cms` no code can save. */
  sign: Sample;
  /** One SHA-256 pass over the input document. */
  sha256: Sample;
}

type StageName = keyof SealStages;

export interface SealMeasurement {
  /** What the document is, e.g. "1 page" or "50 pages of scans". */
  label: string;
  inputBytes: number;
  sealedBytes: number;
  seal: Sample;
  stages: SealStages;
}

/** About the size of the DER signed attributes of a B-B seal (RFC 5652 §5.4). */
const SIGNED_ATTRIBUTES_BYTES = 256;

export function benchSeal(identity: SealingIdentity): PadesSignature {
  return { identity, fieldName: 'Signet seal', signingTime: new Date() };
}

export async function measureSealing(
  pdf: Uint8Array,
  label: string,
  identity: SealingIdentity,
  plan: RunPlan,
): Promise<SealMeasurement> {
  const sealedBytes = (await signPades(pdf, [benchSeal(identity)], 'B-B', {})).byteLength;
  const seal: number[] = [];
  const stages: Record<StageName, number[]> = { open: [], cms: [], sign: [], sha256: [] };
  const digest = new Uint8Array(randomBytes(32));
  const signedAttributes = new Uint8Array(randomBytes(SIGNED_ATTRIBUTES_BYTES));
  for (let run = 0; run < plan.warmup + plan.runs; run++) {
    const started = performance.now();
    await signPades(pdf, [benchSeal(identity)], 'B-B', {});
    const sealMs = performance.now() - started;
    const open = await timed(async () => openPdfFile(pdf).pageRef(0));
    const cms = await timed(() => createPadesCms(digest, identity));
    const sign = await timed(() => identity.sign(signedAttributes));
    const sha256 = await timed(async () => createHash('sha256').update(pdf).digest());
    if (run < plan.warmup) continue;
    seal.push(sealMs);
    stages.open.push(open);
    stages.cms.push(cms);
    stages.sign.push(sign);
    stages.sha256.push(sha256);
  }
  return {
    label,
    inputBytes: pdf.byteLength,
    sealedBytes,
    seal: summarize(seal),
    stages: summarizeEach(stages),
  };
}

async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await task();
  return performance.now() - started;
}
