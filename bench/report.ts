import { availableParallelism } from 'node:os';
import { levelAtLeast } from '../src/pdf/pades.ts';
import type { Ceilings } from './ceilings.ts';
import type { PipelineMeasurement } from './completionPipeline.ts';
import type { ThroughputResult } from './envelopeThroughput.ts';
import type { LevelMeasurement } from './levels.ts';
import type { PeerMeasurement } from './peers.ts';
import type { SealMeasurement } from './sealing.ts';
import type { SealMemoryReport } from './sealMemory.ts';
import type { Sample } from './stats.ts';
import {
  formatBytes,
  formatMs,
  formatPercent,
  formatRate,
  formatTarget,
  formatTimes,
  type Row,
} from './table.ts';
import type { VerifyLatencyReport } from './verifyLatency.ts';
import { type WebhookDeliveryResult, webhookDeliveryRows } from './webhookDelivery.ts';

/*
 * Turns the measurements into table rows, each next to the peer or ceiling it should be read
 * against. Rows starting with "↳" break the row above them down.
 */

export interface BenchResults {
  ceilings: Ceilings;
  sealing: SealMeasurement[];
  /** @signpdf and mutool on the same documents as `sealing`, matched by label. */
  peers: PeerMeasurement[];
  /** `mutool -v`: the process start included in every mutool timing. */
  mutoolStart?: Sample;
  /** The large document's seal in a child process, for its peak RSS. */
  memory?: SealMemoryReport | { error: string };
  pipelines: PipelineMeasurement[];
  throughput: ThroughputResult[];
  levels?: { services: string; results: LevelMeasurement[] } | { error: string };
  /** The public verify route with an ordinary and a hostile PDF, /healthz meanwhile. */
  verifyLatency?: VerifyLatencyReport | { error: string };
  /** Webhook events signed and delivered to a loopback receiver, beside the raw HMAC rate. */
  webhooks?: WebhookDeliveryResult[];
}

/**
 * Workers are woken when the enqueuing transaction commits (src/jobs/queue.ts), so the queue
 * adds milliseconds, not a poll interval; the ceiling for completed envelopes is the CPU work
 * of completing them: the 1-page completion pipeline on every core of this machine.
 */
const CORES = availableParallelism();

/** The issue's targets (reports, not assertions). */
const TARGET = {
  /** 1-page B-B seals/s as a fraction of single-core RSA-2048 signs/s. */
  onePageShareOfRsa: 0.5,
  /** Large-document seal time over the time of two SHA-256 passes over the file. */
  largeSealOverTwoSha256Passes: 2,
  /** Peak RSS of the large seal over the file size. */
  peakRssOverFileSize: 3,
  /**
   * /healthz p99 while the worst allowed PDF is verified, over its idle p99 on the same core:
   * "the server keeps answering within its normal latency" (security issue, finding 1).
   */
  healthUnderBombOverIdle: 2,
};

export function resultRows(results: BenchResults): Row[] {
  return [
    ...ceilingRows(results.ceilings),
    ...results.sealing.flatMap((seal) =>
      sealRows(
        seal,
        results.ceilings,
        results.peers.find((peer) => peer.label === seal.label),
        results.mutoolStart,
      ),
    ),
    ...memoryRows(results.memory, results.sealing.at(-1)),
    ...levelRows(results.levels, results.sealing[0]),
    ...results.pipelines.flatMap((pipeline) => pipelineRows(pipeline, results.sealing)),
    ...results.throughput.flatMap((run) => throughputRows(run, results.pipelines)),
    ...verifyLatencyRows(results.verifyLatency),
    ...(results.webhooks ?? []).flatMap(webhookDeliveryRows),
  ];
}

