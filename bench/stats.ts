import { performance } from 'node:perf_hooks';

/** Summary of repeated timings, in milliseconds. */
export interface Sample {
  runs: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile: always a value that was actually observed, no interpolation. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) throw new Error('percentile of no values');
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function summarize(values: readonly number[]): Sample {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    median: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    min: sorted[0]!,
    max: sorted.at(-1)!,
  };
}

/** Summarises each series of a record of timings, e.g. one series per pipeline stage. */
export function summarizeEach<K extends string>(series: Record<K, number[]>): Record<K, Sample> {
  const entries = (Object.keys(series) as K[]).map((key) => [key, summarize(series[key])] as const);
  return Object.fromEntries(entries) as Record<K, Sample>;
}

/** Returns a function giving the milliseconds since it was last called (or since creation). */
export function lapTimer(): () => number {
  let mark = performance.now();
  return () => {
    const now = performance.now();
    const elapsed = now - mark;
    mark = now;
    return elapsed;
  };
}

export interface RunPlan {
  /** Untimed runs first, so JIT compilation and lazy initialisation are not what we measure. */
  warmup: number;
  runs: number;
}

/** Times `task` sequentially; runs never overlap, so each timing is one operation's latency. */
export async function timeRuns(task: () => Promise<unknown>, plan: RunPlan): Promise<Sample> {
  for (let i = 0; i < plan.warmup; i++) await task();
  const timings: number[] = [];
  for (let i = 0; i < plan.runs; i++) {
    const started = performance.now();
    await task();
    timings.push(performance.now() - started);
  }
  return summarize(timings);
}
