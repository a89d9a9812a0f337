import { availableParallelism } from 'node:os';
import type { Ceilings } from './ceilings.ts';
import type { PipelineMeasurement } from './completionPipeline.ts';
import type { ThroughputResult } from './envelopeThroughput.ts';
import type { SealMeasurement } from './sealing.ts';
import type { Sample } from './stats.ts';
import { formatKB, formatMs, formatPercent, formatRate, formatTimes, type Row } from './table.ts';

/*
 * Turns the measurements into table rows, each next to the peer or ceiling it should be read
 * against. Rows starting with "↳" break the row above them down.
 */

export interface BenchResults {
  ceilings: Ceilings;
  sealing: SealMeasurement[];
  pipelines: PipelineMeasurement[];
  throughput: ThroughputResult[];
}

/**
 * Workers are woken when the enqueuing transaction commits (src/jobs/queue.ts), so the queue
 * adds milliseconds, not a poll interval; the ceiling for completed envelopes is the CPU work
 * of completing them: the 1-page completion pipeline on every core of this machine.
 */
const CORES = availableParallelism();

export function resultRows(results: BenchResults): Row[] {
  return [
    ...ceilingRows(results.ceilings),
    ...results.sealing.flatMap((seal) => sealRows(seal, results.ceilings)),
    ...results.pipelines.flatMap((pipeline) => pipelineRows(pipeline, results.sealing)),
    ...results.throughput.flatMap((run) => throughputRows(run, results.pipelines)),
  ];
}

function ceilingRows(ceilings: Ceilings): Row[] {
  return [
    {
      measure: 'RSA-2048 crypto.sign(sha256), 1 core',
      value: formatRate(ceilings.rsa2048SignsPerSecond, 'signs'),
      peer: 'ceiling',
      ratio: '—',
    },
    {
      measure: 'SHA-256, 64 MB buffer (best of 4)',
      value: formatRate(ceilings.sha256MegabytesPerSecond, 'MB'),
      peer: 'ceiling',
      ratio: '—',
    },
  ];
}

const pagesLabel = (pages: number) => (pages === 1 ? '1 page' : `${pages} pages`);

function sealRows(seal: SealMeasurement, ceilings: Ceilings): Row[] {
  const median = seal.seal.median;
  const label = `sealPdf, ${pagesLabel(seal.pages)} (${formatKB(seal.inputBytes)})`;
  const headline: Row =
    seal.pages === 1
      ? {
          measure: `${label}, median of ${seal.seal.runs}`,
          value: `${formatMs(median)} = ${formatRate(1000 / median, 'seals')} (min ${formatMs(seal.seal.min)})`,
          peer: `RSA-2048 sign ${formatRate(ceilings.rsa2048SignsPerSecond, 'signs')}`,
          ratio: `${formatPercent(1000 / median / ceilings.rsa2048SignsPerSecond)} of ceiling`,
        }
      : {
          measure: `${label}, median of ${seal.seal.runs}`,
          value: `${formatMs(median)} (min ${formatMs(seal.seal.min)})`,
          peer: `SHA-256 of the same bytes ${formatMs(seal.sha256OfInput.median)}`,
          ratio: `${formatTimes(median / seal.sha256OfInput.median)} slower`,
        };
  const share = (measure: string, sample: Sample): Row => ({
    measure: `  ↳ ${measure}`,
    value: formatMs(sample.median),
    peer: `sealPdf ${formatMs(median)}`,
    ratio: formatPercent(sample.median / median),
  });
  const rsaMs = 1000 / ceilings.rsa2048SignsPerSecond;
  return [
    headline,
    share('load (openPdf checks + PDFDocument.load)', seal.stages.load),
    share('add signature placeholder', seal.stages.placeholder),
    share('save (PDFDocument.save, full rewrite)', seal.stages.save),
    share('ByteRange splice (@signpdf/signpdf)', seal.stages.splice),
    share('SHA-256 of signed ranges', seal.stages.digest),
    share('CMS (pkijs) incl. RSA sign', seal.stages.cms),
    {
      measure: '    ↳ of which one RSA-2048 sign',
      value: formatMs(rsaMs),
      peer: `sealPdf ${formatMs(median)}`,
      ratio: formatPercent(rsaMs / median),
    },
    {
      measure: `  sealed output, ${pagesLabel(seal.pages)}`,
      value: formatKB(seal.sealedBytes),
      peer: '—',
      ratio: '—',
    },
  ];
}