function verifyLatencyRows(report: BenchResults['verifyLatency']): Row[] {
  if (!report) return [];
  const measure = 'POST /api/v1/verify (server on 1 core)';
  if ('error' in report) return [{ measure, value: `FAILED: ${report.error}`, peer: '—', ratio: '—' }];
  const core = report.pinnedToOneCore ? 'server pinned to 1 core' : 'server NOT pinned (no taskset)';
  const idleP99 = report.idleHealth.p99;
  const statuses = (list: number[]) => [...new Set(list)].join('/');
  const healthRow = (sample: Sample, target?: number): Row => ({
    measure: '  ↳ /healthz meanwhile, p50 / p99',
    value: `${formatMs(sample.median)} / ${formatMs(sample.p99)} (${sample.runs} probes)`,
    peer: `idle p99 ${formatMs(idleP99)}`,
    ratio: formatTimes(sample.p99 / idleP99),
    ...(target !== undefined
      ? { target: formatTarget(`≤ ${target}× idle`, sample.p99 <= target * idleP99) }
      : {}),
  });
  return [
    {
      measure: `/healthz idle, ${core}, p50 / p99`,
      value: `${formatMs(report.idleHealth.median)} / ${formatMs(idleP99)} (${report.idleHealth.runs} probes)`,
      peer: 'reference',
      ratio: '—',
    },
    {
      measure: `${measure}, 1-page B-B signed PDF (${formatBytes(report.ordinaryBytes)}), median of ${report.ordinary.verify.runs}`,
      value: `${formatMs(report.ordinary.verify.median)} (p90 ${formatMs(report.ordinary.verify.p90)}), HTTP ${statuses(report.ordinary.statuses)}`,
      peer: '—',
      ratio: '—',
    },
    healthRow(report.ordinary.health),
    {
      measure: `${measure}, worst allowed bomb (${formatBytes(report.bombBytes)} → 1,999,000 objects), median of ${report.bomb.verify.runs}`,
      value: `${formatMs(report.bomb.verify.median)} (max ${formatMs(report.bomb.verify.max)}), HTTP ${statuses(report.bomb.statuses)}`,
      peer: 'ordinary PDF',
      ratio: formatTimes(report.bomb.verify.median / report.ordinary.verify.median),
    },
    healthRow(report.bomb.health, TARGET.healthUnderBombOverIdle),
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
      measure: 'ECDSA P-256 crypto.sign(sha256), 1 core',
      value: formatRate(ceilings.ecdsaP256SignsPerSecond, 'signs'),
      peer: 'ceiling',
      ratio: `${formatTimes(ceilings.ecdsaP256SignsPerSecond / ceilings.rsa2048SignsPerSecond)} RSA-2048`,
    },
    {
      measure: 'SHA-256, 64 MB buffer (best of 4)',
      value: formatRate(ceilings.sha256MegabytesPerSecond, 'MB'),
      peer: 'ceiling',
      ratio: '—',
    },
  ];
}

function sealRows(
  seal: SealMeasurement,
  ceilings: Ceilings,
  peers: PeerMeasurement | undefined,
  mutoolStart: Sample | undefined,
): Row[] {
  const median = seal.seal.median;
  const label = `${seal.label} (${formatBytes(seal.inputBytes)})`;
  const value = `${formatMs(median)} = ${formatRate(1000 / median, 'docs')} (min ${formatMs(seal.seal.min)})`;
  const measure = `signPades B-B, ${label}, median of ${seal.seal.runs}`;
  const sha256 = seal.stages.sha256.median;
  const isOnePage = seal.label === '1 page';
  const isLarge = seal.inputBytes >= LARGE_DOCUMENT_BYTES;
  let headline: Row;
  if (isOnePage) {
    const share = 1000 / median / ceilings.rsa2048SignsPerSecond;
    headline = {
      measure,
      value,
      peer: `RSA-2048 sign ${formatRate(ceilings.rsa2048SignsPerSecond, 'signs')}`,
      ratio: `${formatPercent(share)} of ceiling`,
      target: formatTarget(`≥ ${formatPercent(TARGET.onePageShareOfRsa)}`, share >= TARGET.onePageShareOfRsa),
    };
  } else if (isLarge) {
    const ratio = median / (2 * sha256);
    headline = {
      measure,
      value,
      peer: `two SHA-256 passes over the file ${formatMs(2 * sha256)}`,
      ratio: formatTimes(ratio),
      target: formatTarget(
        `≤ ${formatTimes(TARGET.largeSealOverTwoSha256Passes)}`,
        ratio <= TARGET.largeSealOverTwoSha256Passes,
      ),
    };
  } else {
    headline = {
      measure,
      value,
      peer: `SHA-256 of the same bytes ${formatMs(sha256)}`,
      ratio: `${formatTimes(median / sha256)} slower`,
    };
  }
  const share = (what: string, ms: number, depth = 1): Row => ({
    measure: `${'  '.repeat(depth)}↳ ${what}`,
    value: formatMs(ms),
    peer: `signPades ${formatMs(median)}`,
    ratio: formatPercent(ms / median),
  });
  const { open, cms, sign } = seal.stages;
  return [
    headline,
    share('open (lazy xref chain, trailer, catalog, path to page 1)', open.median),
    share('CMS (createPadesCms) incl. the RSA sign', cms.median),
    share('of which the RSA-2048 sign (identity.sign alone)', sign.median, 2),
    share('one SHA-256 pass over the document', sha256),
    share(
      'rest: incremental write, output copy, ByteRange, hex fill',
      Math.max(0, median - open.median - cms.median - sha256),
    ),
    ...(peers ? peerRows(seal, peers, mutoolStart) : []),
  ];
}

