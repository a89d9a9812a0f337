import { performance } from 'node:perf_hooks';
import {
  levelAtLeast,
  PADES_LEVELS,
  type PadesLevel,
  type PadesServices,
  signPades,
} from '../src/pdf/pades.ts';
import type { SealingIdentity } from '../src/pki/signer.ts';
import { benchSeal } from './sealing.ts';
import { type RunPlan, type Sample, summarize } from './stats.ts';

/*
 * Seal latency at each PAdES level on the same document, so the cost of each step is visible:
 * B-T adds a round trip to the TSA, B-LT revocation data (OCSP/CRL, cached) and a /DSS update,
 * B-LTA a document time-stamp. The services are whatever the caller passes — the in-process
 * TSA and OCSP responder of a running Signet, or a local OpenSSL TSA/OCSP — so the numbers say
 * which one they were measured against. A level whose service is missing is reported as skipped.
 */

/** Cache counters, if the validation-data source keeps them (src/pki/revocation/validationData.ts). */
export type CacheCounters = Record<string, number>;

export type LevelMeasurement =
  | { level: PadesLevel; ok: true; sample: Sample; sealedBytes: number; cache?: CacheCounters }
  | { level: PadesLevel; ok: false; error: string };

export interface LevelsPlan extends RunPlan {
  /** The document sealed at every level. */
  pdf: Uint8Array;
}

/**
 * `identity` must be one the services can speak for: at B-LT its certificates need OCSP/CRL
 * pointers the validation-data source can reach (a running Signet's own sealing identity).
 */
export async function measureLevels(
  identity: SealingIdentity,
  services: PadesServices,
  { pdf, ...plan }: LevelsPlan,
): Promise<LevelMeasurement[]> {
  const results: LevelMeasurement[] = [];
  for (const level of PADES_LEVELS) {
    const missing = missingService(level, services);
    if (missing) {
      results.push({ level, ok: false, error: `skipped: no ${missing} given` });
      continue;
    }
    const seal = () => signPades(pdf, [benchSeal(identity)], level, services);
    try {
      const sealedBytes = (await seal()).byteLength;
      for (let i = 0; i < plan.warmup; i++) await seal();
      const before = countersOf(services);
      const timings: number[] = [];
      for (let i = 0; i < plan.runs; i++) {
        const started = performance.now();
        await seal();
        timings.push(performance.now() - started);
      }
      const cache = difference(countersOf(services), before);
      results.push({ level, ok: true, sample: summarize(timings), sealedBytes, cache });
    } catch (error) {
      results.push({ level, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

function missingService(level: PadesLevel, services: PadesServices): string | undefined {
  if (levelAtLeast(level, 'B-T') && !services.tsa) return 'time-stamp authority';
  if (levelAtLeast(level, 'B-LT') && !services.validationData) return 'revocation data source';
  return undefined;
}

/** Reads `counters()` when the source has one; PadesServices does not promise it. */
function countersOf(services: PadesServices): CacheCounters | undefined {
  const source = services.validationData as { counters?: unknown } | undefined;
  if (typeof source?.counters !== 'function') return undefined;
  const counters: unknown = source.counters();
  if (typeof counters !== 'object' || counters === null) return undefined;
  return Object.fromEntries(
    Object.entries(counters).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  );
}

/** What the timed runs alone added to each counter. */
function difference(
  after: CacheCounters | undefined,
  before: CacheCounters | undefined,
): CacheCounters | undefined {
  if (!after) return undefined;
  return Object.fromEntries(
    Object.entries(after).map(([name, value]) => [name, value - (before?.[name] ?? 0)]),
  );
}