function pipelineRows(pipeline: PipelineMeasurement, sealing: SealMeasurement[]): Row[] {
  const { total } = pipeline.stages;
  const sealAlone = sealing.find((seal) => seal.pages === pipeline.pages)?.seal.median;
  const share = (measure: string, sample: Sample): Row => ({
    measure: `  ↳ ${measure}`,
    value: formatMs(sample.median),
    peer: `pipeline ${formatMs(total.median)}`,
    ratio: formatPercent(sample.median / total.median),
  });
  return [
    {
      measure: `completion pipeline, ${pagesLabel(pipeline.pages)}, median of ${total.runs}`,
      value: `${formatMs(total.median)} = ${formatRate(1000 / total.median, 'docs')} (min ${formatMs(total.min)})`,
      peer: sealAlone === undefined ? '—' : `sealPdf alone ${formatMs(sealAlone)}`,
      ratio: sealAlone === undefined ? '—' : formatTimes(total.median / sealAlone),
    },
    share('stamp fields (composeCompletedPdf)', pipeline.stages.stamp),
    share('render certificate of completion', pipeline.stages.certificate),
    share('append certificate (composeCompletedPdf)', pipeline.stages.append),
    share('seal (sealPdf)', pipeline.stages.seal),
  ];
}

function throughputRows(run: ThroughputResult, pipelines: PipelineMeasurement[]): Row[] {
  const pipelineMs = pipelines.find((pipeline) => pipeline.pages === 1)?.stages.total.median ?? 0;
  const cpuCeiling = pipelineMs > 0 ? (CORES * 1000) / pipelineMs : 0;
  const medianP90 = (sample: Sample) => `${formatMs(sample.median)} / ${formatMs(sample.p90)}`;
  const where = `${run.database}, ${run.plan.envelopes} envelopes, ${run.plan.concurrency} concurrent`;
  return [
    {
      measure: `API completed envelopes/s (${where})`,
      value: formatRate(run.envelopesPerSecond, 'envelopes'),
      peer: `completion pipeline on ${CORES} cores ${formatRate(cpuCeiling, 'envelopes')}`,
      ratio: cpuCeiling > 0 ? formatPercent(run.envelopesPerSecond / cpuCeiling) : '—',
    },
    {
      measure: `API create → sealed latency, median / p90 (${run.database})`,
      value: medianP90(run.latency),
      peer: `completion pipeline 1 page ${formatMs(pipelineMs)}`,
      ratio: pipelineMs > 0 ? formatTimes(run.latency.median / pipelineMs) : '—',
    },
    {
      measure: '  ↳ create + send (POST /api/v1/envelopes)',
      value: medianP90(run.create),
      peer: '—',
      ratio: '—',
    },
    {
      measure: '  ↳ outbox lookup + consent + finish',
      value: medianP90(run.sign),
      peer: '—',
      ratio: '—',
    },
    {
      measure: '  ↳ finish → seal done (queue + job + 50 ms client poll)',
      value: medianP90(run.sealWait),
      peer: `completion pipeline 1 page ${formatMs(pipelineMs)}`,
      ratio: pipelineMs > 0 ? formatTimes(run.sealWait.median / pipelineMs) : '—',
    },
    {
      measure: `  mails queued per envelope; still undelivered at the end (${run.database})`,
      value: `${run.mailsPerEnvelope.toFixed(1)}; ${run.mailBacklog} undelivered`,
      peer: '—',
      ratio: '—',
    },
  ];
}