export const pagesLabel = (pages: number): string => (pages === 1 ? '1 page' : `${pages} pages`);

/** What counts as the large document: its rows compare with SHA-256 passes and peak RSS. */
export const LARGE_DOCUMENT_BYTES = 10 * 2 ** 20;

function peerRows(seal: SealMeasurement, peers: PeerMeasurement, mutoolStart: Sample | undefined): Row[] {
  const median = seal.seal.median;
  const against = `signPades ${formatMs(median)}`;
  const faster = (peerMs: number) =>
    peerMs >= median
      ? `signPades ${formatTimes(peerMs / median)} faster`
      : `signPades ${formatTimes(median / peerMs)} slower`;
  const rows: Row[] = [];
  const { signpdf, mutool } = peers;
  if (signpdf.ok) {
    rows.push({
      measure: `  @signpdf/signpdf (pdf-lib placeholder + signer-p12), median of ${signpdf.sample.runs}`,
      value: `${formatMs(signpdf.sample.median)} = ${formatRate(1000 / signpdf.sample.median, 'docs')}`,
      peer: against,
      ratio: faster(signpdf.sample.median),
      target:
        seal.label === '1 page'
          ? formatTarget('signPades faster', median < signpdf.sample.median)
          : undefined,
    });
  } else {
    rows.push({
      measure: '  @signpdf/signpdf (pdf-lib placeholder + signer-p12)',
      value: `FAILED: ${signpdf.error}`,
      peer: against,
      ratio: '—',
      target: seal.label === '1 page' ? 'signPades faster: n/a' : undefined,
    });
  }
  if (mutool.ok) {
    rows.push({
      measure: `  mutool sign (MuPDF, C), incl. process start, median of ${mutool.sample.runs}`,
      value: `${formatMs(mutool.sample.median)} = ${formatRate(1000 / mutool.sample.median, 'docs')}`,
      peer: against,
      ratio: faster(mutool.sample.median),
    });
    if (mutoolStart) {
      const work = Math.max(0.01, mutool.sample.median - mutoolStart.median);
      rows.push({
        measure: `    ↳ minus process start (mutool -v ${formatMs(mutoolStart.median)})`,
        value: formatMs(work),
        peer: against,
        ratio: faster(work),
      });
    }
  } else {
    rows.push({
      measure: '  mutool sign (MuPDF, C)',
      value: `FAILED: ${mutool.error}`,
      peer: against,
      ratio: '—',
    });
  }
  const sizes = [
    `signPades ${formatBytes(seal.sealedBytes)}`,
    signpdf.ok ? `@signpdf ${formatBytes(signpdf.outputBytes)}` : undefined,
    mutool.ok ? `mutool ${formatBytes(mutool.outputBytes)}` : undefined,
  ].filter((size) => size !== undefined);
  rows.push({ measure: `  sealed output, ${seal.label}`, value: sizes.join('; '), peer: '—', ratio: '—' });
  return rows;
}

