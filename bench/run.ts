import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateDevPki } from '../src/pki/devCa.ts';
import { databaseKinds } from '../test/support/signetHarness.ts';
import { measureCeilings } from './ceilings.ts';
import { measureCompletionPipeline } from './completionPipeline.ts';
import { makeContractPdf } from './documents.ts';
import { measureEnvelopeThroughput } from './envelopeThroughput.ts';
import { describeMachine } from './machine.ts';
import { type BenchResults, resultRows } from './report.ts';
import { measureSealing } from './sealing.ts';
import { renderMarkdownTable } from './table.ts';

/*
 * `npm run bench`: sealing and API throughput next to the RSA and SHA-256 ceilings measured in
 * the same run. Reports only — no timed assertions — and prints progress to stderr so stdout
 * is just the table. Sized to finish in well under three minutes on two cores.
 */

const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');
/**
 * Sizes compared. pkijs/asn1js and pdf-lib need a few dozen calls before V8 has optimised them
 * (the first 1-page seals run several times slower), hence the long warm-up for the cheap case.
 */
const DOCUMENTS = [
  { pages: 1, seal: { warmup: 20, runs: 50 }, pipeline: { warmup: 15, runs: 25 } },
  { pages: 100, seal: { warmup: 3, runs: 9 }, pipeline: { warmup: 2, runs: 7 } },
];
const THROUGHPUT = { envelopes: 20, concurrency: 4, warmup: 2 };

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function main(): Promise<void> {
  const machine = describeMachine();
  const startedAt = new Date();

  progress('ceilings (RSA-2048 signs, SHA-256)');
  const ceilings = measureCeilings();

  // A fresh dev PKI, as a development instance creates on first start (RSA-2048 sealing key).
  const pkiDir = mkdtempSync(join(tmpdir(), 'signet-bench-pki-'));
  const results: BenchResults = { ceilings, sealing: [], pipelines: [], throughput: [] };
  try {
    const { sealing } = await loadOrCreateDevPki(pkiDir);
    for (const document of DOCUMENTS) {
      const pdf = await makeContractPdf(document.pages);
      progress(`sealPdf, ${document.pages} page(s)`);
      results.sealing.push(await measureSealing(pdf, document.pages, sealing, document.seal));
      progress(`completion pipeline, ${document.pages} page(s)`);
      results.pipelines.push(
        await measureCompletionPipeline(pdf, document.pages, sealing, document.pipeline),
      );
    }
  } finally {
    rmSync(pkiDir, { recursive: true, force: true });
  }

  for (const database of databaseKinds()) {
    progress(`API throughput on ${database}`);
    results.throughput.push(await measureEnvelopeThroughput(database, THROUGHPUT));
  }

  const rows = resultRows(results);
  process.stdout.write(`${renderMarkdownTable(rows, machine)}\n`);
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  const elapsedSeconds = (Date.now() - startedAt.getTime()) / 1000;
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), elapsedSeconds, machine, rows, results }, null, 2)}\n`,
  );
  progress(`done in ${elapsedSeconds.toFixed(0)} s; wrote ${RESULTS_FILE}`);
}

await main();
