import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PadesServices } from '../src/pdf/pades.ts';
import type { SealingIdentity } from '../src/pki/signer.ts';
import { databaseKinds, startTestSignet } from '../test/support/signetHarness.ts';
import { measureCeilings } from './ceilings.ts';
import { measureCompletionPipeline } from './completionPipeline.ts';
import { type ContractBench, contractRows, measureContractOverhead } from './contractOverhead.ts';
import { largeScanPdf, makeContractPdf, withEmptySignatureField } from './documents.ts';
import { measureEnvelopeThroughput } from './envelopeThroughput.ts';
import { type HsmBenchPlan, hsmRows, measureHsmSigning } from './hsm.ts';
import { type BenchIdentity, createBenchIdentity } from './identity.ts';
import { measureLevels } from './levels.ts';
import { describeMachine } from './machine.ts';
import {
  measureMutoolSign,
  measureMutoolStart,
  measureSignpdf,
  type PeerMeasurement,
  writeMutoolInput,
} from './peers.ts';
import { measureRateLimitStores, type RateLimitBench, rateLimitRows } from './rateLimitStores.ts';
import { type BenchResults, pagesLabel, resultRows } from './report.ts';
import { measureSealing } from './sealing.ts';
import { measureSealMemory, type SealMemoryInput } from './sealMemory.ts';
import { measureSlaEngine, type SlaEngineBench, slaEngineRows } from './slaEngine.ts';
import type { RunPlan } from './stats.ts';
import { renderMarkdownTable } from './table.ts';
import { measureVerifyLatency } from './verifyLatency.ts';
import { type CeremonyBench, ceremonyRows, measureCeremony } from './webCeremony.ts';
import { measureWebhookDelivery, type WebhookDeliveryPlan } from './webhookDelivery.ts';

/*
 * `npm run bench`: PAdES B-B seal throughput (1 page, 100 pages, a 50 MB scan) next to the
 * ceilings measured in the same run (RSA-2048 and P-256 signs/s, SHA-256 MB/s) and the peers on
 * the same documents (@signpdf/signpdf in Node, mutool sign in C); the 50 MB seal's peak RSS;
 * seal latency per PAdES level; the completion pipeline; API throughput; webhook delivery beside
 * the raw HMAC-SHA256 rate. Reports only — no
 * timed assertions — and prints progress to stderr so stdout is just the table.
 *
 * While developing, run it reduced (the machine is shared):
 *   BENCH_QUICK=1      a fifth of the runs;
 *   BENCH_SKIP=a,b     leave out sections: peers, memory, levels, pipeline, throughput, hsm, verify,
 *                      ratelimits, webhooks, contract, ceremony, sla.
 */

const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');
const QUICK = process.env.BENCH_QUICK === '1';
const SKIP = new Set(
  (process.env.BENCH_SKIP ?? '')
    .split(',')
    .map((section) => section.trim())
    .filter((section) => section !== ''),
);
const runs = (warmup: number, count: number): RunPlan =>
  QUICK
    ? { warmup: Math.ceil(warmup / 4), runs: Math.max(1, Math.ceil(count / 5)) }
    : { warmup, runs: count };

/** The large document: uncompressed scans, the size the issue names. */
const LARGE_DOCUMENT_BYTES = 50 * 1_000_000;

interface DocumentPlan {
  label: string;
  make(): Promise<Uint8Array>;
  seal: RunPlan;
  signpdf: RunPlan;
  mutool: RunPlan;
  /** Absent: the completion pipeline is not run on this document. */
  pipeline?: { pages: number; plan: RunPlan };
}

/**
 * pkijs/asn1js and pdf-lib need a few hundred calls before V8 has optimised them (the first
 * 1-page seals run several times slower, and after 20 they are still ~15 % slower than a
 * sealing worker that has run for a while), hence the long warm-ups for the cheap cases: the
 * figure wanted is a worker's steady-state throughput. Each peer gets warm-ups of its own.
 */