function memoryRows(memory: BenchResults['memory'], largeSeal: SealMeasurement | undefined): Row[] {
  if (!memory) return [];
  const label = largeSeal?.label ?? 'large document';
  if ('error' in memory) {
    return [
      {
        measure: `signPades B-B, ${label}: peak RSS (child process)`,
        value: `FAILED: ${memory.error}`,
        peer: '—',
        ratio: '—',
      },
    ];
  }
  const file = `file ${formatBytes(memory.fileBytes)}`;
  const peakRatio = memory.peakRssBytes / memory.fileBytes;
  const added = memory.peakRssBytes - memory.baselineRssBytes;
  // What the document costs: the input held plus everything the seal allocates on top of the
  // runtime. The absolute peak above also counts Node and the loaded modules (~85 MiB), which
  // no seal can shed, so both are shown and judged.
  const documentShare = memory.peakRssBytes - memory.runtimeRssBytes;
  const documentRatio = documentShare / memory.fileBytes;
  const peakScope = memory.peakWasReset ? 'VmHWM reset just before the seal' : 'whole child, ru_maxrss';
  return [
    {
      measure: `signPades B-B, ${label}: peak RSS of a child process that seals once (${peakScope})`,
      value: formatBytes(memory.peakRssBytes),
      peer: file,
      ratio: `${formatTimes(peakRatio)} file`,
      target: formatTarget(
        `< ${formatTimes(TARGET.peakRssOverFileSize)}`,
        peakRatio < TARGET.peakRssOverFileSize,
      ),
    },
    {
      measure: "  ↳ the document's share: input + seal (peak − runtime before reading the input)",
      value: formatBytes(documentShare),
      peer: file,
      ratio: `${formatTimes(documentRatio)} file`,
      target: formatTarget(
        `< ${formatTimes(TARGET.peakRssOverFileSize)}`,
        documentRatio < TARGET.peakRssOverFileSize,
      ),
    },
    {
      measure: '  ↳ runtime (Node, compiled modules, warm-up) before reading the input',
      value: formatBytes(memory.runtimeRssBytes),
      peer: file,
      ratio: `${formatTimes(memory.runtimeRssBytes / memory.fileBytes)} file`,
    },
    {
      measure: '  ↳ baseline just before sealing (runtime + the input read with headroom)',
      value: formatBytes(memory.baselineRssBytes),
      peer: file,
      ratio: `${formatTimes(memory.baselineRssBytes / memory.fileBytes)} file`,
    },
    {
      measure: '  ↳ added by the seal (peak − baseline)',
      value: formatBytes(added),
      peer: file,
      ratio: `${formatTimes(added / memory.fileBytes)} file`,
    },
    {
      measure: "  ↳ that seal's time (one cold run in the child)",
      value: formatMs(memory.sealMs),
      peer: largeSeal ? `median in this process ${formatMs(largeSeal.seal.median)}` : '—',
      ratio: largeSeal ? formatTimes(memory.sealMs / largeSeal.seal.median) : '—',
    },
  ];
}

function levelRows(levels: BenchResults['levels'], onePage: SealMeasurement | undefined): Row[] {
  if (!levels) return [];
  if ('error' in levels) {
    return [
      { measure: 'signPades B-T / B-LT / B-LTA', value: `FAILED: ${levels.error}`, peer: '—', ratio: '—' },
    ];
  }
  const baseline = levels.results.find((result) => result.level === 'B-B');
  const baselineMs = baseline?.ok ? baseline.sample.median : onePage?.seal.median;
  return levels.results.map((result): Row => {
    const measure = `signPades ${result.level}, ${onePage?.label ?? '1 page'}, ${levels.services}`;
    if (!result.ok) return { measure, value: result.error, peer: '—', ratio: '—' };
    // Revocation data is only fetched from B-LT on.
    const cache =
      result.cache && levelAtLeast(result.level, 'B-LT')
        ? `; cache ${Object.entries(result.cache)
            .map(([name, count]) => `${name} ${count}`)
            .join(', ')}`
        : '';
    return {
      measure: `${measure}, median of ${result.sample.runs}`,
      value: `${formatMs(result.sample.median)} (p90 ${formatMs(result.sample.p90)}), ${formatBytes(result.sealedBytes)}${cache}`,
      peer: baselineMs === undefined ? '—' : `B-B ${formatMs(baselineMs)}`,
      ratio: baselineMs === undefined ? '—' : `+${formatMs(Math.max(0, result.sample.median - baselineMs))}`,
    };
  });
}

function pipelineRows(pipeline: PipelineMeasurement, sealing: SealMeasurement[]): Row[] {
  const { total } = pipeline.stages;
  const sealAlone = sealing.find((seal) => seal.label === pagesLabel(pipeline.pages))?.seal.median;
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
      peer: sealAlone === undefined ? '—' : `signPades alone ${formatMs(sealAlone)}`,
      ratio: sealAlone === undefined ? '—' : formatTimes(total.median / sealAlone),
    },
    share('stamp fields (composeCompletedPdf)', pipeline.stages.stamp),
    share('render certificate of completion', pipeline.stages.certificate),
    share('append certificate (composeCompletedPdf)', pipeline.stages.append),
    share('seal (signPades B-B)', pipeline.stages.seal),
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
