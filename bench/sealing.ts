import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SignPdf } from '@signpdf/signpdf';
import { Signer } from '@signpdf/utils';
import { createPadesCms } from '../src/pdf/cms.ts';
import { openPdf } from '../src/pdf/inspect.ts';
import { sealPdf } from '../src/pdf/seal.ts';
import { addSignaturePlaceholder } from '../src/pdf/sealPlaceholder.ts';
import type { SealingIdentity } from '../src/pki/signer.ts';
import { lapTimer, type RunPlan, type Sample, summarize, summarizeEach, timeRuns } from './stats.ts';

/*
 * `sealPdf` on its own, and the same work cut into its stages to show where the time goes.
 * The staged copy mirrors src/pdf/seal.ts step for step (check → load → placeholder → save →
 * ByteRange splice → digest → CMS with one RSA signature); if the stages stop adding up to
 * roughly the sealPdf median, seal.ts changed and this mirror needs updating.
 */

export interface SealStages {
  /** Header/trailer checks and `PDFDocument.load` (openPdf). */
  load: Sample;
  placeholder: Sample;
  /** `PDFDocument.save` with a classic xref table: the whole document is re-serialised. */
  save: Sample;
  /** What @signpdf/signpdf does around the signer: find /ByteRange, splice, hex-encode, concat. */
  splice: Sample;
  /** SHA-256 of the signed byte ranges. */
  digest: Sample;
  /** CMS SignedData with pkijs, including the one RSA signature. */
  cms: Sample;
}

type StageName = keyof SealStages;

export interface SealMeasurement {
  pages: number;
  inputBytes: number;
  sealedBytes: number;
  seal: Sample;
  stages: SealStages;
  /** SHA-256 of the input bytes alone: the floor for any signature that covers the whole file. */
  sha256OfInput: Sample;
}

const SEAL_OPTIONS = { name: 'Signet', reason: 'Benchmark seal', location: 'bench.localhost' };

export async function measureSealing(
  pdf: Uint8Array,
  pages: number,
  identity: SealingIdentity,
  plan: RunPlan,
): Promise<SealMeasurement> {
  const sealedBytes = (await sealPdf(pdf, identity, SEAL_OPTIONS)).byteLength;
  const seal: number[] = [];
  const stages: Record<StageName, number[]> = {
    load: [],
    placeholder: [],
    save: [],
    splice: [],
    digest: [],
    cms: [],
  };
  // sealPdf and its staged mirror alternate, so both see the same JIT state and the same
  // background load, and the stages can be read as shares of the sealPdf median.
  for (let run = 0; run < plan.warmup + plan.runs; run++) {
    const started = performance.now();
    await sealPdf(pdf, identity, SEAL_OPTIONS);
    const sealMs = performance.now() - started;
    const staged = await sealInStages(pdf, identity);
    if (run < plan.warmup) continue;
    seal.push(sealMs);
    for (const name of Object.keys(stages) as StageName[]) stages[name].push(staged[name]);
  }
  const sha256OfInput = await timeRuns(async () => createHash('sha256').update(pdf).digest(), {
    warmup: 5,
    runs: 50,
  });
  return {
    pages,
    inputBytes: pdf.byteLength,
    sealedBytes,
    seal: summarize(seal),
    stages: summarizeEach(stages),
    sha256OfInput,
  };
}

async function sealInStages(pdf: Uint8Array, identity: SealingIdentity): Promise<Record<StageName, number>> {
  const lap = lapTimer();
  const document = await openPdf(pdf);
  const load = lap();
  addSignaturePlaceholder(document, { ...SEAL_OPTIONS, signingTime: new Date() });
  const placeholder = lap();
  const prepared = await document.save({ useObjectStreams: false });
  const save = lap();
  const signer = new TimedPadesSigner(identity);
  await new SignPdf().sign(Buffer.from(prepared), signer);
  const signing = lap();
  return {
    load,
    placeholder,
    save,
    splice: signing - signer.digestMs - signer.cmsMs,
    digest: signer.digestMs,
    cms: signer.cmsMs,
  };
}

/** Same CMS as seal.ts's signer, with the digest and the CMS build timed apart. */
class TimedPadesSigner extends Signer {
  readonly #identity: SealingIdentity;
  digestMs = 0;
  cmsMs = 0;

  constructor(identity: SealingIdentity) {
    super();
    this.#identity = identity;
  }

  override async sign(signedContent: Buffer): Promise<Buffer> {
    const started = performance.now();
    const messageDigest = createHash('sha256').update(signedContent).digest();
    const digested = performance.now();
    const cms = await createPadesCms(messageDigest, this.#identity);
    this.digestMs = digested - started;
    this.cmsMs = performance.now() - digested;
    return Buffer.from(cms);
  }
}