const DOCUMENTS: DocumentPlan[] = [
  {
    label: pagesLabel(1),
    make: () => makeContractPdf(1),
    seal: runs(300, 300),
    signpdf: runs(30, 30),
    mutool: runs(2, 20),
    pipeline: { pages: 1, plan: runs(15, 25) },
  },
  {
    label: pagesLabel(100),
    make: () => makeContractPdf(100),
    seal: runs(30, 30),
    signpdf: runs(5, 7),
    mutool: runs(1, 9),
    pipeline: { pages: 100, plan: runs(2, 7) },
  },
  {
    label: '50 pages of scans',
    make: async () => (await largeScanPdf(LARGE_DOCUMENT_BYTES)).bytes,
    seal: runs(1, 7),
    signpdf: { warmup: 0, runs: QUICK ? 1 : 3 },
    mutool: runs(1, 5),
  },
];
const THROUGHPUT = QUICK
  ? { envelopes: 6, concurrency: 4, warmup: 1 }
  : { envelopes: 20, concurrency: 4, warmup: 2 };
const WEBHOOKS: WebhookDeliveryPlan = QUICK
  ? { events: 200, batch: 25, warmup: 50 }
  : { events: 1000, batch: 25, warmup: 100 };
const HSM: HsmBenchPlan = { durationMs: QUICK ? 300 : 1000, inFlight: 16 };
const LEVELS = runs(3, 15);

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function main(): Promise<void> {
  const machine = describeMachine();
  const startedAt = new Date();

  progress('ceilings (RSA-2048 and P-256 signs, SHA-256)');
  const ceilings = measureCeilings(QUICK ? 500 : 1500);
  const results: BenchResults = { ceilings, sealing: [], peers: [], pipelines: [], throughput: [] };

  const workDir = mkdtempSync(join(tmpdir(), 'signet-bench-'));
  try {
    // One RSA-2048 key for Signet and both peers (as a PKCS#12 for them).
    const bench = await createBenchIdentity(workDir);
    if (!SKIP.has('peers')) results.mutoolStart = measureMutoolStart(runs(3, 30));
    for (const document of DOCUMENTS) {
      progress(`${document.label}: making the document`);
      const pdf = await document.make();
      progress(`${document.label}: signPades B-B`);
      results.sealing.push(await measureSealing(pdf, document.label, bench.identity, document.seal));
      if (!SKIP.has('peers')) {
        results.peers.push(await measurePeers(pdf, document, bench, workDir));
      }
      if (document.pipeline && !SKIP.has('pipeline')) {
        progress(`${document.label}: completion pipeline`);
        const { pages, plan } = document.pipeline;
        results.pipelines.push(await measureCompletionPipeline(pdf, pages, bench.identity, plan));
      }
    }
    if (!SKIP.has('memory')) {
      progress('50 MB seal in a child process (peak RSS)');
      const warmupPdfPath = join(workDir, 'warm-up.pdf');
      writeFileSync(warmupPdfPath, await makeContractPdf(1));
      results.memory = sealMemory({
        pdfPath: (await largeScanPdf(LARGE_DOCUMENT_BYTES)).path,
        warmupPdfPath,
        p12Path: bench.p12Path,
        p12Passphrase: bench.p12Passphrase,
      });
    }
    if (!SKIP.has('verify')) {
      progress('POST /api/v1/verify, ordinary and worst allowed PDF, server on one core');
      results.verifyLatency = await measureVerifyLatency(bench.identity).catch((error: Error) => ({
        error: error.message,
      }));
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  if (!SKIP.has('levels')) {
    progress('PAdES levels against a running Signet (in-process TSA, OCSP, CRL)');
    results.levels = await measureLevelsOnSignet();
  }

  if (!SKIP.has('throughput')) {
    for (const database of databaseKinds()) {
      progress(`API throughput on ${database}`);
      results.throughput.push(await measureEnvelopeThroughput(database, THROUGHPUT));
    }
  }

  let rateLimits: RateLimitBench | undefined;
  if (!SKIP.has('ratelimits')) {
    progress('rate-limit stores: one hit in memory, the database, Redis');
    rateLimits = await measureRateLimitStores(runs(200, 2000), QUICK ? 1000 : 5000);
  }
  let contract: ContractBench | undefined;
  if (!SKIP.has('contract')) {
    progress('the contract: route validation and answer serialization');
    contract = await measureContractOverhead({ requests: QUICK ? 30 : 150, micro: QUICK ? 500 : 3000 });
  }
  if (!SKIP.has('webhooks')) {
    results.webhooks = [];
    for (const database of databaseKinds()) {
      progress(`webhook delivery on ${database}`);
      results.webhooks.push(await measureWebhookDelivery(database, WEBHOOKS));
    }
  }

  let sla: SlaEngineBench | undefined;
  if (!SKIP.has('sla')) {
    progress('the SLA engine on a year-long ticket, beside the Temporal conversions it needs');
    sla = await measureSlaEngine(runs(10, 100));
  }

  let ceremony: CeremonyBench | undefined;
  if (!SKIP.has('ceremony')) {
    progress('the signing ceremony and the pdf.js viewer alone in Chromium, 20-page PDF');
    ceremony = await measureCeremony({ pages: 20, runs: QUICK ? 3 : 10 });
  }

  let hsm: Awaited<ReturnType<typeof measureHsmSigning>>;
  if (!SKIP.has('hsm')) {
    progress('HSM signing (SoftHSM2 through Pkcs11KeyStore)');
    hsm = await measureHsmSigning(HSM);
  }

  const rows = [
    ...resultRows(results),
    ...contractRows(contract),
    ...rateLimitRows(rateLimits),
    ...slaEngineRows(sla),
    ...ceremonyRows(ceremony),
    ...(hsm ? hsmRows(hsm, HSM) : []),
  ];
  process.stdout.write(`${renderMarkdownTable(rows, machine)}\n`);
  const elapsedSeconds = (Date.now() - startedAt.getTime()) / 1000;
  // A reduced run says so in the file, so nobody compares it with a full one unawares.
  const reduced = QUICK || SKIP.size > 0 ? { quick: QUICK, skipped: [...SKIP] } : undefined;
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), elapsedSeconds, reduced, machine, rows, results, rateLimits, contract, sla, ceremony, hsm }, null, 2)}\n`,
  );
  progress(`done in ${elapsedSeconds.toFixed(0)} s; wrote ${RESULTS_FILE}`);
}

async function measurePeers(
  pdf: Uint8Array,
  document: DocumentPlan,
  bench: BenchIdentity,
  workDir: string,
): Promise<PeerMeasurement> {
  progress(`${document.label}: @signpdf/signpdf`);
  const signpdf = await measureSignpdf(pdf, bench, document.signpdf);
  progress(`${document.label}: mutool sign`);
  const field = await withEmptySignatureField(pdf);
  const input = writeMutoolInput(workDir, 'mutool-input.pdf', field.bytes, field.fieldObjectNumber);
  const mutool = measureMutoolSign(input, bench, workDir, document.mutool);
  return { label: document.label, signpdf, mutool };
}

function sealMemory(input: SealMemoryInput): BenchResults['memory'] {
  try {
    return measureSealMemory(input);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * B-T…B-LTA need a TSA and revocation data the sealing certificate points at: a Signet started
 * as the tests start it provides both in-process (its dev TSA, OCSP responder and CRLs), and its
 * own sealing identity carries the matching AIA/CRL pointers. A Signet whose platform does not
 * offer PAdES services yet is reported as such.
 */
async function measureLevelsOnSignet(): Promise<BenchResults['levels']> {
  const signet = await startTestSignet('pglite');
  try {
    const pki = signet.platform.pki as { sealing: SealingIdentity; pades?: PadesServices };
    if (!pki.pades) return { error: 'this Signet has no PAdES services (platform.pki.pades)' };
    const pdf = await makeContractPdf(1);
    const results = await measureLevels(pki.sealing, pki.pades, { pdf, ...LEVELS });
    return { services: 'Signet in-process TSA/OCSP', results };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    await signet.stop();
  }
}

await main();
